// Searches everything an adversary could take from a server — database dump, data directory,
// logs — for planted secrets, in the encodings they could hide in.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { TestStorage } from "./db.js";

/** The forms a planted string could take at rest. */
export function encodingsOf(needle: string): string[] {
  const utf8 = Buffer.from(needle, "utf8");
  const jsonEscaped = JSON.stringify(needle)
    .slice(1, -1)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const forms = [
    needle,
    utf8.toString("hex"),
    utf8.toString("hex").toUpperCase(),
    utf8.toString("base64").replace(/=+$/, ""),
    jsonEscaped,
    Buffer.from(needle, "utf16le").toString("latin1"),
  ];
  return [...new Set(forms)].filter((form) => form.length >= 4);
}

/** Which needles (by their plain form) occur in `haystack` in any encoding. */
export function findPlanted(haystack: string | Buffer, needles: string[]): string[] {
  const text = typeof haystack === "string" ? haystack : haystack.toString("latin1");
  const utf8 = typeof haystack === "string" ? haystack : haystack.toString("utf8");
  return needles.filter((needle) =>
    encodingsOf(needle).some((form) => text.includes(form) || utf8.includes(form)),
  );
}

/** "path: needle" for every planted needle found in any of the files. */
export function findPlantedInFiles(
  files: { path: string; bytes: Buffer }[],
  needles: string[],
): string[] {
  return files.flatMap((file) => findPlanted(file.bytes, needles).map((n) => `${file.path}: ${n}`));
}

/** Every row of every table as text (bytea as hex), plus pg_dump's output on PostgreSQL. */
export async function dumpDatabase(storage: TestStorage): Promise<string> {
  const tables = rowsOf<{ table_schema: string; table_name: string }>(
    await storage.db.execute(
      sql`select table_schema, table_name from information_schema.tables where table_schema in ('public', 'drizzle')`,
    ),
  );
  const parts: string[] = [];
  for (const { table_schema, table_name } of tables) {
    const rows = rowsOf<{ row: string }>(
      await storage.db.execute(
        sql.raw(`select t::text as row from "${table_schema}"."${table_name}" t`),
      ),
    );
    parts.push(...rows.map((r) => r.row));
  }
  if (storage.url) {
    parts.push(
      execFileSync("pg_dump", ["--no-owner", storage.url], {
        encoding: "utf8",
        maxBuffer: 1 << 30,
      }),
    );
  }
  return parts.join("\n");
}

/** The bytes of every file under a directory. */
export function readTree(dir: string): { path: string; bytes: Buffer }[] {
  const files: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...readTree(path));
    else files.push({ path, bytes: readFileSync(path) });
  }
  return files;
}

function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}
