// Runs a TypeScript entry point of this project in a child process, as a user would.
import { type SpawnSyncOptions, spawnSync } from "node:child_process";
import { join } from "node:path";

export const PROJECT_ROOT = join(import.meta.dirname, "../..");
export const TSX = join(PROJECT_ROOT, "node_modules/.bin/tsx");

export function runTsx(entry: string, args: string[], options: SpawnSyncOptions = {}) {
  return spawnSync(TSX, [join(PROJECT_ROOT, entry), ...args], { encoding: "utf8", ...options });
}
