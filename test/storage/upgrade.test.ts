// A database made by the previous release (migrations 0000–0001) migrates and keeps working:
// the table of language choices and the sealed reply links go, an interview in progress is found
// again and moved to its new key, and an old submission still exports and decrypts.
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openArchive } from "../../src/services/archive/testimony.js";
import { unlockPrivateKey } from "../../src/services/crypto/decrypt.js";
import { encryptTextForEditors } from "../../src/services/crypto/for-editors.js";
import { answerCounts, createInterviewService } from "../../src/services/interview/draft-store.js";
import {
  DEFAULT_QUESTIONNAIRE_PATH,
  loadQuestionnaire,
} from "../../src/services/interview/questionnaire.js";
import { legacyUserHash } from "../../src/services/sources/keys.js";
import { createSealer } from "../../src/services/sources/sealing.js";
import { createExportService } from "../../src/services/submissions/export.js";
import { writeTar } from "../../src/services/submissions/tar.js";
import { MIGRATIONS_DIR, openStorage, type Storage } from "../../src/storage/db.js";
import { createDraftsRepository } from "../../src/storage/drafts.repo.js";
import { createPartsRepository } from "../../src/storage/parts.repo.js";
import { createSubmissionsRepository } from "../../src/storage/submissions.repo.js";
import { adminStatement, dropDatabase, usingPostgres, withDatabase } from "../helpers/db.js";
import { cleanupKeyFixtures, makeTestEditorKeyring, type TestKey } from "../helpers/keys.js";
import { readTar } from "../helpers/tar.js";

const USER_ID = 7611234509;
const STORY = "Старый рассказ до обновления";

/** The migrations folder as the previous release shipped it: 0000 and 0001 only. */
function previousMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), "tb-migrations-"));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  const journalFile = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8"));
  journal.entries = journal.entries.filter((entry: { idx: number }) => entry.idx <= 1);
  writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

