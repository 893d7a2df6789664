// Opens the database: embedded PGlite in DATA_DIR by default, PostgreSQL when DATABASE_URL is set.
import { execFile } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { schema } from "./schema.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export class StorageError extends Error {
  readonly safeToLog = true;
  constructor(message: string) {
    super(message);
    this.name = "StorageError";
  }
}

export interface Storage {
  db: Db;
  kind: "pglite" | "postgres";
  /**
   * Removes dead row versions (DESIGN §3.6): superseded and deleted rows otherwise stay on the
   * table's pages until a vacuum. The tables keyed to a source are rewritten whole, so not even
   * the free space of their old pages keeps a copy; the rest is vacuumed in place. Then the
   * write-ahead log is rotated: the segment that holds recent commits (and their times) is
   * closed and, after a checkpoint, removed (see rotateWal).
   */
  scrub(): Promise<void>;
  /** Only the drafts table rewritten whole: fast, run before a source is told "sent". */
  scrubDrafts(): Promise<void>;
  close(): Promise<void>;
  /** The embedded database's disk (DATA_DIR): its size and free space. Unset on PostgreSQL. */
  disk?: () => { totalBytes: number; freeBytes: number } | undefined;
}

/** The size and free space of the file system holding `dir` (as an unprivileged user sees it). */
export function diskSpace(dir: string): { totalBytes: number; freeBytes: number } | undefined {
  try {
    const stats = statfsSync(dir);
    return { totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bavail * stats.bsize };
  } catch {
    return undefined;
  }
}

/**
 * Below this, the embedded database may not start (recovery writes a checkpoint, a new write-
 * ahead log segment is 16 MB), and inside PGlite that is an abort of its WebAssembly, not an error.
 */
const PGLITE_MIN_FREE = 32 * 1024 * 1024;

/**
 * Rewritten before the source hears their testimony went: the only table whose dead versions
 * hold their lookup key and sealed state. (draft_parts holds random ids only: a draft's, gone
 * by then, and its parts'; it goes with the scheduled scrub.)
 */
const SCRUB_DRAFTS = ["drafts"];
/**
 * Rewritten whole (VACUUM FULL): small, and the only tables keyed to a source (drafts, and the
 * leases and limit counters the instances share). All UNLOGGED: their rows live for seconds to
 * a few days and never reach the write-ahead log.
 */
const SCRUB_FULL = [...SCRUB_DRAFTS, "draft_parts", "source_locks", "rate_limits"];

/**
 * Closes the current write-ahead log segment and checkpoints, so every segment before it is no
 * longer needed and goes (unlinked where wal_recycle is off, as PGlite runs here; a recycled
 * segment would keep its old bytes under a new name). What the log then still holds is what
 * was written since: logged rows carry no source, but their commit times are exact.
 */
const ROTATE_WAL = ["select pg_switch_wal()", "checkpoint"];
/** How long a scrub waits for the transactions that began before it (see below). */
const OLDER_TRANSACTIONS_WAIT_MS = 5_000;

/**
 * Waits until the rows deleted before now can go; false when they still cannot after `waitMs`.
 * VACUUM FULL copies a deleted row into the new file while it may still be seen:
 * - by a snapshot of this database older than the delete (another instance's query, autovacuum's
 *   ANALYZE);
 * - through VACUUM FULL's own snapshot, whose oldest xid is the oldest transaction still running
 *   anywhere in the cluster (another database's CREATE DATABASE, say).
 * So both must be past every transaction id assigned before the scrub. Sessions of other roles
 * show no snapshot here unless the role may read all statistics (pg_read_all_stats).
 */
