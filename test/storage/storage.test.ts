import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, openStorage, StorageError } from "../../src/storage/db.js";
import { attachmentChunks } from "../../src/storage/schema.js";
import { createTestStorage, type TestStorage, usingPostgres } from "../helpers/db.js";
import { PROJECT_ROOT, TSX } from "../helpers/run.js";

describe(`storage on ${usingPostgres ? "PostgreSQL" : "PGlite"}`, () => {
  let storage: TestStorage;
  beforeAll(async () => {
    storage = await createTestStorage();
  });
  afterAll(() => storage.close());

  it("applies the migrations: every table exists", async () => {
    const rows = await storage.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    const names = rowsOf<{ table_name: string }>(rows).map((r) => r.table_name);
    expect(names).toEqual(
      expect.arrayContaining(["attachment_chunks", "drafts", "parts", "submissions"]),
    );
    // Nothing keyed to a source outlives its interview: no table of language choices.
    expect(names).not.toContain("preferences");
  });

  it("round-trips binary data through the bytea type, byte for byte", async () => {
    const data = new Uint8Array(256 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 256;
    const id = "00000000-0000-4000-8000-000000000001";
    await storage.db.insert(attachmentChunks).values({ attachmentId: id, seq: 0, data });
    const [row] = await storage.db.select().from(attachmentChunks);
    expect(row?.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(row?.data ?? []).equals(Buffer.from(data))).toBe(true);
  });
});

describe("embedded PGlite in DATA_DIR", () => {
  it("keeps data across restarts and refuses a second process on the same directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-data-"));
    try {
      const first = await openStorage({ dataDir: dir });
      await first.db.insert(attachmentChunks).values({
        attachmentId: "00000000-0000-4000-8000-000000000002",
        seq: 0,
        data: new Uint8Array([1, 2, 3]),
      });

      // A second process must be told clearly that the directory is in use.
      const script = `import("./src/storage/db.ts").then(m => m.openStorage({ dataDir: ${JSON.stringify(dir)} })).then(() => { console.log("opened"); process.exit(0) }, e => { console.log(e.message); process.exit(3) })`;
      const second = spawnSync(TSX, ["-e", script], { encoding: "utf8", cwd: PROJECT_ROOT });
      expect(second.status).toBe(3);
      expect(second.stdout).toMatch(/already in use by another running bot/);

      await first.close();
      const again = await openStorage({ dataDir: dir });
      const kept = await again.db.select().from(attachmentChunks);
      expect(kept.map((row) => [...row.data])).toEqual([[1, 2, 3]]);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("creates a fresh database fully migrated, in a child process, and opens it here", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-data-"));
    try {
      const storage = await openStorage({ dataDir: dir });
      const journal = JSON.parse(
        readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8"),
      ) as { entries: { tag: string }[] };
      const applied = rowsOf<{ n: number }>(
        await storage.db.execute<{ n: number }>(
          sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
        ),
      );
      expect(applied[0]?.n).toBe(journal.entries.length);
      // Usable as the bot uses it, and with the small-server settings.
      await storage.db.insert(attachmentChunks).values({
        attachmentId: "00000000-0000-4000-8000-000000000003",
        seq: 0,
        data: new Uint8Array([7]),
      });
      const buffers = rowsOf<{ shared_buffers: string }>(
        await storage.db.execute<{ shared_buffers: string }>(sql`show shared_buffers`),
      );
      expect(buffers[0]?.shared_buffers).toBe("16MB");
      await storage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes over a stale lock left by a killed process", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-data-"));
    try {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(join(dir, "bot.lock"), "999999");
      const storage = await openStorage({ dataDir: dir });
      expect(readFileSync(join(dir, "bot.lock"), "utf8")).toBe(String(process.pid));
      await storage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names a wrong DATABASE_URL clearly", async () => {
    await expect(
      openStorage({ databaseUrl: "postgres://nobody@127.0.0.1:1/none" }),
    ).rejects.toThrow(StorageError);
  });
});

function rowsOf<T>(result: unknown): T[] {
  // postgres-js returns an array; PGlite returns { rows }.
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}
