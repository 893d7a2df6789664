// Opens the database: embedded PGlite in DATA_DIR by default, PostgreSQL when DATABASE_URL is set.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
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
   * table's pages until a vacuum. Drafts (the only rows keyed to a source) are rewritten whole,
   * so not even the free space of their old pages keeps a copy; the rest is vacuumed in place.
   */
  scrub(): Promise<void>;
  close(): Promise<void>;
}

/** Rewritten whole (VACUUM FULL): small, and the only table keyed to a source. */
const SCRUB_FULL = ["drafts"];
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
}

export async function openStorage(options: OpenStorageOptions): Promise<Storage> {
  const storage = options.databaseUrl
    ? await openPostgres(options.databaseUrl, options.maxConnections ?? 10)
    : await openPglite(options.dataDir);
  try {
    await runMigrations(storage);
  } catch (error) {
    await storage.close();
    throw error;
  }
  return storage;
}

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

async function openPostgres(url: string, max: number): Promise<Storage> {
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
  const scrub = async () => {
    // VACUUM cannot run in a transaction: one reserved connection, with a lock timeout so a
    // long transaction elsewhere delays the scrub instead of every query queued behind it.
    const connection = await client.reserve();
    try {
      await connection.unsafe("set lock_timeout = '5s'");
      for (const table of SCRUB_FULL) await connection.unsafe(`vacuum full ${table}`);
      await connection.unsafe(`vacuum (skip_locked) ${SCRUB_IN_PLACE.join(", ")}`);
    } finally {
      await connection.unsafe("reset lock_timeout").catch(() => {});
      connection.release();
    }
  };
  return {
    db,
    kind: "postgres",
    scrub,
    close: () => (closing ??= client.end({ timeout: 5 })),
  };
}

/** PostgreSQL's type id of bytea. */
const BYTEA = 17;

/**
 * PGlite's own bytea text codec goes byte by byte through JavaScript arrays (~100 ms per 256 KB
 * chunk); Buffer's hex codec does the same work in native code.
 */
const PGLITE_OPTIONS = {
  serializers: {
    [BYTEA]: (value: Uint8Array) =>
      `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`,
  },
  parsers: {
    [BYTEA]: (text: string) => new Uint8Array(Buffer.from(text.slice(2), "hex")),
  },
};

async function openPglite(dataDir: string | undefined): Promise<Storage> {
  let releaseLock = () => {};
  let client: PGlite;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    releaseLock = takeLock(join(dataDir, "bot.lock"));
    try {
      client = await PGlite.create(join(dataDir, "db"), PGLITE_OPTIONS);
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
    scrub: async () => {
      if (closed) return;
      for (const table of SCRUB_FULL) await client.exec(`vacuum full ${table}`);
      await client.exec(`vacuum ${SCRUB_IN_PLACE.join(", ")}`);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
      releaseLock();
    },
  };
}

async function runMigrations(storage: Storage): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_DIR };
  if (storage.kind === "pglite") {
    await migratePglite(storage.db as Parameters<typeof migratePglite>[0], config);
  } else {
    await migratePostgres(storage.db as Parameters<typeof migratePostgres>[0], config);
  }
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
