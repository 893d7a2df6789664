// A PostgreSQL cluster of a test's own (initdb, pg_ctl, a free port, a temporary folder), for
// tests that crash or restart the database: never the shared server other tests use.
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./bot-process.js";

const BIN = "/usr/lib/postgresql/15/bin";

export interface PrivateCluster {
  /** Connection string of its maintenance database (user postgres, trust). */
  url(database?: string): string;
  /** "immediate" is a crash as PostgreSQL sees it: no shutdown checkpoint, recovery at start. */
  stop(mode: "fast" | "immediate"): void;
  start(): void;
  /** Stops it and deletes its folder. */
  destroy(): void;
}

/** Why no private cluster can run here, or undefined when one can. */
export function privateClusterUnavailable(): string | undefined {
  return existsSync(join(BIN, "initdb")) ? undefined : `no PostgreSQL binaries in ${BIN}`;
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  // initdb refuses to run as root: then it runs as the postgres system user, in a folder it owns
  // under /tmp (the tests' own temporary folder is private to root).
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(asRoot ? "/tmp" : tmpdir(), "tb-cluster-"));
  const run = (program: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", join(BIN, program), ...args], {
          stdio: "pipe",
        })
      : execFileSync(join(BIN, program), args, { stdio: "pipe" });
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"]).toString().trim());
    chownSync(dir, id("-u"), id("-g"));
  }
  const data = join(dir, "data");
  const port = await freePort();
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () =>
    run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  const stop = (mode: "fast" | "immediate") =>
    run("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);
  start();
  return {
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    destroy() {
      try {
        stop("immediate");
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
