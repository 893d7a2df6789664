// Several instances started at the same moment on one fresh PostgreSQL database (issue 17):
// one applies the migrations, the others wait for it and then find nothing left to do.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, openStorage, type Storage } from "../../src/storage/db.js";
import { adminStatement, dropDatabase, usingPostgres, withDatabase } from "../helpers/db.js";

/** The migrations drizzle-kit wrote: each is to be applied exactly once. */
const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8")) as {
  entries: unknown[];
};

describe.skipIf(!usingPostgres)("instances starting together", () => {
  const name = `tb_together_${process.pid}`;
  const opened: Storage[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((storage) => storage.close()));
    await dropDatabase(name);
  });

  it("all start, and every migration is applied once", async () => {
    await adminStatement(`create database ${name}`);
    const url = withDatabase(process.env.TEST_DATABASE_URL as string, name);
    const results = await Promise.allSettled(
      Array.from({ length: 3 }, () => openStorage({ databaseUrl: url, maxConnections: 2 })),
    );
    for (const result of results) if (result.status === "fulfilled") opened.push(result.value);
    expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual([
      "ok",
      "ok",
      "ok",
    ]);
    const rows = await (opened[0] as Storage).db.execute(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as {
      n: number;
    }[];
    expect(list[0]?.n).toBe(journal.entries.length);
  });
});
