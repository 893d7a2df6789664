// A PostgreSQL server of the test's own (initdb in a temp folder, a free port), for tests that
// restart it or cut its connections: never the machine's shared server. Needs the server
// binaries (PG_BIN, default /usr/lib/postgresql/15/bin); as root, they run as the postgres user.
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { freePort } from "./bot-process.js";

const BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PrivatePostgres {
  /** Connection string of the test's database on it. */
  url: string;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is back when this resolves. */
  restart(): Promise<void>;
  /** Stops the server (fast shutdown) until start() (a longer outage than restart()). */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** Ends every other backend of the test's database (pg_terminate_backend). */
  terminateBackends(): Promise<number>;
  stop(): Promise<void>;
}

/** Why a private server cannot run here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!existsSync(join(BIN, "initdb"))) return `no PostgreSQL server binaries in ${BIN}`;
  if (userInfo().uid === 0 && !existsSync("/usr/sbin/runuser")) {
    return "running as root without runuser to start PostgreSQL as another user";
  }
  return undefined;
}

function run(command: string, args: string[]): Promise<string> {
  const asRoot = userInfo().uid === 0;
  const [file, argv] = asRoot
    ? ["/usr/sbin/runuser", ["-u", "postgres", "--", join(BIN, command), ...args]]
    : [join(BIN, command), args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command}: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  // Not under the tests' own temp folder: the postgres user must be able to reach it.
  const dir = mkdtempSync(join(userInfo().uid === 0 ? "/tmp" : tmpdir(), "tb-pg-"));
  if (userInfo().uid === 0) {
    const { uid, gid } = await postgresUser();
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const port = await freePort();
  await run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const pgCtl = (action: string, ...extra: string[]) =>
    run("pg_ctl", [action, "-D", data, "-w", "-l", join(dir, "log"), "-o", options, ...extra]);
  await pgCtl("start");
  const admin = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, {
    max: 1,
    onnotice: () => {},
  });
  await admin.unsafe("create database tb_faults");
  return {
    url: `postgres://postgres@127.0.0.1:${port}/tb_faults`,
    restart: async () => {
      await pgCtl("restart", "-m", "fast");
    },
    stopServer: async () => {
      await run("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w"]);
    },
    startServer: async () => {
      await pgCtl("start");
    },
    terminateBackends: async () => {
      const rows = await admin`
        select pg_terminate_backend(pid) from pg_stat_activity
        where datname = 'tb_faults' and pid <> pg_backend_pid()`;
      return rows.length;
    },
    stop: async () => {
      await admin.end({ timeout: 1 }).catch(() => {});
      await run("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresUser(): Promise<{ uid: number; gid: number }> {
  return new Promise((resolve, reject) => {
    execFile("id", ["-u", "postgres"], (e1, uid) => {
      if (e1) return reject(e1);
      execFile("id", ["-g", "postgres"], (e2, gid) => {
        if (e2) return reject(e2);
        resolve({ uid: Number(uid.trim()), gid: Number(gid.trim()) });
      });
    });
  });
}
