// Which test files use a database. CI runs the suite twice, on PGlite and on PostgreSQL; the
// second run (TEST_DATABASE_URL set) needs only these. The rule: a test file uses a database when
// it imports test/helpers/db.ts, itself or through another file under test/ (harness.ts does).
// Type-only imports do not count. test/database-tests.test.ts checks the rule against the tree.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

export const DATABASE_HELPER = "test/helpers/db.ts";

// `import … from "x"` and `export … from "x"` (over several lines too), `import "x"`, `import("x")`.
const STATIC = /^\s*(?:import|export)\s+(type\s)?[^;]*?\sfrom\s+["']([^"']+)["']/gm;
const BARE = /^\s*import\s+["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The files under test/ that `file` imports at run time (paths relative to `root`). */
export function testImports(root: string, file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const specifiers = [
    ...[...text.matchAll(STATIC)].filter((m) => !m[1]).map((m) => m[2] as string),
    ...[...text.matchAll(BARE)].map((m) => m[1] as string),
    ...[...text.matchAll(DYNAMIC)].map((m) => m[1] as string),
  ];
  const found: string[] = [];
  for (const specifier of specifiers) {
    if (!specifier.startsWith(".")) continue;
    const target = relative(root, resolve(root, dirname(file), specifier.replace(/\.js$/, ".ts")));
    const path = target.split(sep).join("/");
    if (path.startsWith("test/") && existsSync(join(root, path))) found.push(path);
  }
  return found;
}

/** Every test file under test/, relative to `root`, sorted. */
export function allTestFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".test.ts")) files.push(path);
    }
  };
  walk("test");
  return files.sort();
}

/** The test files that reach test/helpers/db.ts through their imports. */
export function databaseTestFiles(root: string): string[] {
  const imports = new Map<string, string[]>();
  const importsOf = (file: string) => {
    const known = imports.get(file);
    if (known) return known;
    const list = testImports(root, file);
    imports.set(file, list);
    return list;
  };
  const reachesHelper = (start: string) => {
    const seen = new Set([start]);
    const queue = [start];
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      if (file === DATABASE_HELPER) return true;
      for (const next of importsOf(file)) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    return false;
  };
  return allTestFiles(root).filter(reachesHelper);
}
