// The scrub on PostgreSQL, byte by byte: VACUUM FULL copies a deleted row into the new file while
// a snapshot may still see it: one of the same database older than the delete (another instance's
// query, autovacuum's ANALYZE), or VACUUM FULL's own, held back by any transaction still running
// in the cluster (another database's CREATE DATABASE). A scrub that ran then left the draft in the
// table's files until the next one, and the clean stop's scrub is the last. So the scrub waits.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDraftsRepository } from "../../src/storage/drafts.repo.js";
import { createTestStorage, type TestStorage, usingPostgres } from "../helpers/db.js";

const rowsOf = <T>(result: unknown): T[] =>
  (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];

describe.skipIf(!usingPostgres)("the scrub on PostgreSQL", () => {
  let storage: TestStorage;
  let other: postgres.Sql;
  beforeAll(async () => {
    storage = await createTestStorage();
    other = postgres(storage.url as string, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await other.end({ timeout: 1 });
    await storage.close();
  });

  /** The bytes of the drafts table's files (heap and indexes), or why they cannot be read. */
  const draftsFiles = async (): Promise<Buffer> => {
    const [{ dir } = { dir: "" }] = rowsOf<{ dir: string }>(
      await storage.db.execute(sql`select current_setting('data_directory') as dir`),
    );
    const paths = rowsOf<{ path: string }>(
      await storage.db.execute(sql`
        select pg_relation_filepath(c.oid) as path from pg_class c
        where c.oid = 'drafts'::regclass
           or c.oid in (select indexrelid from pg_index where indrelid = 'drafts'::regclass)`),
    );
    return Buffer.concat(paths.map(({ path }) => readFileSync(join(dir, path))));
  };

  /** A draft whose row is in the table's files (the rewrite writes it there), seen there first. */
  const plantDraft = async (name: string) => {
    const marker = `scrub-marker-${name}-${Date.now()}`;
    const drafts = createDraftsRepository({ db: storage.db });
    const draft = await drafts.create({
      userHash: marker,
      questionnaireVersion: 1,
      locale: "ru",
      position: null,
      sealedState: new TextEncoder().encode(`${marker}-sealed`),
      createdOn: "2026-01-01",
      expiresOn: "2026-01-05",
    });
    await storage.scrub();
    expect((await draftsFiles()).includes(Buffer.from(marker))).toBe(true);
    return { marker, draft, drafts };
  };

  it("leaves no deleted draft in the table's files while an older transaction is open", async () => {
    const { marker, draft, drafts } = await plantDraft("same-database");
    // Another session's snapshot, taken while the draft was there, still open at the scrub (on
    // another table: a lock on drafts itself would make VACUUM FULL wait anyway).
    const older = other.begin("isolation level repeatable read", async (tx) => {
      await tx`select count(*) from submissions`;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await drafts.delete(draft.id);
    await storage.scrub();
    await older;
    const bytes = await draftsFiles();
    expect(bytes.includes(Buffer.from(marker))).toBe(false);
  });

  it("leaves no deleted draft while a transaction of another database is running", async () => {
    // A running transaction anywhere in the cluster holds back every new snapshot's xmin, and
    // VACUUM FULL's own snapshot with it (another database's CREATE DATABASE, say).
    const { marker, draft, drafts } = await plantDraft("other-database");
    const elsewhere = postgres(process.env.TEST_DATABASE_URL as string, {
      max: 1,
      onnotice: () => {},
    });
    try {
      const running = elsewhere.begin(async (tx) => {
        await tx`select pg_current_xact_id()`;
        await new Promise((resolve) => setTimeout(resolve, 1_500));
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await drafts.delete(draft.id);
      await storage.scrub();
      await running;
    } finally {
      await elsewhere.end({ timeout: 1 });
    }
    expect((await draftsFiles()).includes(Buffer.from(marker))).toBe(false);
  });
});