async function olderTransactionsEnded(
  connection: postgres.ReservedSql,
  waitMs: number,
): Promise<boolean> {
  // Every transaction id assigned so far is below this one.
  const [start] = await connection<{ next: string }[]>`
    select pg_snapshot_xmax(pg_current_snapshot())::text as next`;
  const next = BigInt(start?.next ?? "0");
  // The same id as a 32-bit xid, which is what pg_stat_activity shows.
  const next32 = (next % 4294967296n).toString();
  const deadline = Date.now() + waitMs;
  for (;;) {
    const [row] = await connection<{ done: boolean }[]>`
      select pg_snapshot_xmin(pg_current_snapshot()) >= ${next.toString()}::xid8
        and not exists (
          select 1 from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()
            and backend_xmin is not null
            and age(backend_xmin) > age(${next32}::xid)
        ) as done`;
    if (row?.done) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Vacuumed in place: large tables whose dead versions carry ciphertext and random ids. */
const SCRUB_IN_PLACE = [
  "parts",
  "attachment_chunks",
  "submissions",
  "subscribers",
  "deliveries",
  "broadcasts",
  "audit",
  "guidance",
];

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

export interface OpenStorageOptions {
  /** PostgreSQL connection string; unset → embedded PGlite. */
  databaseUrl?: string;
  /** Where PGlite keeps its files (DATA_DIR/db). Unset with no databaseUrl → in memory (tests). */
  dataDir?: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
  /** Told of an error the PostgreSQL driver threw where no caller could catch it (see below). */
  onDriverError?: (error: unknown) => void;
}

/** Storage as opened, before its migrations ran. */
type Opened = Storage & { migrate(): Promise<void> };

export async function openStorage(options: OpenStorageOptions): Promise<Storage> {
  const { migrate, ...storage } = options.databaseUrl
    ? await openPostgres(options.databaseUrl, options.maxConnections ?? 10, options.onDriverError)
    : await openPglite(options.dataDir);
  try {
    await migrate();
  } catch (error) {
    await storage.close();
    throw error;
  }
  return storage;
}

const MIGRATIONS = { migrationsFolder: MIGRATIONS_DIR };

/**
 * An arbitrary constant: the advisory lock under which one instance at a time migrates. Several
 * instances started together would otherwise apply the same migration at once, and all but one
 * fail on it; the others wait here, then find nothing left to do.
 */
const MIGRATION_LOCK = 7_170_117;

/** What an operator can act on, for the usual connection failures. Never the password. */
function connectProblem(url: string, code: string): string {
  let database = "";
  let host = "";
  try {
    const parsed = new URL(url);
    database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
    host = parsed.host;
  } catch {
    // an unparsable URL: postgres reported its own code below
  }
  switch (code) {
    case "3D000":
      return `database "${database}" does not exist on ${host || "the server"}; create it (createdb ${database}) or fix the name in the URL`;
    case "28P01":
      return `PostgreSQL rejected the password for the user in the URL (${code})`;
    case "28000":
      return `PostgreSQL does not let the user in the URL connect (${code}); check pg_hba.conf and the user name`;
    case "ECONNREFUSED":
      return `nothing answers at ${host || "the address"} (${code}); is PostgreSQL running there?`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host ${host || "in the URL"} is not found (${code})`;
    default:
      return `cannot connect to PostgreSQL (${code})`;
  }
}

/**
 * A backstop. Unpatched, postgres.js 3.4.9 throws from a timer after a connection closed under
 * it (nextWrite on a null socket, porsager/postgres#1154 and #1208); patches/ fixes that and the
 * poisoned write timer behind it (test/storage/postgres-driver.test.ts). Nobody could catch the
 * throw, and the process would exit on a database restart. The query it belonged to was already
 * rejected (CONNECTION_CLOSED, so its update is retried) and the pool opens a new connection:
 * that one error is reported and the process goes on. Any other uncaught error is left to the
 * other listeners, or ends the process as Node would.
 */
const driverGuard = { installed: false, report: (_error: unknown) => {} };
const DRIVER_FRAME = /[\\/]postgres[\\/](?:cjs[\\/])?src[\\/]connection\.js/;

export function isDriverCallbackError(error: unknown): boolean {
  return error instanceof TypeError && DRIVER_FRAME.test(error.stack?.split("\n")[1] ?? "");
}

function guardDriverCallbacks(report?: (error: unknown) => void): void {
  if (report) driverGuard.report = report;
  if (driverGuard.installed) return;
  driverGuard.installed = true;
  process.on("uncaughtException", (error) => {
    if (isDriverCallbackError(error)) return driverGuard.report(error);
    if (process.listenerCount("uncaughtException") > 1) return;
    process.stderr.write(`${error.stack ?? String(error)}\n`);
    process.exit(1);
  });
}

async function openPostgres(
  url: string,
  max: number,
  onDriverError?: (error: unknown) => void,
): Promise<Opened> {
  guardDriverCallbacks(onDriverError);
  // onnotice: PostgreSQL notices would otherwise go to the console.
  const client = postgres(url, { max, onnotice: () => {}, connect_timeout: 10 });
  try {
    await client`select 1`;
  } catch (error) {
    await client.end({ timeout: 1 });
    const code = (error as { code?: string }).code ?? "unknown error";
    throw new StorageError(`DATABASE_URL: ${connectProblem(url, code)}`);
  }
  const db = drizzlePostgres({ client, schema }) as unknown as Db;
  let closing: Promise<void> | undefined;
  // Rotating the log takes rights a newsroom's role may lack (superuser, or pg_checkpoint and
  // EXECUTE on pg_switch_wal): said once, then the scrub goes on without it.
  let mayRotate = true;
  const vacuum = async (full: string[], inPlace: string[], rotate: boolean) => {
    // VACUUM cannot run in a transaction: one reserved connection, with a lock timeout so a
    // long transaction elsewhere delays the scrub instead of every query queued behind it.
    const connection = await client.reserve();
    try {
      await connection.unsafe("set lock_timeout = '5s'");
      const waited = await olderTransactionsEnded(connection, OLDER_TRANSACTIONS_WAIT_MS);
      for (const table of full) await connection.unsafe(`vacuum full ${table}`);
      if (inPlace.length > 0) {
        await connection.unsafe(`vacuum (skip_locked) ${inPlace.join(", ")}`);
      }
      if (rotate && mayRotate) {
        try {
          for (const statement of ROTATE_WAL) await connection.unsafe(statement);
        } catch (error) {
          if ((error as { code?: string }).code !== "42501") throw error;
          mayRotate = false;
          throw new StorageError(
            "the database role may not rotate the write-ahead log (grant pg_checkpoint and EXECUTE on pg_switch_wal); recent commit times stay in it until PostgreSQL recycles the segment",
          );
        }
      }
      if (!waited) {
        throw new StorageError(
          "a transaction older than the scrub stayed open: rows deleted before the scrub stay in the table files until the next one",
        );
      }
    } finally {
      await connection.unsafe("reset lock_timeout").catch(() => {});
      connection.release();
    }
  };
  const scrub = () => vacuum(SCRUB_FULL, SCRUB_IN_PLACE, true);
  const scrubDrafts = () => vacuum(SCRUB_DRAFTS, [], false);
  // The lock is held on a connection of its own while the migrations run on the pool.
  const migrate = async () => {
    const connection = await client.reserve();
    try {
      await connection`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migratePostgres(db as Parameters<typeof migratePostgres>[0], MIGRATIONS);
    } finally {
      await connection`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
      connection.release();
    }
  };
  return {
    db,
    kind: "postgres",
    scrub,
    scrubDrafts,
    migrate,
    close: () => (closing ??= client.end({ timeout: 5 })),
  };
}

/** PostgreSQL's type id of bytea. */
const BYTEA = 17;

/**
 * PostgreSQL's defaults are for a server of its own (shared_buffers 128 MB, maintenance_work_mem
 * 64 MB); inside the bot's process every buffer page touched stays resident for good (WASM memory
 * never shrinks). The working set here is small: drafts, a few thousand small parts, attachments
 * written once in 256 KB chunks and read back only by the export. 16 MB of buffers hold every
 * hot index and draft row of a busy newsroom many times over; an attachment chunk goes through
 * a small ring buffer anyway. maintenance_work_mem bounds VACUUM after a draft is deleted; 16 MB
 * is plenty for tables this size. Together with the process itself this keeps the bot idle at
 * ~270 MB (under tsx) on a 1 GB server, leaving room for the OS, a 20 MB download and its encryption.
 */
const PGLITE_SETTINGS = [
  "shared_buffers=16MB",
  "maintenance_work_mem=16MB",
  "temp_buffers=2MB",
  // A write-ahead log segment no longer needed is deleted, not renamed for reuse with its old
  // bytes still in it (see ROTATE_WAL).
  "wal_recycle=off",
];

/**
 * bytea parameters go to PGlite in binary: a serializer that returns bytes makes PGlite's Bind
 * message send them as they are (format 1). As hex text, a 256 KB chunk became a 512 KB string
 * that PGlite measures character by character in JavaScript and PostgreSQL then parses back:
 * 4–7× slower per chunk, and most of a 20 MB attachment's time. Results still come as text;
 * Buffer's hex codec decodes them in native code (PGlite's own goes byte by byte).
 */
const PGLITE_OPTIONS = {
  startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS.flatMap((s) => ["-c", s])],
  serializers: {
    // PGlite's types say string; its Bind writer takes any ArrayBufferView as a binary value.
    [BYTEA]: (value: Uint8Array) => value as unknown as string,
  },
  parsers: {
    [BYTEA]: (text: string) => new Uint8Array(Buffer.from(text.slice(2), "hex")),
  },
};

async function openPglite(dataDir: string | undefined): Promise<Opened> {
  let releaseLock = () => {};
  let client: PGlite;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    releaseLock = takeLock(join(dataDir, "bot.lock"));
    try {
      const free = diskSpace(dataDir)?.freeBytes;
      if (free !== undefined && free < PGLITE_MIN_FREE) throw diskFull(dataDir, free);
      const dbDir = join(dataDir, "db");
      if (!existsSync(join(dbDir, "PG_VERSION"))) await createPgliteElsewhere(dbDir);
      client = await PGlite.create(dbDir, PGLITE_OPTIONS).catch((error) => {
        // Out of space while starting: PGlite aborts its WebAssembly instead of an error.
        const left = diskSpace(dataDir)?.freeBytes;
        if (left !== undefined && left < 2 * PGLITE_MIN_FREE) throw diskFull(dataDir, left);
        throw error;
      });
    } catch (error) {
      releaseLock();
      throw error;
    }
  } else {
    client = await PGlite.create(PGLITE_OPTIONS);
  }
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  let closed = false;
  return {
    db,
    kind: "pglite",
    disk: dataDir ? () => diskSpace(dataDir) : undefined,
    migrate: () => migratePglite(db as Parameters<typeof migratePglite>[0], MIGRATIONS),
    scrub: async () => {
      if (closed) return;
      for (const table of SCRUB_FULL) await client.exec(`vacuum full ${table}`);
      await client.exec(`vacuum ${SCRUB_IN_PLACE.join(", ")}`);
      for (const statement of ROTATE_WAL) await client.exec(statement);
    },
    scrubDrafts: async () => {
      if (closed) return;
      for (const table of SCRUB_DRAFTS) await client.exec(`vacuum full ${table}`);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
      releaseLock();
    },
  };
}

/**
 * A fresh database is created and migrated in a short-lived child process, then opened here.
 * initdb and the first migrations grow PGlite's WASM memory to ~800 MB, and WASM memory never
 * shrinks: done in this process, the bot would keep that for its whole life. A child's memory goes
 * back to the OS when it exits (a worker thread's does not, quite: its heap stays in our arenas).
 */
async function createPgliteElsewhere(dbDir: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const modules = {
    pglite: require.resolve("@electric-sql/pglite"),
    drizzle: require.resolve("drizzle-orm/pglite"),
    migrator: require.resolve("drizzle-orm/pglite/migrator"),
  };
  const job = JSON.stringify({
    modules,
    dbDir,
    migrations: MIGRATIONS_DIR,
    startParams: PGLITE_OPTIONS.startParams,
  });
  const code = `
    const { pathToFileURL } = await import("node:url");
    const job = JSON.parse(process.argv[1]);
    const load = (path) => import(pathToFileURL(path).href);
    const { PGlite } = await load(job.modules.pglite);
    const { drizzle } = await load(job.modules.drizzle);
    const { migrate } = await load(job.modules.migrator);
    const client = await PGlite.create(job.dbDir, { startParams: job.startParams });
    await migrate(drizzle({ client }), { migrationsFolder: job.migrations });
    await client.close();`;
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", code, job],
      { env: {}, maxBuffer: 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const detail = stderr.trim().split("\n").slice(-3).join(" ").slice(0, 500);
        reject(new StorageError(`DATA_DIR: could not create the database (${detail})`));
      },
    );
  });
}

function diskFull(dataDir: string, freeBytes: number): StorageError {
  const mb = Math.floor(freeBytes / (1024 * 1024));
  return new StorageError(
    `DATA_DIR: the disk holding ${dataDir} is full (${mb} MB free); free some space and start again`,
  );
}

/** PGlite is single-process: a lock file stops a second bot from opening the same files. */
function takeLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new StorageError(
          `DATA_DIR is already in use by another running bot (process ${pid}); stop it first, or give this one its own DATA_DIR`,
        );
      }
      // Stale lock from a process that died (e.g. kill -9): take it over.
      rmSync(path, { force: true });
    }
  }
  throw new StorageError("DATA_DIR: could not take the lock file");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
