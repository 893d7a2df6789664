// Archives are hostile input on the editors' computer: crafted ones (path traversal, links,
// devices, NUL bytes, long and duplicate names, lying sizes, a hostile manifest, a compressed
// OpenPGP bomb) each get one clear error naming the archive, and nothing is written anywhere.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDesk } from "../../src/desk/server.js";
import { ARCHIVE_LIMITS, readArchive } from "../../src/services/archive/reader.js";
import { ArchiveError } from "../../src/services/archive/tar-header.js";
import { openArchive } from "../../src/services/archive/testimony.js";
import { writeTestimonyFolder } from "../../src/services/archive/testimony-folder.js";
import { type UnlockedPrivateKey, unlockPrivateKey } from "../../src/services/crypto/decrypt.js";
import type { EditorKeyring } from "../../src/services/crypto/editor-keys.js";
import { encryptTextForEditors } from "../../src/services/crypto/for-editors.js";
import { createExportService } from "../../src/services/submissions/export.js";
import type { PartsRepository } from "../../src/storage/parts.repo.js";
import type { SubmissionRow } from "../../src/storage/submissions.repo.js";
import {
  compressedMessage,
  filesBelow,
  json,
  makeValidArchive,
  manifestOf,
  type RawEntry,
  rawHeader,
  rawTar,
  type ValidArchive,
} from "../helpers/archives.js";
import {
  cleanupKeyFixtures,
  makeTestEditorKeyring,
  type TestKey,
  writeKeyFile,
} from "../helpers/keys.js";
import { runTsx } from "../helpers/run.js";

let keyring: EditorKeyring;
let key: TestKey;
let unlocked: UnlockedPrivateKey;
let valid: ValidArchive;
let root: string;

beforeAll(async () => {
  const made = await makeTestEditorKeyring(1);
  keyring = made.keyring;
  key = made.keys[0] as TestKey;
  unlocked = await unlockPrivateKey(key.armoredPrivateKey, key.passphrase);
  valid = await makeValidArchive(keyring);
  root = mkdtempSync(join(tmpdir(), "tb-hostile-"));
});
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await cleanupKeyFixtures();
});

/** The valid archive's entries with some replaced, added or removed. */
function variant(change: (entries: RawEntry[]) => RawEntry[]): Buffer {
  return rawTar(change(valid.entries.map((e) => ({ name: e.name, data: e.data }))));
}

const withManifest = (manifest: unknown) =>
  variant((entries) => [{ name: "manifest.json", data: json(manifest) }, ...entries.slice(1)]);

/** Every case of the issue, each with the words its error must contain. */
async function hostileCases(): Promise<{ name: string; bytes: Buffer; error: string }[]> {
  const bomb = await compressedMessage(key.armoredPublicKey, 10 * 1024 * 1024);
  expect(bomb.length).toBeLessThan(20_000); // ~1,000× smaller than what it expands to
  return [
    {
      name: "dotdot",
      bytes: variant((e) => [
        ...e,
        { name: "../../.config/autostart/evil.desktop", data: Buffer.from("x") },
      ]),
      error: "leaves its folder",
    },
    {
      name: "absolute",
      bytes: variant((e) => [...e, { name: "/tmp/evil.desktop", data: Buffer.from("x") }]),
      error: "is an absolute path",
    },
    {
      name: "symlink",
      bytes: variant((e) => [...e, { name: "parts/0009.pgp", type: "2", linkName: "/etc/passwd" }]),
      error: "is a symbolic link",
    },
    {
      name: "hardlink",
      bytes: variant((e) => [
        ...e,
        { name: "parts/0009.pgp", type: "1", linkName: "manifest.json" },
      ]),
      error: "is a hard link",
    },
    {
      name: "device",
      bytes: variant((e) => [...e, { name: "parts/0009.pgp", type: "3" }]),
      error: "is a character device",
    },
    {
      name: "nul",
      bytes: variant((e) => [
        ...e.slice(0, 2),
        { name: Buffer.from("parts/0002.pgp\0/../../evil"), data: e[2]?.data },
        ...e.slice(3),
      ]),
      error: "contains a NUL byte",
    },
    {
      name: "gnu-long-name",
      bytes: variant((e) => [
        ...e,
        { name: "././@LongLink", type: "L", data: Buffer.from(`${"a/".repeat(5_000)}x`) },
        { name: "x", data: Buffer.from("x") },
      ]),
      error: "is a GNU long name",
    },
    {
      name: "pax-long-name",
      bytes: variant((e) => [
        ...e,
        { name: "PaxHeader/x", type: "x", data: Buffer.from(`10015 path=${"b".repeat(10_000)}\n`) },
      ]),
      error: "is a pax extended header",
    },
    {
      name: "ustar-prefix",
      bytes: variant((e) => [
        ...e,
        { name: "x.pgp", prefix: "../../../../home/editor", data: Buffer.from("x") },
      ]),
      error: "has a name longer than 99 bytes",
    },
    {
      name: "duplicate",
      bytes: variant((e) => [...e.slice(0, 3), e[2] as RawEntry, ...e.slice(3)]),
      error: "appears twice",
    },
    {
      name: "zero-parts-hostile-number",
      bytes: rawTar([
        {
          name: "manifest.json",
          data: json(manifestOf({ submission: "../../.config/autostart" as unknown as number })),
        },
      ]),
      error: "manifest.json is not a valid export manifest (submission:",
    },
    {
      name: "zero-parts-huge-number",
      bytes: rawTar([{ name: "manifest.json", data: json(manifestOf({ submission: 1e300 })) }]),
      error: "manifest.json is not a valid export manifest (submission:",
    },
    {
      name: "hostile-question-id",
      bytes: withManifest({
        ...valid.manifest,
        parts: valid.manifest.parts.map((p, i) =>
          i === 2 ? { ...p, questionId: "../../../.config/autostart/evil" } : p,
        ),
      }),
      error: "(parts.2.questionId: expected [a-z0-9_]",
    },
    {
      name: "hostile-kind",
      bytes: withManifest({
        ...valid.manifest,
        parts: valid.manifest.parts.map((p, i) => (i === 0 ? { ...p, kind: "x/../../y" } : p)),
      }),
      error: "(parts.0.kind: expected [a-z0-9_]",
    },
    {
      name: "unlisted-entry",
      bytes: variant((e) => [...e, { name: "parts/0099.pgp", data: Buffer.from("x") }]),
      error: "entry parts/0099.pgp is not listed in manifest.json",
    },
    {
      name: "huge-declared-size",
      bytes: variant((e) => [
        ...e.slice(0, 4),
        { name: "parts/0003.body.pgp", size: 0o77777777777, data: Buffer.alloc(0) },
      ]),
      error: "entry parts/0003.body.pgp is too large (8589934591 bytes, at most 67108864)",
    },
    {
      name: "compressed-bomb",
      bytes: variant((e) => [
        ...e.slice(0, 2),
        { name: "parts/0002.pgp", data: bomb },
        ...e.slice(3),
      ]),
      error: "compressed data, which the bot never writes",
    },
  ];
}

