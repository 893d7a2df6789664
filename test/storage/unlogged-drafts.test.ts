// What an interview writes (migration 0004): the per-source tables are UNLOGGED, a part carries
// no link to its draft, and what a lost draft leaves behind (parts, file bodies) is swept.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDraftsRepository } from "../../src/storage/drafts.repo.js";
import { createPartsRepository } from "../../src/storage/parts.repo.js";
import { attachmentChunks, parts } from "../../src/storage/schema.js";
import { createTestStorage, type TestStorage } from "../helpers/db.js";

const rowsOf = <T>(result: unknown): T[] =>
  (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];

describe("drafts and their parts at rest", () => {
  let storage: TestStorage;
  beforeAll(async () => {
    storage = await createTestStorage();
  });
  afterAll(async () => {
    await storage.close();
  });

  const draft = (userHash: string) => ({
    userHash,
    questionnaireVersion: 1,
    locale: "ru",
    position: null,
    sealedState: new Uint8Array([1, 2, 3]),
    createdOn: "2026-01-01",
    expiresOn: "2026-01-05",
  });

  it("keeps everything keyed to a source in UNLOGGED tables, and parts with no draft id", async () => {
    const tables = rowsOf<{ name: string; persistence: string }>(
      await storage.db.execute(sql`
        select relname as name, relpersistence::text as persistence from pg_class
        where relname in ('drafts', 'draft_parts', 'source_locks', 'rate_limits', 'parts')
        order by relname`),
    );
    expect(tables).toEqual([
      { name: "draft_parts", persistence: "u" },
      { name: "drafts", persistence: "u" },
      { name: "parts", persistence: "p" },
      { name: "rate_limits", persistence: "u" },
      { name: "source_locks", persistence: "u" },
    ]);
    const columns = rowsOf<{ name: string }>(
      await storage.db.execute(sql`
        select column_name as name from information_schema.columns where table_name = 'parts'`),
    ).map((c) => c.name);
    expect(columns).not.toContain("draft_id");
  });

  it("sweeps the parts and file bodies a lost draft left, and nothing of a live one", async () => {
    const drafts = createDraftsRepository({ db: storage.db });
    const repo = createPartsRepository({ db: storage.db });
    const live = await drafts.create(draft("live-key"));
    const lost = await drafts.create(draft("lost-key"));
    const add = (draftId: string, attachmentId: string) =>
      repo.add(
        { draftId },
        {
          kind: "attachment",
          ciphertext: new Uint8Array([9]),
          attachmentId,
          createdOn: "2026-01-01",
          recipients: [],
        },
      );
    const liveBody = "00000000-0000-4000-8000-0000000000a1";
    const lostBody = "00000000-0000-4000-8000-0000000000a2";
    const strayBody = "00000000-0000-4000-8000-0000000000a3";
    for (const id of [liveBody, lostBody, strayBody]) {
      await repo.writeChunk(id, 0, new Uint8Array([7]));
    }
    const livePart = await add(live.id, liveBody);
    await add(lost.id, lostBody);
    // As a crash of the database does to the unlogged tables: the draft and its links go.
    await drafts.delete(lost.id);

    expect(await repo.sweepOrphans()).toBe(1);
    await repo.sweepOrphanChunks();
    expect((await storage.db.select({ id: parts.id }).from(parts)).map((p) => p.id)).toEqual([
      livePart,
    ]);
    const bodies = await storage.db
      .select({ id: attachmentChunks.attachmentId })
      .from(attachmentChunks);
    expect(bodies.map((b) => b.id)).toEqual([liveBody]);
    expect((await repo.listForDraft(live.id)).map((p) => p.id)).toEqual([livePart]);
  });
});
