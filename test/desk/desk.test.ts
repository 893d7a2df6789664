// The review desk end to end in headless Chromium: a testimony from a real interview (text,
// voice, document, a photo and a text added with the codename), the desk on the same database,
// unlock, inbox, the testimony with its voice playing, status, note and reply, the source reading
// the reply with the codename; wrong passphrase, wrong key, the one-time launch code and the
// session cookie; archives only = read only.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Desk, mediaOf, startDesk } from "../../src/desk/server.js";
import { archiveName } from "../../src/services/export.js";
import { renderMarkdown } from "../../src/services/testimony.js";
import { usingPostgres } from "../helpers/db.js";
import {
  deskFetch,
  hasChromium,
  launchChromium,
  launchCookie,
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
      /## Replies from the editors\n\n> Thank you\n\n## Editors' notes\n\n> Check the unit number\n$/,
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

  it("opens once with the launch code for an HttpOnly, SameSite=Strict cookie; a second use or the old address form gets 403", async () => {
    const launch = new URL(desk.url);
    expect(launch.pathname).toMatch(/^\/open\/[\w-]{43}$/); // 256 bits in base64url
    const code = launch.pathname.split("/")[2] as string;
    const origin = launch.origin;

    const first = await page.goto(desk.url);
    expect(first?.status()).toBe(200);
    expect(page.url()).toBe(`${origin}/`); // the code is gone from the address bar
    await page.waitForSelector("#unlock-view:not([hidden])");
    const cookies = await page.context().cookies();
    expect(cookies).toEqual([
      expect.objectContaining({
        name: `desk-session-${launch.port}`,
        httpOnly: true,
        sameSite: "Strict",
        path: "/",
      }),
    ]);
    expect(cookies[0]?.value).not.toBe(code);
    expect(await page.evaluate(() => document.cookie)).toBe("");

    // Another browser (another local user who read the code from a process list or history).
    const other = await browser.newContext();
    try {
      const stranger = await other.newPage();
      for (const path of [
        launch.pathname,
        "/",
        "/api/state",
        `/t/${code}/`,
        `/t/${code}/api/state`,
      ]) {
        expect((await stranger.goto(`${origin}${path}`))?.status(), path).toBe(403);
      }
      expect(await other.cookies()).toEqual([]);
    } finally {
      await other.close();
    }
    // The old address form is refused even with the session.
    expect((await page.goto(`${origin}/t/${code}/`))?.status()).toBe(403);
    expect((await page.goto(`${origin}/`))?.status()).toBe(200);
    // The browser that holds the session may open the used address again (a reload, a prefetch).
    expect((await page.goto(desk.url))?.status()).toBe(200);
    expect(page.url()).toBe(`${origin}/`);
  });

  it("answers 403 to anything without the session, and sends strict headers", async () => {
    const launch = desk.newLaunchUrl();
    const cookie = (await launchCookie(launch)) as string;
    const origin = new URL(launch).origin;
    for (const path of ["/", "/api/state", "/t/", "/t/x/api/state", "/open/x"]) {
      expect((await fetch(new URL(path, origin))).status, path).toBe(403);
    }
    const forged = cookie.replace(/=.*/, `=${"A".repeat(43)}`);
    expect((await deskFetch(origin, forged, "/api/submissions")).status).toBe(403);

    const answer = await deskFetch(origin, cookie, "/api/state");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    expect(answer.headers.get("referrer-policy")).toBe("no-referrer");
    expect(answer.headers.get("cache-control")).toBe("no-store");

    // Another Host (DNS rebinding) or another site's form: refused even with the session.
    const raw = (headers: Record<string, string>, method = "GET") =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${origin}/api/lock`,
          { method, headers: { cookie, ...headers }, agent: false },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(method === "POST" ? "{}" : undefined);
      });
    expect(await raw({ Host: "evil.example" })).toBe(403);
    expect(
      await raw({ Origin: "http://evil.example", "Content-Type": "application/json" }, "POST"),
    ).toBe(403);
    expect(await raw({ "Content-Type": "text/plain" }, "POST")).toBe(403);
    expect(await raw({ "Content-Type": "application/json" }, "POST")).toBe(200);
  });

  it("says when the passphrase is wrong", async () => {
    const response = await page.goto(new URL("/", desk.url).href);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'self'");
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
    const voice = await page.$eval("audio", async (audio) => {
      const response = await fetch((audio as HTMLAudioElement).src);
      return {
        status: response.status,
        type: response.headers.get("content-type"),
        duration: (audio as HTMLAudioElement).duration,
      };
    });
    expect(voice).toMatchObject({ status: 200, type: "audio/ogg" });
    expect(voice.duration).toBeGreaterThan(2);
    await page.locator("#testimony img").scrollIntoViewIfNeeded(); // it loads lazily
    await page.waitForFunction(
      () => (document.querySelector("#testimony img") as HTMLImageElement).naturalWidth === 320,
    );

    // A document is only ever a download, with a warning next to its link.
    const documentFile = await page.$$eval(".file", (figures) => {
      const figure = figures.find((f) => f.textContent?.includes("evidence.bin"));
      const link = figure?.querySelector("a") as HTMLAnchorElement;
      return { href: link.href, warning: figure?.querySelector(".hint")?.textContent };
    });
    expect(documentFile.warning).toContain("в открытом виде");
    const file = await page.evaluate(async (href) => {
      const response = await fetch(href);
      return {
        type: response.headers.get("content-type"),
        disposition: response.headers.get("content-disposition"),
        csp: response.headers.get("content-security-policy"),
      };
    }, documentFile.href);
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
    await expect.poll(() => page.textContent("#testimony")).toContain(NOTE);
    expect(await page.textContent("#notes-heading")).toBe("Заметки редакции");

    await page.fill("#reply-text", REPLY);
    await page.click("#reply-form button");
    await expect.poll(() => page.textContent("#testimony .from-editors")).toContain(REPLY);
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
    expect(markdown).toContain(`> ${planted.answers[0]}`);
    expect(markdown).toContain(`## Заметки редакции\n\n> ${NOTE}`);
    expect(markdown).toContain(`## Ответы редакции\n\n> ${REPLY}`);
    rmSync(out, { recursive: true });
  });

  it("stored the work encrypted: status audited, note and reply as ciphertext; the source reads the reply", async () => {
    await page.click("#lock");
    await page.waitForSelector("#unlock-view:not([hidden])");
    expect(await page.textContent("body")).not.toContain(planted.answers[0]);
    await desk.close();

    // On PGlite the bot comes back on its data directory (same pepper), as after a restart.
    const server = usingPostgres ? bot : await startTestBot({ dataDir });
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
      const refused = await page.evaluate(async () => {
        const response = await fetch("api/submissions/1/status", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ status: "published" }),
        });
        return { status: response.status, body: await response.json() };
      });
      expect(refused).toEqual({ status: 403, body: { error: "read-only", params: {} } });
    } finally {
      await readOnly.close();
    }
  });
});

if (!hasChromium) console.warn(NO_CHROMIUM);