describe("hostile archives, opened in the editor's tool", () => {
  it("refuses each crafted case with one clear error", async () => {
    for (const { name, bytes, error } of await hostileCases()) {
      const opened = openArchive(bytes, unlocked);
      await expect(opened, name).rejects.toThrow(error);
    }
    // The untouched archive opens.
    const testimony = await openArchive(valid.bytes, unlocked);
    expect(testimony.items.map((i) => i.text ?? i.attachment?.fileName)).toEqual([
      "mobilized",
      "Нас держали в ангаре",
      "03-story-voice.ogg",
      "Спасибо",
    ]);
  });

  it("refuses a file description whose kind would become a path", async () => {
    const archive = await makeValidArchive(keyring, {
      meta: { kind: "../../../.config/autostart/evil", fileName: "x.desktop" },
    });
    await expect(openArchive(archive.bytes, unlocked)).rejects.toThrow(
      "the description of parts/0003.pgp is not a valid file description",
    );
  });

  it("stops reading at a lying header: never more than a block past it, nothing allocated for it", async () => {
    let pulled = 0;
    async function* endless() {
      const head = variant((e) => e.slice(0, 4)).subarray(0, -1024); // no end marker
      pulled += head.length;
      yield head;
      const lie = rawHeader({ name: "parts/0003.body.pgp", size: 0o77777777777 });
      pulled += lie.length;
      yield lie;
      for (;;) {
        pulled += 65_536;
        yield new Uint8Array(65_536);
      }
    }
    await expect(readArchive(endless())).rejects.toThrow("is too large");
    expect(pulled).toBeLessThan(valid.bytes.length + 65_536);
  });

  it("does not read endless padding after the end of an archive", async () => {
    let pulled = 0;
    async function* padded() {
      pulled += valid.bytes.length;
      yield valid.bytes;
      for (;;) {
        pulled += 65_536;
        yield new Uint8Array(65_536);
      }
    }
    await expect(readArchive(padded())).rejects.toThrow("the archive has data after its end");
    expect(pulled).toBeLessThan(valid.bytes.length + 2 * 1024 * 1024);
  });

  it("keeps to the total limit, counting bytes as they arrive", async () => {
    let pulled = 0;
    const body = { name: "parts/0003.body.pgp", data: new Uint8Array(600_000) };
    async function* chunks() {
      for (const chunk of [variant((e) => [...e.slice(0, 4), body])]) {
        for (let i = 0; i < chunk.length; i += 4096) {
          pulled += Math.min(4096, chunk.length - i);
          yield chunk.subarray(i, i + 4096);
        }
      }
    }
    await expect(readArchive(chunks(), { limits: { totalBytes: 500_000 } })).rejects.toThrow(
      "the archive is too large (more than 500000 bytes)",
    );
    expect(pulled).toBeLessThan(20_000);
    expect(ARCHIVE_LIMITS.bodyBytes).toBe(64 * 1024 * 1024); // as README says
  });

  it("never writes through a link planted in the output folder", async () => {
    const out = join(root, "planted-out");
    const elsewhere = join(root, "elsewhere");
    mkdirSync(out);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(out, "submission-7"));
    const testimony = await openArchive(valid.bytes, unlocked);
    await expect(writeTestimonyFolder(testimony, out, "en")).rejects.toThrow(ArchiveError);
    await expect(writeTestimonyFolder(testimony, out, "en")).rejects.toThrow("is a link");
    expect(filesBelow(elsewhere)).toEqual([]);
  });
});

