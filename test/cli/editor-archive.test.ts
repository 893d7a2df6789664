// The editor tool on real exports: decrypt (and its errors), volumes, export from the
// database, reply without Telegram.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatFingerprint } from "../../src/services/crypto/editor-keys.js";
import { archiveName } from "../../src/services/submissions/export.js";
import { splitVolumes, writeTar } from "../../src/services/submissions/tar.js";
import { usingPostgres } from "../helpers/db.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import { makeOpenpgpKey, type TestKey, writeKeyFile } from "../helpers/keys.js";
import { runTsx } from "../helpers/run.js";
import { readTar } from "../helpers/tar.js";

const STORY = "Нас держали в ангаре без связи две недели";

describe("editor tool with archives", () => {
  let bot: TestBot;
  let dir: string;
  let archive: Uint8Array;
  let key: TestKey;
  let keyFile: string;
  let codename: string;

  const decrypt = (files: string[], passphrase: string, extra: string[] = [], keyPath = keyFile) =>
    runTsx(
      "src/cli/editor.ts",
      ["decrypt", ...files, "--key", keyPath, "--out", join(dir, "out"), ...extra],
      {
        input: `${passphrase}\n`,
      },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tb-cli-"));
    bot = await startTestBot({ dataDir: usingPostgres ? undefined : join(dir, "data") });
    const source = bot.api.user({ id: 8101, first_name: "S", language_code: "en" });
    codename =
      (await driveInterview(bot.api, source, {
        texts: [STORY],
        language: "en",
        file: Buffer.from("file body"),
      })) ?? "";
    const [row] = await bot.app.repositories.submissions.list();
    const chunks: Uint8Array[] = [];
    for await (const chunk of bot.app.services.exporter.archive(row as NonNullable<typeof row>))
      chunks.push(chunk);
    archive = Buffer.concat(chunks);
    key = bot.editorKeys[0] as TestKey;
    keyFile = join(dir, "editor.private.asc");
    writeFileSync(keyFile, key.armoredPrivateKey);
    writeFileSync(join(dir, archiveName(1)), archive);
  });
  afterAll(() => bot.stop());

  it("renders the questions in the editor's language (--lang en), answers quoted", () => {
    const run = decrypt([join(dir, archiveName(1))], key.passphrase, ["--lang", "en"]);
    expect(run.status).toBe(0);
    const markdown = readFileSync(join(dir, "out/submission-1/testimony.md"), "utf8");
    expect(markdown).toContain("# Testimony #1");
    expect(markdown).toContain(`\n${STORY}\n`);
    expect(markdown).toContain("## How did you serve?");
    expect(run.stdout).toContain("plaintext");
  });

  it("joins numbered volumes back together", async () => {
    const files: string[] = [];
    let index = 0;
    async function* whole() {
      yield archive;
    }
    for await (const volume of splitVolumes(whole(), 4096)) {
      const file = join(dir, `${archiveName(1)}.${String(++index).padStart(3, "0")}`);
      writeFileSync(file, volume);
      files.push(file);
    }
    expect(files.length).toBeGreaterThan(2);
    const run = decrypt([...files].reverse(), key.passphrase);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("says when the archive is for other keys", async () => {
    const stranger = await makeOpenpgpKey("Stranger");
    const strangerFile = await writeKeyFile(
      dir,
      "stranger.private.asc",
      stranger.armoredPrivateKey,
    );
    // No passphrase on stdin: the refusal comes before it would be asked for.
    const run = decrypt([join(dir, archiveName(1))], "", [], strangerFile);
    expect(run.status).toBe(1);
    const lines = String(run.stderr).split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    // Primary fingerprints, in the form /keys and `keys check` print them.
    expect(lines[0]).toContain(
      `is not encrypted to your key ${formatFingerprint(stranger.fingerprint)}`,
    );
    for (const editor of bot.editorKeys) {
      expect(lines[0]).toContain(formatFingerprint(editor.fingerprint));
    }
    expect(lines[0]).not.toContain("passphrase");
  });

  it("says when the passphrase is wrong", () => {
    const run = decrypt([join(dir, archiveName(1))], "not the passphrase");
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("wrong passphrase");
    expect(String(run.stderr).split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("says when an archive is truncated or not an archive", () => {
    const truncated = join(dir, "truncated.tar");
    writeFileSync(truncated, archive.subarray(0, archive.length - 3000));
    const garbage = join(dir, "garbage.tar");
    writeFileSync(garbage, "hello, this is not a tar file".repeat(40));
    const run = decrypt([truncated, garbage], key.passphrase);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${truncated}: the archive is truncated`);
    expect(run.stderr).toContain(`${garbage}: this is not an export archive`);
  });

  it("refuses a manifest from a newer format", async () => {
    const entries = readTar(archive).map((entry) => {
      if (entry.name !== "manifest.json") return entry;
      const manifest = JSON.parse(Buffer.from(entry.data).toString("utf8"));
      return { ...entry, data: Buffer.from(JSON.stringify({ ...manifest, format: 99 })) };
    });
    const chunks: Uint8Array[] = [];
    async function* list() {
      for (const e of entries) yield { name: e.name, size: e.data.length, chunks: [e.data] };
    }
    for await (const chunk of writeTar(list())) chunks.push(chunk);
    const newer = join(dir, "newer.tar");
    writeFileSync(newer, Buffer.concat(chunks));
    const run = decrypt([newer], key.passphrase);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "export format 99, newer than this tool understands (2); update the editor tool",
    );
  });

  it("stores a reply from a text file, which the source reads with the codename", async () => {
    const textFile = join(dir, "reply.txt");
    writeFileSync(textFile, "Ответ из редакции, без Телеграма\n");
    const keysDir = join(dir, "public-keys");
    mkdirSync(keysDir);
    for (const [i, k] of bot.editorKeys.entries())
      await writeKeyFile(keysDir, `e${i}.asc`, k.armoredPublicKey);
    // PGlite is single-process: the tool works on a stopped bot's data directory.
    const db = usingPostgres
      ? ["--database-url", bot.storage.url as string]
      : ["--data-dir", join(dir, "data")];
    if (!usingPostgres) await bot.storage.close();
    const run = runTsx("src/cli/editor.ts", [
      "reply",
      "1",
      "--text-file",
      textFile,
      "--keys",
      keysDir,
      ...db,
    ]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);

    const exported = runTsx("src/cli/editor.ts", [
      "export",
      "--all",
      "--out",
      join(dir, "exported"),
      ...db,
    ]);
    expect(exported.status).toBe(0);
    expect(readdirSync(join(dir, "exported"))).toEqual(["submission-1.tar"]);
    const run2 = decrypt([join(dir, "exported", "submission-1.tar")], key.passphrase);
    expect(run2.status).toBe(0);
    const markdown = readFileSync(join(dir, "out/submission-1/testimony.md"), "utf8");
    expect(markdown).toContain("## Ответы редакции");
    expect(markdown).toContain("\nОтвет из редакции, без Телеграма\n");
    if (usingPostgres) {
      const view = await bot.app.services.submissions.openWithCodename(codename);
      expect(view?.replies).toEqual(["Ответ из редакции, без Телеграма"]);
    }
  });
});

describe("editor tool: where the database is", () => {
  const env = { ...process.env, EDITOR_KEYS: "", DATABASE_URL: "", DATA_DIR: "" };
  const out = () => mkdtempSync(join(tmpdir(), "tb-cli-db-"));

  it("names --database-url, not DATABASE_URL, when the option is what fails", () => {
    const url = "postgres://editor:hunter2@127.0.0.1:1/testimonies";
    const run = runTsx(
      "src/cli/editor.ts",
      ["export", "--all", "--out", out(), "--database-url", url],
      {
        env,
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: --database-url: nothing answers at 127\.0\.0\.1:1 /);
    expect(run.stderr).not.toContain("DATABASE_URL");
    expect(run.stderr).not.toContain("hunter2");
  });

  it("checks DATABASE_URL from the environment as the bot does", () => {
    const run = runTsx("src/cli/editor.ts", ["export", "--all", "--out", out()], {
      env: { ...env, DATABASE_URL: "mysql://editor:hunter2@db/x" },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      "error: DATABASE_URL: expected postgres://user:password@host:port/database\n",
    );
  });
});
