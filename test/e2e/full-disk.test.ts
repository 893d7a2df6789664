// A full disk is an answer, not silence. A write that fails for lack of space (ENOSPC, or
// PostgreSQL's 53100) gets the source a calm "nothing was saved, try later", and nothing of it
// stays; a disk that is nearly full refuses files before writing them; a start on a full disk
// stops with one line. The embedded database on a small tmpfs, where the machine allows a mount.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStorage, StorageError } from "../../src/storage/db.js";
import { usingPostgres } from "../helpers/db.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { makeTempDir } from "../helpers/keys.js";
import { beginInterview, jumpTo, partsOf } from "../helpers/steps.js";

const DISK_FULL_RU = "на сервере закончилось место";
const STORAGE_FULL_RU = "Хранилище бота сейчас заполнено";
const SAVED_RU = /Сообщений: (\d+), файлов: (\d+)/;

describe("a write that fails for lack of space", () => {
  let bot: TestBot;
  afterAll(() => bot?.stop());

  it("gets the calm answer, keeps nothing of the file, and the next try is stored", async () => {
    bot = await startTestBot();
    const user = bot.api.user({ id: 9_290_001, first_name: "Источник", language_code: "ru" });
    await beginInterview(user);
    await jumpTo(bot, user, "materials");
    const parts = bot.app.repositories.parts;
    const writeChunk = parts.writeChunk;
    let failed = 0;
    parts.writeChunk = async (...args) => {
      if (failed++ === 0) {
        await writeChunk(...args);
        throw Object.assign(new Error('could not extend file "base/5/16600"'), { code: "53100" });
      }
      return writeChunk(...args);
    };
    try {
      await user.sendDocument(new Uint8Array(300_000).fill(7), { file_name: "scan.pdf" });
      const answer = await user.nextBotMessage({ newOnly: true, timeoutMs: 20_000 });
      expect(answer.text).toContain(DISK_FULL_RU);
      expect(await partsOf(bot, user, "materials")).toEqual([]);
      const chunks = await bot.storage.db.$count(
        (await import("../../src/storage/schema.js")).schema.attachmentChunks,
      );
      expect(chunks).toBe(0);
    } finally {
      parts.writeChunk = writeChunk;
    }
    await user.sendDocument(new Uint8Array(300_000).fill(8), { file_name: "scan.pdf" });
    await bot.api.waitFor(() => SAVED_RU.exec(user.lastBotMessage()?.text ?? "")?.[2] === "1");
    expect(await partsOf(bot, user, "materials")).toHaveLength(1);
    expect(bot.logs()).toContain("disk full: the update was not stored");
  });
});

/** A tmpfs of `mb` megabytes, or why there cannot be one here. */
function mountTmpfs(dir: string, mb: number): string | undefined {
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mb}m`, "tmpfs", dir], { stdio: "pipe" });
    return undefined;
  } catch (error) {
    return `mount failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

const freeBytes = (dir: string) =>
  Number(execFileSync("df", ["-B1", "--output=avail", dir]).toString().split("\n")[1]);

describe.skipIf(usingPostgres)("the embedded database on a small disk", () => {
  let mount: string;
  let bot: TestBot | undefined;
  afterAll(async () => {
    await bot?.stop();
    if (mount) {
      try {
        execFileSync("umount", [mount]);
      } catch {}
      rmSync(mount, { recursive: true, force: true });
    }
  });

  it("refuses a file calmly on a nearly full disk, takes it once space is freed, and a start on a full disk says so", async (context) => {
    mount = await makeTempDir("small-disk-");
    const why = mountTmpfs(mount, 160);
    if (why) {
      console.warn(`full-disk test skipped: ${why}`);
      context.skip();
    }
    const dataDir = join(mount, "data");
    mkdirSync(dataDir);
    bot = await startTestBot({ dataDir });
    const user = bot.api.user({ id: 9_290_002, first_name: "Источник", language_code: "ru" });
    await beginInterview(user);
    await jumpTo(bot, user, "materials");
    // Leave 20 MB: under the reserve a file needs, above what a text answer needs.
    const filler = join(mount, "filler");
    writeFileSync(filler, Buffer.alloc(freeBytes(mount) - 20 * 1024 * 1024));

    await user.sendDocument(new Uint8Array(500_000).fill(3), { file_name: "photo.jpg" });
    const refused = await user.nextBotMessage({ newOnly: true, timeoutMs: 20_000 });
    expect(refused.text).toContain(STORAGE_FULL_RU);
    await bot.idle();
    expect(await partsOf(bot, user, "materials")).toEqual([]);

    // Space freed: the interview goes on, and what is stored decrypts (partsOf decrypts it).
    rmSync(filler);
    await user.sendDocument(new Uint8Array(500_000).fill(4), { file_name: "photo.jpg" });
    await bot.api.waitFor(() => SAVED_RU.exec(user.lastBotMessage()?.text ?? "")?.[2] === "1");
    expect(await partsOf(bot, user, "materials")).toHaveLength(1);

    // A start on the full disk: one line, not an abort inside the database.
    await bot.stop();
    bot = undefined;
    writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(mount) - 4096)));
    const start = await openStorage({ dataDir }).then(
      async (storage) => {
        await storage.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(start).toBeInstanceOf(StorageError);
    expect(String((start as Error).message)).toMatch(/^DATA_DIR: the disk holding .* is full/);
    expect(String((start as Error).message)).not.toContain("\n");
    rmSync(filler);
  }, 180_000);
});