describe("values planted in the database", () => {
  it("are refused when /export copies them into an archive", async () => {
    const ciphertext = await encryptTextForEditors(keyring, "x");
    const exporter = (row: Record<string, unknown>) =>
      createExportService({
        parts: {
          listForSubmission: async () => [{ seq: 0, attachmentId: null, ciphertext, ...row }],
        } as unknown as PartsRepository,
      });
    const submission = {
      id: "s",
      number: 12,
      questionnaireVersion: 1,
      locale: "ru",
      status: "new",
      createdOn: "2026-03-01",
    } as SubmissionRow;
    const planted = exporter({ questionId: "../../../.config/autostart/evil", kind: "text" });
    await expect(openArchive(planted.archive(submission), unlocked)).rejects.toThrow(
      "(parts.0.questionId: expected [a-z0-9_]",
    );
    const status = exporter({ questionId: "story", kind: "text" });
    await expect(
      openArchive(status.archive({ ...submission, status: "../x" } as SubmissionRow), unlocked),
    ).rejects.toThrow("(status: expected [a-z0-9_]");
    const fine = exporter({ questionId: "story", kind: "text" });
    expect((await openArchive(fine.archive(submission), unlocked)).items).toEqual([
      { questionId: "story", kind: "text", text: "x" },
    ]);
  });
});

describe("the desk with hostile archives", () => {
  it("lists each one it cannot read as a problem naming it, and serves none of them", async () => {
    const inbox = join(root, "desk-inbox");
    mkdirSync(inbox);
    const files = [];
    for (const { name, bytes } of (await hostileCases()).slice(10, 14)) {
      const file = join(inbox, `${name}.tar`);
      writeFileSync(file, bytes);
      files.push(file);
    }
    const desk = await startDesk({ source: { archives: files } });
    try {
      expect(desk.problems).toHaveLength(files.length);
      for (const [index, problem] of desk.problems.entries()) {
        expect(problem).toMatch(new RegExp(`^${files[index]}: manifest.json is not a valid`));
      }
    } finally {
      await desk.close();
    }
  });
});

describe("editor decrypt with hostile archives", () => {
  it("names each bad archive once, writes nothing for it, and still decrypts the good one", async () => {
    const base = join(root, "cli");
    const home = join(base, "home");
    const out = join(home, "out");
    const inbox = join(base, "inbox");
    mkdirSync(join(home, ".config"), { recursive: true });
    mkdirSync(inbox);
    const keyFile = await writeKeyFile(base, "editor.private.asc", key.armoredPrivateKey);
    const cases = await hostileCases();
    const files = cases.map(({ name, bytes }) => {
      const file = join(inbox, `${name}.tar`);
      writeFileSync(file, bytes);
      return file;
    });
    const good = join(inbox, "submission-7.tar");
    writeFileSync(good, valid.bytes);

    const run = runTsx(
      "src/cli/editor.ts",
      ["decrypt", ...files, good, "--key", keyFile, "--out", out, "--lang", "en"],
      { input: `${key.passphrase}\n`, env: { ...process.env, HOME: home }, cwd: home },
    );
    if (process.env.SHOW_ERRORS) console.log(run.stderr);
    expect(run.status).toBe(1);
    const errors = String(run.stderr).trimEnd().split("\n");
    expect(errors).toHaveLength(cases.length);
    for (const [index, { name, error }] of cases.entries()) {
      expect(errors[index]?.startsWith(`error: ${files[index]}: `), name).toBe(true);
      expect(errors[index], name).toContain(error);
    }
    expect(run.stdout).toContain(`${good} → `);
    // Only the good archive's folder, and nothing anywhere else in the home folder.
    expect(filesBelow(home)).toEqual([
      "out/submission-7/attachments/03-story-voice.ogg",
      "out/submission-7/meta.json",
      "out/submission-7/testimony.md",
    ]);
    expect(
      filesBelow(base).filter((f) => !f.startsWith("inbox/") && !f.startsWith("home/")),
    ).toEqual(["editor.private.asc"]);
  }, 60_000);
});
