// After `tsc`, put the files the compiled code reads next to it, where it looks for them
// (paths are resolved relative to each module, e.g. dist/src/storage → dist/migrations).
import { cpSync, existsSync } from "node:fs";

const assets = [
  ["migrations", "dist/migrations"],
  ["locales", "dist/locales"],
  ["questionnaires", "dist/questionnaires"],
  ["src/services/submissions/wordlists", "dist/src/services/submissions/wordlists"],
  ["src/desk/public", "dist/src/desk/public"],
  ["src/demo/public", "dist/src/demo/public"],
  ["src/demo/samples", "dist/src/demo/samples"],
];
for (const [from, to] of assets) {
  if (existsSync(from))
    cpSync(from, to, { recursive: true, filter: (path) => !path.endsWith(".ts") });
}
