// The review desk decrypts in memory only: after a whole desk session in Chromium (unlock, open
// a testimony, play its voice message, see its photo, write a note and a reply), neither the data
// directory, the database nor anything created in the temp folder during the session — the
// browser's own profile and cache included — holds a planted answer, file or note.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDesk } from "../../src/desk/server.js";
import { usingPostgres } from "../helpers/db.js";
import {
  hasChromium,
  launchChromium,
  NO_CHROMIUM,
  plantedTexts,
  submitTestimony,
  unlock,
} from "../helpers/desk.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import type { TestKey } from "../helpers/keys.js";
import { dumpDatabase, findPlanted } from "../helpers/scan.js";

const NOTE = "Заметка редакции: источник — связист Журавлёв, проверить";
const REPLY = "Ответ редакции: напишите, где вы сейчас, без подробностей";

/** Regular files under `dir`; files that vanish meanwhile (other tests clean up) are skipped. */
function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    try {
      const info = statSync(path);
      if (info.isDirectory()) return filesUnder(path);
      return info.isFile() ? [path] : [];
    } catch {
      return [];
    }
  });
}

/** Which needles appear in any of these files (unreadable and vanished files are skipped). */
function hitsIn(files: string[], needles: string[]): string[] {
  const hits: string[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    for (const needle of findPlanted(bytes, needles)) hits.push(`${needle} in ${file}`);
  }
  return hits;
}

describe.skipIf(!hasChromium)("the review desk leaves no plaintext behind", () => {
  const planted = plantedTexts("desk-security");
  const needles = [
    ...planted.answers,
    planted.followUp,
    planted.voiceMarker,
    planted.documentMarker,
    planted.photoMarker,
    NOTE,
    REPLY,
  ];
  let bot: TestBot;
  let dir: string;
  let dataDir: string;
  let key: TestKey;
  let before: Set<string>;
  let botStopped = false;
  /** The temp folder's entries created during the session. */
  const newInTmp = () =>
    readdirSync(tmpdir())
      .filter((name) => !before.has(name))
      .map((name) => join(tmpdir(), name));

  beforeAll(async () => {
    before = new Set(readdirSync(tmpdir()));
    dir = mkdtempSync(join(tmpdir(), "tb-desk-security-"));
    dataDir = join(dir, "data");
    bot = await startTestBot({ dataDir });
    await submitTestimony(bot, 8901, planted);
    key = bot.editorKeys[0] as TestKey;
  }, 120_000);

  afterAll(async () => {
    if (!botStopped) await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("after unlock, reading, listening, a note and a reply: nothing readable on disk", async () => {
    // PGlite is single-process: the bot stops and the desk opens its data directory.
    if (!usingPostgres) {
      await bot.stop();
      botStopped = true;
    }
    const desk = await startDesk({
      source: usingPostgres ? { databaseUrl: bot.storage.url as string } : { dataDir },
      keys: bot.keyring,
    });
    const browser = await launchChromium();
    let whileOpen: string[] = [];
    let scanned: string[] = [];
    try {
      const page = await browser.newPage();
      await page.goto(desk.url);
      await page.waitForSelector("#unlock-view:not([hidden])");
      await unlock(page, { dir, armoredKey: key.armoredPrivateKey, passphrase: key.passphrase });
      await page.click("#inbox tbody a");
      await page.waitForSelector("#testimony h1");
      expect(await page.textContent("#testimony")).toContain(planted.answers[0]);
      // Play the voice message through, and let the photo load.
      await page.$eval("audio", (audio) => {
        const media = audio as HTMLAudioElement;
        media.muted = true;
        return media.play();
      });
      await page.waitForFunction(
        () => (document.querySelector("audio") as HTMLAudioElement).ended,
        {
          timeout: 15_000,
        },
      );
      await page.locator("#testimony img").scrollIntoViewIfNeeded(); // it loads lazily
      await page.waitForFunction(
        () => (document.querySelector("#testimony img") as HTMLImageElement).naturalWidth > 0,
      );
      await page.fill("#note-text", NOTE);
      await page.click("#note-form button");
      await expect.poll(() => page.textContent("#testimony"), { timeout: 20_000 }).toContain(NOTE);
      await page.fill("#reply-text", REPLY);
      await page.click("#reply-form button");
      await page.click("#reply-confirm-form button[type=submit]");
      await expect.poll(() => page.textContent("#testimony"), { timeout: 20_000 }).toContain(REPLY);

      // While the browser is open: its profile and cache live in the temp folder too.
      scanned = newInTmp().flatMap(filesUnder);
      whileOpen = hitsIn(scanned, needles);
    } finally {
      await browser.close();
      await desk.close();
    }
    // The scan did see the browser's profile (cache, session, local storage…).
    expect(scanned.some((file) => /playwright_chromiumdev_profile-/.test(file))).toBe(true);
    expect(whileOpen).toEqual([]);
    expect(hitsIn(newInTmp().flatMap(filesUnder), needles)).toEqual([]);
    expect(hitsIn(filesUnder(dataDir), needles)).toEqual([]);

    if (!usingPostgres) {
      // Reopen the data directory the way the bot would, to dump the database.
      const again = await startTestBot({
        dataDir,
        editorKeys: { keyring: bot.keyring, keys: bot.editorKeys },
      });
      try {
        expect(findPlanted(await dumpDatabase(again.storage), needles)).toEqual([]);
      } finally {
        await again.stop();
      }
    } else {
      expect(findPlanted(await dumpDatabase(bot.storage), needles)).toEqual([]);
    }
  });
});

if (!hasChromium) console.warn(NO_CHROMIUM);
