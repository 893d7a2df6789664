// The layering rules of DESIGN §4, checked on the source: which folders may import openpgp,
// grammY and the database libraries. A violation names the file and the import.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./helpers/run.js";

const SRC = join(PROJECT_ROOT, "src");

interface Import {
  file: string;
  specifier: string;
  typeOnly: boolean;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Static imports and re-exports, dynamic import("…") and require.resolve("…") of every file. */
function importsOf(path: string): Import[] {
  const file = relative(SRC, path).split(sep).join("/");
  const text = readFileSync(path, "utf8");
  const found: Import[] = [];
  for (const m of text.matchAll(/^\s*(import|export)(\s+type)?\b[^;]*?\bfrom\s*"([^"]+)"/gms)) {
    found.push({ file, specifier: m[3] as string, typeOnly: m[2] !== undefined });
  }
  for (const m of text.matchAll(/^\s*import\s*"([^"]+)"/gm)) {
    found.push({ file, specifier: m[1] as string, typeOnly: false });
  }
  for (const m of text.matchAll(/\b(?:import|resolve)\(\s*"([^"]+)"\s*\)/g)) {
    found.push({ file, specifier: m[1] as string, typeOnly: false });
  }
  return found;
}

const imports = filesUnder(SRC).flatMap(importsOf);

const isPackage = (specifier: string, names: string[]) =>
  names.some((name) => specifier === name || specifier.startsWith(`${name}/`));

function violations(
  packages: string[],
  allowed: (i: Import) => boolean,
): { file: string; specifier: string }[] {
  return imports
    .filter((i) => isPackage(i.specifier, packages) && !allowed(i))
    .map(({ file, specifier }) => ({ file, specifier }));
}

describe("layering (DESIGN §4)", () => {
  it("sees the imports it checks (the scan itself works)", () => {
    expect(
      imports.some((i) => i.file.startsWith("services/crypto/") && i.specifier === "openpgp"),
    ).toBe(true);
    expect(imports.some((i) => i.file.startsWith("bot/") && i.specifier === "grammy")).toBe(true);
    expect(
      imports.some((i) => i.file.startsWith("storage/") && i.specifier === "drizzle-orm"),
    ).toBe(true);
  });

  it("only src/services/crypto/ imports openpgp", () => {
    expect(violations(["openpgp"], (i) => i.file.startsWith("services/crypto/"))).toEqual([]);
  });

  it("nothing outside src/services/crypto/ imports its internal module", () => {
    const outside = imports.filter(
      (i) => /crypto\/internal(\.js)?$/.test(i.specifier) && !i.file.startsWith("services/crypto/"),
    );
    expect(outside.map(({ file, specifier }) => ({ file, specifier }))).toEqual([]);
  });

  it("only src/bot/ imports grammY (and the composition root starts polling or the webhook)", () => {
    const allowed = (i: Import) =>
      i.file.startsWith("bot/") ||
      // runner (polling) and webhookCallback: the service chooses how updates arrive
      i.file === "service.ts" ||
      // the Bot API's type definitions only, no grammY code
      (i.typeOnly &&
        i.specifier === "grammy/types" &&
        (i.file === "app.ts" || i.file.startsWith("telegram-emulator/")));
    expect(violations(["grammy", "@grammyjs"], allowed)).toEqual([]);
  });

  it("only src/storage/ imports drizzle and the database drivers", () => {
    const drivers = ["drizzle-orm", "drizzle-kit", "postgres", "@electric-sql/pglite"];
    expect(violations(drivers, (i) => i.file.startsWith("storage/"))).toEqual([]);
  });
});
