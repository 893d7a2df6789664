// Runs a TypeScript entry point of this project in a child process, as a user would.
import { type SpawnSyncOptions, spawnSync } from "node:child_process";
import { join } from "node:path";

export const PROJECT_ROOT = join(import.meta.dirname, "../..");
export const TSX = join(PROJECT_ROOT, "node_modules/.bin/tsx");
/**
 * `node --import` this, as `npm start` does: the program is then the process itself. The tsx
 * command instead runs it in a child and relays signals, and kills it outright (exit 143) when
 * the child does not confirm a SIGTERM within 30 ms, as on a busy machine.
 */
export const TSX_LOADER = import.meta.resolve("tsx");
export const TSCONFIG = join(PROJECT_ROOT, "tsconfig.json");

export function runTsx(entry: string, args: string[], options: SpawnSyncOptions = {}) {
  return spawnSync(TSX, [join(PROJECT_ROOT, entry), ...args], { encoding: "utf8", ...options });
}
