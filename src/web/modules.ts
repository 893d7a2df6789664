// Where another entry module of this project is: in the source tree (.ts, run through tsx) or in
// a built copy (.js, from `npm run build`). The demo finds the review desk and the editor tool
// either way.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The file of `relative` (a module path without its extension) seen from the module at `from`
 * (its import.meta.url): the .ts source, else the built .js; undefined where neither exists.
 */
export function findModule(from: string, relative: string): string | undefined {
  for (const extension of [".ts", ".js"]) {
    const file = fileURLToPath(new URL(`${relative}${extension}`, from));
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** How a person runs the editor tool at `file`: node in a built copy, else through npm. */
export function editorCommand(file: string | undefined): string {
  return file?.endsWith(".js") ? `node ${file}` : "npm run editor --";
}