describe("upgrading a database made by the previous release", () => {
  const pepper = randomBytes(32);
  const serverKey = randomBytes(32);
  const sealer = createSealer(serverKey);
  let dataDir = "";
  let databaseName = "";
  let storage: Storage;
  let key: TestKey;
  let keyring: Awaited<ReturnType<typeof makeTestEditorKeyring>>["keyring"];

  beforeAll(async () => {
    const editors = await makeTestEditorKeyring(1);
    keyring = editors.keyring;
    key = editors.keys[0] as TestKey;
    const migrations = previousMigrations();
    const run = async (statement: string) => {
      if (usingPostgres) {
        const client = postgres(
          withDatabase(process.env.TEST_DATABASE_URL as string, databaseName),
          {
            max: 1,
            onnotice: () => {},
          },
        );
        try {
          await client.unsafe(statement);
        } finally {
          await client.end();
        }
      } else {
        const pg = await PGlite.create(join(dataDir, "db"));
        try {
          await pg.exec(statement);
        } finally {
          await pg.close();
        }
      }
    };

    // The previous release's schema.
    if (usingPostgres) {
      databaseName = `tb_upgrade_${randomBytes(4).toString("hex")}`;
      await adminStatement(`create database ${databaseName}`);
      const url = withDatabase(process.env.TEST_DATABASE_URL as string, databaseName);
      const client = postgres(url, { max: 1, onnotice: () => {} });
      await migratePostgres(drizzlePostgres({ client }), { migrationsFolder: migrations });
      await client.end();
    } else {
      dataDir = mkdtempSync(join(tmpdir(), "tb-upgrade-"));
      mkdirSync(join(dataDir, "db"));
      const pg = await PGlite.create(join(dataDir, "db"));
      await migratePglite(drizzlePglite({ client: pg }), { migrationsFolder: migrations });
      await pg.close();
    }
    rmSync(migrations, { recursive: true, force: true });

    // What the previous release wrote: a language choice, a draft keyed by a fast HMAC with a
    // plaintext position and question ids, and a submission with a sealed reply link.
    const hex = (bytes: Uint8Array) => `'\\x${Buffer.from(bytes).toString("hex")}'`;
    const state = sealer.sealJson(
      { choices: { consent: ["yes"] }, skipped: [], textLength: {}, attachments: {} },
      `draft:${USER_ID}`,
    );
    const consent = await encryptTextForEditors(keyring, "yes");
    const story = await encryptTextForEditors(keyring, STORY);
    await run(`
      insert into preferences values ('${legacyUserHash(pepper, USER_ID)}', 'en');
      insert into drafts values ('00000000-0000-4000-8000-0000000000d1',
        '${legacyUserHash(pepper, USER_ID)}', 1, 'ru', 'role', ${hex(state)},
        '2026-12-01', '2026-12-31');
      insert into parts (draft_id, question_id, kind, seq, ciphertext, created_on) values
        ('00000000-0000-4000-8000-0000000000d1', 'consent', 'choice', 1, ${hex(consent)},
         '2026-12-01');
      insert into submissions (id, questionnaire_version, locale, created_on, codename_hash,
        reply_public_key, reply_private_key, reply_notice) values
        ('00000000-0000-4000-8000-0000000000e1', 1, 'ru', '2026-11-30', 'old-hash',
         '\\x01', '\\x02', '\\x03');
      insert into parts (submission_id, question_id, kind, seq, ciphertext, created_on) values
        ('00000000-0000-4000-8000-0000000000e1', 'story', 'text', 1, ${hex(story)},
         '2026-11-30');`);

    storage = usingPostgres
      ? await openStorage({
          databaseUrl: withDatabase(process.env.TEST_DATABASE_URL as string, databaseName),
        })
      : await openStorage({ dataDir });
  });

  afterAll(async () => {
    await storage?.close();
    if (databaseName) await dropDatabase(databaseName);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await cleanupKeyFixtures();
  });

  const tables = async () => {
    const result = await storage.db.execute<{ name: string }>(
      sql`select table_name as name from information_schema.tables where table_schema = 'public'`,
    );
    const rows = Array.isArray(result) ? result : (result as { rows: { name: string }[] }).rows;
    return rows.map((row) => row.name);
  };

  it("drops the language table and the sealed reply links", async () => {
    expect(await tables()).not.toContain("preferences");
    const [row] = await createSubmissionsRepository({ db: storage.db }).list();
    expect(row?.number).toBe(1);
    expect(row && "replyNotice" in row).toBe(false);
    expect(row?.notified).toBe(true); // old submissions are not announced again
  });

  it("finds the interview in progress, moves it to its new key and keeps its answers", async () => {
    const drafts = createDraftsRepository({ db: storage.db });
    const interview = createInterviewService({
      drafts,
      parts: createPartsRepository({ db: storage.db }),
      keyring,
      sealer,
      pepper,
      questionnaire: loadQuestionnaire(DEFAULT_QUESTIONNAIRE_PATH),
      limits: { draftTtlHours: 72, maxTextLength: 20_000, maxAttachmentsPerSubmission: 30 },
      now: () => new Date("2026-12-03T12:00:00Z"),
    });
    const draft = await interview.find(USER_ID);
    expect(draft?.position).toBe("role");
    expect(draft?.state.choices).toEqual({ consent: ["yes"] });
    if (!draft) throw new Error("the old draft was not found");
    expect(answerCounts(draft)).toEqual({ consent: { parts: 1, files: 0 } });
    // Now under the memory-hard key, with no plaintext position.
    expect(await drafts.find(legacyUserHash(pepper, USER_ID))).toBeUndefined();
    const moved = await drafts.find(await interview.lookupKey(USER_ID));
    expect(moved?.id).toBe(draft.id);
    expect(moved?.position).toBeNull();
    // It goes on: a new answer, then found again with the new key alone.
    const answered = await interview.handle(draft, {
      type: "choose",
      question: "role",
      option: "conscript",
    });
    if (!answered.draft) throw new Error("the answer ended the interview");
    await interview.save(USER_ID, answered.draft, answered.writes);
    expect((await interview.find(USER_ID))?.position).toBe("branch");
  });

  it("exports the old submission so that the editor tool still names its questions", async () => {
    const submissions = createSubmissionsRepository({ db: storage.db });
    const row = await submissions.findByNumber(1);
    if (!row) throw new Error("no old submission");
    const chunks: Uint8Array[] = [];
    for await (const chunk of createExportService({
      parts: createPartsRepository({ db: storage.db }),
    }).archive(row)) {
      chunks.push(chunk);
    }
    const unlocked = await unlockPrivateKey(key.armoredPrivateKey, key.passphrase);
    const archive = Buffer.concat(chunks);
    const testimony = await openArchive(archive, unlocked);
    expect(testimony.items).toEqual([
      {
        questionId: "story",
        kind: "text",
        text: STORY,
        day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      },
    ]);

    // The same archive as the previous release wrote it (format 1) opens the same way.
    const entries = readTar(archive).map((entry) => {
      if (entry.name !== "manifest.json") return entry;
      const manifest = JSON.parse(Buffer.from(entry.data).toString("utf8"));
      return { ...entry, data: Buffer.from(JSON.stringify({ ...manifest, format: 1 })) };
    });
    async function* list() {
      for (const e of entries) yield { name: e.name, size: e.data.length, chunks: [e.data] };
    }
    const old: Uint8Array[] = [];
    for await (const chunk of writeTar(list())) old.push(chunk);
    expect((await openArchive(Buffer.concat(old), unlocked)).items).toEqual(testimony.items);
  });
});
