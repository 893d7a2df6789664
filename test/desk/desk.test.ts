// The review desk end to end in headless Chromium: a testimony from a real interview (text,
// voice, document, a photo and a text added with the codename), the desk on the same database,
// unlock, inbox, the testimony with its voice playing, status, note and reply, the source reading
// the reply with the codename; wrong passphrase, wrong key, the one-time launch code and the
// session cookie; archives only = read only.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Desk, mediaOf, startDesk } from "../../src/desk/server.js";
import { renderMarkdown } from "../../src/services/archive/testimony.js";
import { archiveName } from "../../src/services/submissions/export.js";
import { usingPostgres } from "../helpers/db.js";
import {
  deskFetch,
  hasChromium,
  launchChromium,
  launchSession,
  NO_CHROMIUM,
  plantedTexts,
  submitTestimony,
  unlock,
} from "../helpers/desk.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import { decryptAs, makeOpenpgpKey, type TestKey } from "../helpers/keys.js";
import { dumpDatabase, findPlanted } from "../helpers/scan.js";

const SCREENSHOTS = join(import.meta.dirname, "../../test-results");
const NOTE = "Заметка: сверить фамилию Огурцова со списком части";
const REPLY = "Спасибо, мы прочитали. Можно уточнить месяц?";

describe("which files the desk shows in the page", () => {
  it("plays and shows only media types; everything else is a download", () => {
    expect(mediaOf({ kind: "voice", mimeType: "audio/ogg" })).toEqual({
      display: "audio",
      type: "audio/ogg",
    });
    expect(mediaOf({ kind: "voice", mimeType: "text/html" })).toEqual({
      display: "audio",
      type: "audio/ogg",
    });
    expect(mediaOf({ kind: "photo" })).toEqual({ display: "image", type: "image/jpeg" });
    expect(mediaOf({ kind: "video_note" })).toEqual({ display: "video", type: "video/mp4" });
    expect(mediaOf({ kind: "document", mimeType: "image/png" }).display).toBe("image");
    for (const mimeType of ["text/html", "image/svg+xml", "application/pdf", "text/javascript"]) {
      expect(mediaOf({ kind: "document", mimeType })).toEqual({
        display: "file",
        type: "application/octet-stream",
      });
    }
  });
});

describe("editors' notes in testimony.md", () => {
  it("come last, under their own heading", () => {
    const markdown = renderMarkdown(
      {
        manifest: {
          format: 1,
          submission: 3,
          questionnaireVersion: 1,
          locale: "ru",
          status: "in_review",
          createdOn: "2026-03-01",
          parts: [],
        },
        items: [
          { questionId: "consent", kind: "choice", text: "yes" },
          { questionId: "note", kind: "note", text: "Check the unit number" },
          { questionId: "reply", kind: "reply", text: "Thank you" },
        ],
      },
      "en",
    );
    expect(markdown).toMatch(
      /## Replies from the editors\n\n```text\nThank you\n```\n\n## Editors' notes\n\n```text\nCheck the unit number\n```\n$/,
    );
  });
});

