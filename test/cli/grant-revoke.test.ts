// Editors come and go: `editor grant` lets a new editor's key open every stored testimony (gpg 2.2
// and the desk's path read them), `editor revoke` takes a departed editor's key off them, and a
// hostile stored value stops either one with nothing changed.
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openArchive } from "../../src/services/archive/testimony.js";
import { NotForThisKeyError, unlockPrivateKey } from "../../src/services/crypto/decrypt.js";
import { openStorage, type Storage } from "../../src/storage/db.js";
import { createArchiveServices } from "../../src/wiring.js";
import { dropDatabase, usingPostgres } from "../helpers/db.js";
import { decryptSubmission } from "../helpers/decrypt.js";
import { startTestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import { cleanupKeyFixtures, GpgHome, type TestKey } from "../helpers/keys.js";
import { runTsx } from "../helpers/run.js";

const STORIES = [
  "Первая история: нас держали в ангаре",
  "Вторая история: командир забрал паспорта",
  "Третья история: мы ушли ночью через лес",
];
const FILE = Buffer.from("scan of an order, page 1");

interface Stored {
  id: string;
  ciphertext: Uint8Array;
  body?: Uint8Array;
}

describe("editor grant and revoke", () => {
  let dir: string;
  let location: string[];
  let databaseName: string | undefined;
  let editors: TestKey[];
  let editorFile: string;
  let gpg: GpgHome;
  let newcomer: TestKey;
  let newcomerPublicFile: string;
  let before: Stored[];

  const open = (): Promise<Storage> =>
    usingPostgres
      ? openStorage({ databaseUrl: location[1] as string, maxConnections: 2 })
      : openStorage({ dataDir: location[1] as string });

  async function withDb<T>(fn: (storage: Storage) => Promise<T>): Promise<T> {
    const storage = await open();
    try {
      return await fn(storage);
    } finally {
      await storage.close();
    }
  }

  async function readAll(storage: Storage): Promise<Stored[]> {
    const { parts } = createArchiveServices({ db: storage.db });
    const stored: Stored[] = [];
    for await (const page of parts.scan()) {
      for (const part of page) {
        const entry: Stored = { id: part.id, ciphertext: part.ciphertext };
        if (part.attachmentId) {
          const chunks: Uint8Array[] = [];
          for await (const chunk of parts.readAttachment(part.attachmentId)) chunks.push(chunk);
          entry.body = Buffer.concat(chunks);
        }
        stored.push(entry);
      }
    }
    return stored;
  }

  const editor = (args: string[], passphrase: string) =>
    runTsx("src/cli/editor.ts", [...args, ...location], { input: `${passphrase}\n` });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tb-grant-"));
    const bot = await startTestBot({ dataDir: usingPostgres ? undefined : join(dir, "data") });
    for (const [i, story] of STORIES.entries()) {
      const source = bot.api.user({ id: 8200 + i, first_name: "S", language_code: "en" });
      await driveInterview(bot.api, source, {
        texts: [story],
        language: "en",
        ...(i === 1 ? { file: FILE } : {}),
      });
    }
    await bot.idle();
    editors = bot.editorKeys;
    const url = bot.storage.url;
    databaseName = url ? new URL(url).pathname.slice(1) : undefined;
    location = url ? ["--database-url", url] : ["--data-dir", join(dir, "data")];
    await bot.stop({ keepDatabase: true });

    editorFile = join(dir, "editor-1.private.asc");
    writeFileSync(editorFile, (editors[0] as TestKey).armoredPrivateKey);
    // The new editor's key is made with GnuPG 2.2, as a newcomer would make it.
    gpg = await GpgHome.create();
    const fingerprint = gpg.generateKey("New Editor <new@example.org>");
    newcomerPublicFile = join(dir, "new-editor.public.asc");
    writeFileSync(newcomerPublicFile, gpg.exportPublicKey(fingerprint));
    newcomer = {
      name: "New Editor",
      armoredPublicKey: gpg.exportPublicKey(fingerprint),
      armoredPrivateKey: gpg.ok(["--armor", "--export-secret-keys", fingerprint]).toString(),
      passphrase: "",
      fingerprint,
    };
    before = await withDb(readAll);
  }, 120_000);

  afterAll(async () => {
    if (databaseName) await dropDatabase(databaseName);
    await cleanupKeyFixtures();
  });

  it("refuses a malformed recipient list with one line, and changes nothing", async () => {
    const [victim] = before;
    const original = await withDb(async (s) => {
      const rows = rowsOf(
        await s.db.execute(sql`select recipients::text as r from parts where id = ${victim?.id}`),
      );
      return rows[0]?.r as string;
    });
    await withDb((s) =>
      s.db.execute(
        sql`update parts set recipients = '[{"fingerprint":"not hex","keyId":"00"}]'::jsonb where id = ${victim?.id}`,
      ),
    );
    const run = editor(
      ["grant", "--key", editorFile, "--to", newcomerPublicFile],
      editors[0]?.passphrase ?? "",
    );
    expect(run.status).toBe(1);
    expect(String(run.stderr).trim().split("\n"), String(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain(`part ${victim?.id}: the recipient list is malformed`);
    expect(run.stderr).toContain("nothing was changed");
    const after = await withDb(readAll);
    expect(after.map((p) => hash(p.ciphertext))).toEqual(before.map((p) => hash(p.ciphertext)));
    await withDb((s) =>
      s.db.execute(sql`update parts set recipients = ${original}::jsonb where id = ${victim?.id}`),
    );
  });

  it("refuses a part that is not OpenPGP with one line, and changes nothing", async () => {
    const victim = before.at(-1) as Stored;
    await withDb((s) =>
      s.db.execute(
        sql`update parts set ciphertext = ${Buffer.from("hello")} where id = ${victim.id}`,
      ),
    );
    const run = editor(
      ["grant", "--key", editorFile, "--to", newcomerPublicFile],
      editors[0]?.passphrase ?? "",
    );
    expect(run.status).toBe(1);
    expect(String(run.stderr).trim().split("\n"), String(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain("not an OpenPGP message");
    const after = await withDb(readAll);
    expect(after.filter((p) => p.id !== victim.id).map((p) => hash(p.ciphertext))).toEqual(
      before.filter((p) => p.id !== victim.id).map((p) => hash(p.ciphertext)),
    );
    await withDb((s) =>
      s.db.execute(
        sql`update parts set ciphertext = ${Buffer.from(victim.ciphertext)} where id = ${victim.id}`,
      ),
    );
  });

  it("grants every part to the new key: gpg 2.2 and the desk open all three, data untouched", async () => {
    const run = editor(
      ["grant", "--key", editorFile, "--to", newcomerPublicFile],
      editors[0]?.passphrase ?? "",
    );
    expect(run.stderr).not.toContain("error");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`${before.length} part(s): ${before.length} granted`);

    const after = await withDb(readAll);
    expect(after.map((p) => p.id)).toEqual(before.map((p) => p.id));
    for (const [i, part] of after.entries()) {
      const old = before[i] as Stored;
      // Only recipient packets were inserted: the encrypted data packet's bytes (and hash) are
      // the same as before.
      expect(dataHashAfterInsertion(old.ciphertext, part.ciphertext)).toBe(
        hash(old.ciphertext.subarray(commonPrefix(old.ciphertext, part.ciphertext))),
      );
      expect(gpg.decrypt(part.ciphertext).status).toBe(0);
      if (old.body) {
        expect(part.body).toBeDefined();
        expect(dataHashAfterInsertion(old.body, part.body as Uint8Array)).toBe(
          hash(old.body.subarray(commonPrefix(old.body, part.body as Uint8Array))),
        );
        const file = gpg.decrypt(part.body as Uint8Array);
        expect(file.status).toBe(0);
        expect(file.stdout.equals(FILE)).toBe(true);
      }
    }

    await withDb(async (storage) => {
      const { submissions, parts, exporter } = createArchiveServices({ db: storage.db });
      const rows = await submissions.list();
      expect(rows).toHaveLength(3);
      const unlocked = await unlockPrivateKey(newcomer.armoredPrivateKey, "");
      const read: string[] = [];
      for (const row of rows) {
        // The desk's path: the submission's archive, opened with the new key.
        const testimony = await openArchive(exporter.archive(row), unlocked);
        read.push(testimony.items.map((item) => item.text ?? "").join("\n"));
        // Its manifest names the new key among the readers (from the parts' recipient lists).
        expect(testimony.manifest.recipients).toContain(newcomer.fingerprint);
        const decrypted = await decryptSubmission(parts, row.id, newcomer);
        expect(decrypted.length).toBeGreaterThan(0);
      }
      for (const story of STORIES) expect(read.join("\n")).toContain(story);
      // Each part names its readers: both old editors and the newcomer.
      const listed = await storage.db.execute(sql`select recipients from parts`);
      for (const row of rowsOf(listed)) {
        const fingerprints = (row.recipients as { fingerprint: string }[]).map(
          (r) => r.fingerprint,
        );
        expect(fingerprints).toContain(newcomer.fingerprint);
        expect(fingerprints).toContain(editors[1]?.fingerprint);
      }
    });
  });

  it("is idempotent: a second grant changes nothing", async () => {
    const first = await withDb(readAll);
    const run = editor(
      ["grant", "--key", editorFile, "--to", newcomerPublicFile],
      editors[0]?.passphrase ?? "",
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`0 granted, ${before.length} already`);
    const again = await withDb(readAll);
    expect(again.map((p) => hash(p.ciphertext))).toEqual(first.map((p) => hash(p.ciphertext)));
  });

  it("revokes a departed editor's key: it opens none of them; the others still do", async () => {
    const departed = editors[1] as TestKey;
    const run = editor(
      ["revoke", "--key", editorFile, "--fingerprint", departed.fingerprint],
      editors[0]?.passphrase ?? "",
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`${before.length} revoked`);
    expect(run.stdout).toContain("cannot undo");

    await withDb(async (storage) => {
      const { submissions, parts } = createArchiveServices({ db: storage.db });
      for (const row of await submissions.list()) {
        await expect(decryptSubmission(parts, row.id, departed)).rejects.toBeInstanceOf(
          NotForThisKeyError,
        );
        expect((await decryptSubmission(parts, row.id, newcomer)).length).toBeGreaterThan(0);
        expect(
          (await decryptSubmission(parts, row.id, editors[0] as TestKey)).length,
        ).toBeGreaterThan(0);
      }
      const listed = await storage.db.execute(sql`select recipients from parts`);
      for (const row of rowsOf(listed)) {
        const fingerprints = (row.recipients as { fingerprint: string }[]).map(
          (r) => r.fingerprint,
        );
        expect(fingerprints).not.toContain(departed.fingerprint);
      }
    });
    // Every stored byte after the recipient packets is still what the bot wrote.
    const after = await withDb(readAll);
    for (const [i, part] of after.entries()) {
      const old = before[i] as Stored;
      const tail = old.ciphertext.length - commonPrefixFromEnd(old.ciphertext, part.ciphertext);
      expect(tail).toBeLessThan(1024);
    }
  });
});

function hash(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function commonPrefixFromEnd(a: Uint8Array, b: Uint8Array): number {
  let i = 0;
  while (i < a.length && i < b.length && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}

/** The hash of what follows an insertion into `before` (throws unless `after` only inserted). */
function dataHashAfterInsertion(before: Uint8Array, after: Uint8Array): string {
  const start = commonPrefix(before, after);
  const rest = before.length - start;
  const tail = after.subarray(after.length - rest);
  if (!Buffer.from(tail).equals(Buffer.from(before.subarray(start)))) {
    throw new Error("more than recipient packets changed");
  }
  return hash(tail);
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<
    string,
    unknown
  >[];
}