describe.skipIf(!hasChromium)("review desk in Chromium", () => {
  const planted = plantedTexts("desk");
  let bot: TestBot;
  let dir: string;
  let dataDir: string;
  let key: TestKey;
  let codename: string;
  let archiveFile: string;
  let desk: Desk;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tb-desk-"));
    dataDir = join(dir, "data");
    bot = await startTestBot({ dataDir });
    codename = await submitTestimony(bot, 8701, planted);
    // A second, shorter testimony in English, so the inbox has more than one row.
    const other = bot.api.user({ id: 8702, first_name: "Other", language_code: "en" });
    await driveInterview(bot.api, other, { texts: ["Short answer"], language: "en" });
    key = bot.editorKeys[0] as TestKey;

    const row = await bot.app.repositories.submissions.findByNumber(1);
    const chunks: Uint8Array[] = [];
    for await (const chunk of bot.app.services.exporter.archive(row as NonNullable<typeof row>)) {
      chunks.push(chunk);
    }
    archiveFile = join(dir, archiveName(1));
    writeFileSync(archiveFile, Buffer.concat(chunks));

    // PGlite is single-process: the desk opens the stopped bot's data directory.
    if (!usingPostgres) await bot.stop();
    desk = await startDesk({
      source: usingPostgres ? { databaseUrl: bot.storage.url as string } : { dataDir },
      keys: bot.keyring,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await desk?.close();
    if (usingPostgres) await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens once with the launch code for a session held in the page; a second use, the old address forms and a bare request get 403", async () => {
    const launch = new URL(desk.url);
    expect(launch.hash).toMatch(/^#launch=[\w-]{43}$/); // 256 bits in base64url
    const code = launch.hash.slice("#launch=".length);
    const origin = launch.origin;

    const first = await page.goto(desk.url);
    expect(first?.status()).toBe(200);
    expect(first?.headers()["content-security-policy"]).toContain("default-src 'self'");
    await page.waitForSelector("#unlock-view:not([hidden])");
    expect(page.url()).toBe(`${origin}/`); // the code is gone from the address bar
    expect(await page.context().cookies()).toEqual([]); // nothing the browser sends by itself

    // Another browser (another local user who read the code) is too late.
    const other = await browser.newContext();
    try {
      const stranger = await other.newPage();
      await stranger.goto(desk.url);
      await expect.poll(() => stranger.textContent("#launch-error")).toContain("уже использован");
      expect(await stranger.isVisible("#unlock-view")).toBe(false);
      for (const path of [`/open/${code}`, "/api/state", `/t/${code}/`, `/t/${code}/api/state`]) {
        expect((await stranger.goto(`${origin}${path}`))?.status(), path).toBe(403);
      }
    } finally {
      await other.close();
    }
  });

  it("a new launch ends the older page's session", async () => {
    const _origin = new URL(desk.url).origin;
    const second = await browser.newPage();
    try {
      await second.goto(desk.newLaunchUrl());
      await second.waitForSelector("#unlock-view:not([hidden])");
      // The first page notices on its next check, and says so.
      await expect
        .poll(() => page.textContent("#launch-error"), { timeout: 10_000 })
        .toContain("Сессия этой страницы закончилась");
    } finally {
      await second.close();
    }

    // The same guard without a browser (session header, Host, Origin, JSON): desk-guard.test.ts.

    // The editor pastes a fresh address into the same tab.
    await page.goto(desk.newLaunchUrl());
    await page.waitForSelector("#unlock-view:not([hidden])");
  });

  it("says when the passphrase is wrong", async () => {
    await page.waitForSelector("#unlock-view:not([hidden])");
    await unlock(page, {
      dir,
      armoredKey: key.armoredPrivateKey,
      passphrase: "not the passphrase",
    });
    await expect
      .poll(() => page.textContent("#unlock-error"))
      .toBe("Неверный пароль для этого ключа. Ничего не расшифровано.");
    expect(await page.isVisible("#inbox-view")).toBe(false);
    await page.screenshot({ path: join(SCREENSHOTS, "desk-unlock.png") });
  });

  it("says when the key opens none of the testimonies", async () => {
    const stranger = await makeOpenpgpKey("Stranger");
    await unlock(page, {
      dir,
      armoredKey: stranger.armoredPrivateKey,
      passphrase: stranger.passphrase,
    });
    await expect
      .poll(() => page.textContent("#unlock-error"))
      .toMatch(
        /^Этот ключ не открывает эти рассказы\. Ваш ключ: [0-9A-F ]{49}\. Они зашифрованы для ключей [0-9A-F]{16}/,
      );
    await unlock(page, { dir, armoredKey: "not a key at all", passphrase: "x" });
    await expect
      .poll(() => page.textContent("#unlock-error"))
      .toContain("не закрытый ключ OpenPGP");
  });

  it("unlocks with the right key and lists the testimonies, newest first", async () => {
    await unlock(page, { dir, armoredKey: key.armoredPrivateKey, passphrase: key.passphrase });
    await page.waitForSelector("#inbox tbody tr");
    const rows = await page.$$eval("#inbox tbody tr", (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent?.trim())),
    );
    expect(rows.map((r) => r[0])).toEqual(["#2", "#1"]);
    expect(rows[1]).toEqual([
      "#1",
      expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      "новый",
      "ru",
      "v2",
      expect.stringMatching(/^\d+$/),
      "4", // voice, two documents, the photo added later
      "1",
      "0",
      "0",
    ]);
    expect(await page.textContent("#mode")).toContain("База данных");
    expect(await page.isVisible("#read-only")).toBe(false);
    // Nothing decrypted is needed for the list, and nothing of it is on the page yet.
    expect(await page.content()).not.toContain(planted.answers[0]);
    await page.screenshot({ path: join(SCREENSHOTS, "desk-inbox.png") });
  });

  it("filters by status", async () => {
    await page.click("#filter label:has-text('в работе')");
    expect(await page.isVisible("#inbox-empty")).toBe(true);
    await page.click("#filter label:has-text('Все')");
    expect(await page.$$eval("#inbox tbody tr", (trs) => trs.length)).toBe(2);
  });

  it("opens a testimony from the keyboard: answers, voice that plays, photo, follow-up", async () => {
    await page.focus("#inbox tbody a");
    await page.keyboard.press("j");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("#1");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#testimony h1");
    expect(await page.textContent("#testimony h1")).toBe("Рассказ №1");
    const text = (await page.textContent("#testimony")) ?? "";
    for (const answer of planted.answers) expect(text).toContain(answer);
    expect(text).toContain(planted.followUp);
    expect(text).toContain("Кем вы служили?");

    await page.waitForFunction(() => (document.querySelector("audio")?.readyState ?? 0) >= 1);
    // Fetched with the session header and played from a blob: address.
    const voice = await page.$eval("audio", (audio) => ({
      src: (audio as HTMLAudioElement).src,
      duration: (audio as HTMLAudioElement).duration,
    }));
    expect(voice.src).toMatch(/^blob:/);
    expect(voice.duration).toBeGreaterThan(2);
    await page.locator("#testimony img").scrollIntoViewIfNeeded(); // it loads lazily
    await page.waitForFunction(
      () => (document.querySelector("#testimony img") as HTMLImageElement).naturalWidth === 320,
    );

    // A document is only ever a download, with a warning next to its link.
    const documentFigure = page.locator(".file", { hasText: "evidence.bin" }).first();
    expect(await documentFigure.locator(".file-actions .hint").textContent()).toContain(
      "в открытом виде",
    );
    const href = (await documentFigure.locator("a").getAttribute("data-file")) as string;
    // Without the page's session header the file is refused.
    expect(await page.evaluate(async (path) => (await fetch(path)).status, href)).toBe(403);
    const [download, response] = await Promise.all([
      page.waitForEvent("download"),
      page.waitForResponse((r) => r.url().includes("/files/")),
      documentFigure.locator("a").click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^\d\d-materials-document\.bin$/);
    const file = {
      type: response.headers()["content-type"],
      disposition: response.headers()["content-disposition"],
      csp: response.headers()["content-security-policy"],
    };
    expect(file.type).toBe("application/octet-stream");
    expect(file.disposition).toMatch(/^attachment; filename="\d\d-materials-document\.bin"$/);
    expect(file.csp).toContain("sandbox");
  });

  it("switches questions and interface to English", async () => {
    await page.selectOption("#lang", "en");
    await expect.poll(() => page.textContent("#testimony h1")).toBe("Testimony #1");
    expect(await page.textContent("#testimony")).toContain("How did you serve?");
    expect(await page.textContent("#work-heading")).toBe("Work");
    await page.selectOption("#lang", "ru");
    await expect.poll(() => page.textContent("#testimony h1")).toBe("Рассказ №1");
  });

  it("sets a status, adds a private note and replies to the source", async () => {
    await page.selectOption("#status-select", "verified");
    await page.click("#status-form button");
    await expect.poll(() => page.textContent("#toast")).toBe("Статус: проверен.");
    await expect.poll(() => page.textContent("#testimony .meta .status")).toBe("проверен");

    await page.fill("#note-text", NOTE);
    await page.click("#note-form button");
    // Re-decrypting the testimony after a change is slow on a busy machine.
    await expect.poll(() => page.textContent("#testimony"), { timeout: 20_000 }).toContain(NOTE);
    expect(await page.textContent("#notes-heading")).toBe("Заметки редакции");

    await page.fill("#reply-text", REPLY);
    await page.click("#reply-form button");
    // Shown once more, saying the source is not told in Telegram, before it is sent.
    await page.waitForSelector("#reply-dialog[open]");
    expect(await page.textContent("#reply-preview")).toBe(REPLY);
    expect(await page.textContent("#reply-dialog")).toContain("не присылает сообщения");
    await page.click("#reply-confirm-form button[type=submit]");
    await expect
      .poll(() => page.textContent("#testimony .from-editors"), { timeout: 20_000 })
      .toContain(REPLY);
    // Replies say when they were stored.
    expect(await page.textContent("#testimony .from-editors .who")).toMatch(
      /^Редакция · \d{4}-\d{2}-\d{2}$/,
    );
    expect(await page.inputValue("#reply-text")).toBe("");

    // Empty text is refused with a message.
    await page.click("#note-form button");
    await expect.poll(() => page.textContent("#toast")).toBe("Сначала напишите текст.");
    await page.waitForSelector("#toast:not(.visible)", { timeout: 10_000 });
    await page.evaluate(() => window.scrollTo(0, 0)); // the work panel is sticky
    await page.screenshot({ path: join(SCREENSHOTS, "desk-testimony.png"), fullPage: true });
  });

  it("saves a decrypted copy only when asked, into the folder given", async () => {
    await page.click("#save-open");
    expect(await page.textContent("#save-warning")).toContain("в открытом виде");
    const out = join(dir, "plaintext-copy");
    await page.fill("#save-folder", out);
    await page.click("#save-form button[type=submit]");
    await expect.poll(() => page.textContent("#toast")).toContain("Сохранено в");
    const markdown = readFileSync(join(out, "submission-1/testimony.md"), "utf8");
    expect(markdown).toContain(`\n${planted.answers[0]}\n`);
    expect(markdown).toContain(`## Заметки редакции\n\n\`\`\`text\n${NOTE}`);
    expect(markdown).toContain(`## Ответы редакции\n\n\`\`\`text\n${REPLY}`);
    rmSync(out, { recursive: true });
  });

  it("stored the work encrypted: status audited, note and reply as ciphertext; the source reads the reply", async () => {
    await page.click("#lock");
    await page.waitForSelector("#unlock-view:not([hidden])");
    expect(await page.textContent("body")).not.toContain(planted.answers[0]);
    // Open again, then stop the desk: the open tab clears what it showed, without a reload.
    await unlock(page, { dir, armoredKey: key.armoredPrivateKey, passphrase: key.passphrase });
    await page.evaluate(() => {
      location.hash = "#/n/1";
    });
    await expect
      .poll(() => page.textContent("#testimony"), { timeout: 20_000 })
      .toContain(planted.answers[0]);
    await desk.close();
    await page.waitForSelector("#closed:not([hidden])", { timeout: 10_000 });
    expect(await page.textContent("body")).not.toContain(planted.answers[0]);
    expect(await page.textContent("#closed")).toContain("Стол закрыт");

    // On PGlite the bot comes back on its data directory (same pepper), as after a restart.
    const server = usingPostgres
      ? bot
      : await startTestBot({ dataDir, editorKeys: { keyring: bot.keyring, keys: bot.editorKeys } });
    try {
      const rows = async (query: string) => {
        const result = await server.storage.db.execute(sql.raw(query));
        return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<
          string,
          unknown
        >[];
      };
      expect(await rows("select status from submissions where number = 1")).toEqual([
        { status: "verified" },
      ]);
      const audit = await rows("select action, detail, actor_hash from audit order by id");
      expect(audit.map((a) => [a.action, a.detail])).toEqual([
        ["status", "verified"],
        ["note", null],
        ["reply", null],
      ]);
      expect(audit[0]?.actor_hash).toMatch(/^[0-9a-f]{64}$/);

      const [note] = await rows("select ciphertext from parts where kind = 'note'");
      const ciphertext = new Uint8Array(note?.ciphertext as Uint8Array);
      expect(
        Buffer.from(await decryptAs(key, ciphertext))
          .toString("utf8")
          .trimEnd(),
      ).toBe(NOTE);
      expect(
        findPlanted(await dumpDatabase(server.storage), [NOTE, REPLY, ...planted.answers]),
      ).toEqual([]);

      const view = await server.app.services.submissions.openWithCodename(codename);
      expect(view?.status).toBe("verified");
      expect(view?.replies).toEqual([REPLY]);
      expect(JSON.stringify(view)).not.toContain(NOTE);
    } finally {
      if (!usingPostgres) await server.stop();
    }
  });

  it("with archives only: asks just the passphrase of --key, shows the testimony, is read only", async () => {
    const readOnly = await startDesk({
      source: { archives: [archiveFile, join(dir, "missing.tar")] },
      privateKey: { armored: key.armoredPrivateKey, fileName: "editor.private.asc" },
    });
    try {
      expect(readOnly.readOnly).toBe(true);
      expect(readOnly.problems).toEqual([`${join(dir, "missing.tar")}: no such file`]);
      await page.goto(readOnly.url);
      await page.waitForSelector("#unlock-view:not([hidden])");
      expect(await page.isVisible("#key-file")).toBe(false);
      expect(await page.textContent("#key-preset")).toBe("Ключ: editor.private.asc");
      await unlock(page, { dir, passphrase: key.passphrase });
      await page.waitForSelector("#inbox tbody tr");
      expect(await page.isVisible("#read-only")).toBe(true);
      expect(await page.textContent("#read-only")).toContain("Только чтение");
      expect(await page.textContent("#problems")).toContain("missing.tar: no such file");
      await page.click("#inbox tbody a");
      await page.waitForSelector("#testimony h1");
      expect(await page.textContent("#testimony")).toContain(planted.answers[0]);
      expect(await page.isVisible("#work-controls")).toBe(false);
      expect(await page.isVisible("#work-read-only")).toBe(true);
      await page.screenshot({ path: join(SCREENSHOTS, "desk-read-only.png") });
      const token = (await launchSession(readOnly.newLaunchUrl())) as string;
      const answer = await deskFetch(readOnly.url, token, "/api/submissions/1/status", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ status: "published" }),
      });
      const refused = { status: answer.status, body: await answer.json() };
      expect(refused).toEqual({ status: 403, body: { error: "read-only", params: {} } });
    } finally {
      await readOnly.close();
    }
  });
});

if (!hasChromium) console.warn(NO_CHROMIUM);
