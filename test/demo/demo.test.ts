// `npm run demo` in headless Chromium: the demo started in this process (startDemo, as
// src/demo/main.ts does), a person typing and clicking in the page. A source completes an
// interview with text, buttons, a recorded voice note, a photo and a document; sees the chat
// wiped and the codename; the editors' pane gets a notice without content and an export; an admin
// broadcast reaches the subscribed source. The tour shows sizes only. Screenshots go to
// test-results/demo-*.png.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Demo, startDemo } from "../../src/demo/demo.js";
import { startDesk } from "../../src/desk/server.js";
import { decryptWithPrivateKey } from "../../src/services/crypto/decrypt.js";
import { decodePaddedText } from "../../src/services/crypto/padding.js";
import { translate } from "../../src/services/texts.js";
import { hasChromium, launchChromium } from "../helpers/desk.js";
import { gradientPng } from "../helpers/media.js";
import { readTar } from "../helpers/tar.js";

const SCREENSHOTS = join(import.meta.dirname, "../../test-results");
const NO_CHROMIUM_DEMO =
  "demo browser tests skipped: /usr/bin/chromium is missing (apt-get install chromium; .ci/run does)";
const ru = (id: string, args?: Record<string, string | number>) => translate("ru", id, args);
const firstLine = (text: string) => text.split("\n")[0] as string;

// Planted answers: they must reach the database only as ciphertext and never the editors' chat.
const ANSWERS = {
  roleOther: "Связист роты обеспечения ДЕМО-ПЛАНТ-1",
  area: "Запорожское направление ДЕМО-ПЛАНТ-2",
  story: "Нас отправили без объяснений ДЕМО-ПЛАНТ-3",
  departure: "Отказался выполнять приказ ДЕМО-ПЛАНТ-4",
};
const REPLY = "Спасибо, мы прочитали ваш рассказ (ответ-демо)";
const GUIDANCE = "Советы редакции: как безопасно выехать (демо)";

if (!hasChromium) console.warn(NO_CHROMIUM_DEMO);

describe.skipIf(!hasChromium)("npm run demo in Chromium", () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  let codename = "";

  const pane = (name: "source" | "editors" | "admin") => page.locator(`#pane-${name}`);
  const shot = async (name: string, on = page) => {
    await on.waitForTimeout(500); // let the fade-ins finish
    await on.screenshot({ path: join(SCREENSHOTS, `demo-${name}.png`) });
  };

  /** Opens the tour at a step (1-based) and returns its extra box. */
  async function tourAt(step: number) {
    await page.click("#tour-button");
    for (let i = 1; i < step; i++) await page.click("#tour-next");
    return page.locator("#tour-extra");
  }

  async function type(name: "source" | "editors" | "admin", text: string) {
    const input = pane(name).locator("textarea");
    await input.fill(text);
    await input.press("Enter");
  }

  /** The newest button with this label in a pane (as a person clicks the latest one). */
  async function press(name: "source" | "editors" | "admin", label: string | RegExp) {
    const button = pane(name)
      .locator(".messages .keyboard button")
      .filter({ hasText: typeof label === "string" ? exactly(label) : label })
      .last();
    await button.waitFor({ timeout: 15_000 });
    await button.click();
  }

  /** Waits for a bot message in the pane that contains the text. */
  function botMessage(name: "source" | "editors" | "admin", text: string | RegExp): Locator {
    return pane(name).locator(".msg.bot").filter({ hasText: text }).last();
  }

  async function waitForBot(name: "source" | "editors" | "admin", text: string | RegExp) {
    await botMessage(name, text).waitFor({ timeout: 15_000 });
  }

  const question = (id: string) => waitForBot("source", firstLine(ru(`q-${id}`)));
  const saved = (parts: number, files: number) =>
    waitForBot("source", firstLine(ru("interview-saved", { parts, files })));

  beforeAll(async () => {
    demo = await startDemo({ lang: "ru", logLevel: "silent" });
    await demo.ready;
    // A fake microphone (a beeping tone) that needs no permission prompt.
    browser = await launchChromium([
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
    ]);
    // The demo opens in the browser's language.
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      locale: "ru-RU",
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it("serves the page only with its token, under a strict CSP, on 127.0.0.1", async () => {
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/t\/[\w-]{43}\/$/);
    const withoutToken = await fetch(new URL("/", demo.url));
    expect(withoutToken.status).toBe(403);
    const wrongToken = await fetch(demo.url.replace(/\/t\/[\w-]+\//, "/t/wrong/"));
    expect(wrongToken.status).toBe(403);
    const response = await fetch(demo.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    // The bot talks to the emulator on 127.0.0.1, never to api.telegram.org.
    expect(demo.api.apiRoot).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(demo.api.calls("getMe")).toHaveLength(1);
    // (getUpdates is a long poll: it is recorded when it returns.)
    expect(demo.api.calls("deleteWebhook")).toHaveLength(1);
  });

  it("opens with the tour, which shows the editors' key and stored sizes only", async () => {
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(demo.url);
    await page.locator("#tour").waitFor();
    expect(await page.locator("#tour-title").textContent()).toBe(ru("demo-tour-welcome-title"));
    await page.click("#tour-next");
    await page.click("#tour-next");
    await page.locator("#tour-extra p").first().waitFor();
    const extra = await page.locator("#tour-extra").textContent();
    expect(extra).toContain(ru("demo-tour-stored-nothing"));
    expect(extra).toContain(demo.key.fingerprint);
    await shot("tour");
    // At 1440×900 the tour leaves every message box free to type in.
    const tour = await page.locator("#tour").boundingBox();
    for (const name of ["source", "editors", "admin"] as const) {
      const box = await pane(name).locator(".composer").boundingBox();
      if (!tour || !box) throw new Error("tour or message box not laid out");
      const overlaps =
        tour.x < box.x + box.width &&
        box.x < tour.x + tour.width &&
        tour.y < box.y + box.height &&
        box.y < tour.y + tour.height;
      expect(overlaps, name).toBe(false);
    }
    await page.click("#tour-skip");
    expect(await page.locator("#tour").isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });

  it("a source completes the interview by typing and clicking, with voice, photo and file", async () => {
    await type("source", "/start");
    await waitForBot("source", firstLine(ru("start-briefing")));
    await shot("briefing");
    await press("source", ru("start-button-begin"));
    await question("consent");
    await press("source", ru("q-consent-opt-yes"));

    await question("role");
    await press("source", ru("q-role-opt-other"));
    await question("role_other");
    await type("source", ANSWERS.roleOther);
    await saved(1, 0);
    await press("source", ru("interview-button-next"));

    await question("branch");
    await press("source", ru("q-branch-opt-ground_forces"));
    await question("service_year");
    await type("source", "2023");
    await question("service_length");
    await press("source", ru("q-service_length-opt-under_month"));
    await question("area");
    await type("source", ANSWERS.area);
    await saved(1, 0);
    await press("source", ru("interview-button-next"));
    await question("witnessed");
    await press("source", `☐ ${ru("q-witnessed-opt-looting")}`);
    await press("source", ru("interview-button-done"));

    // The story: text, then a voice note recorded with the (fake) microphone.
    await question("story");
    await type("source", ANSWERS.story);
    await saved(1, 0);
    await pane("source").locator(".record").click();
    await pane("source").locator(".record.recording").waitFor();
    await page.waitForTimeout(1200);
    await pane("source").locator(".record").click();
    await saved(1, 1);
    const voice = pane("source").locator(".msg.mine audio").last();
    expect(await voice.getAttribute("src")).toMatch(/^api\/files\//);

    // While the interview runs, the tour's numbers come from the database: ciphertext sizes.
    const stored = (await (await fetch(new URL("api/stored?source=1", demo.url))).json()) as {
      draft: { parts: number; lastAnswer: { kind: string; bytes: number } };
    };
    expect(stored.draft.parts).toBeGreaterThanOrEqual(5);
    expect(stored.draft.lastAnswer.kind).toBe("attachment");
    expect(stored.draft.lastAnswer.bytes).toBeGreaterThan(0);
    expect(JSON.stringify(stored)).not.toMatch(/ДЕМО-ПЛАНТ/);
    const extra = await tourAt(3);
    await extra.filter({ hasText: /байт/ }).waitFor();
    expect(await extra.textContent()).toContain(
      ru("demo-tour-stored-draft", {
        parts: stored.draft.parts,
        kind: ru("demo-kind-attachment"),
        bytes: stored.draft.lastAnswer.bytes.toLocaleString("ru"),
      }),
    );
    await shot("tour-encryption");
    await page.click("#tour-skip");
    await press("source", ru("interview-button-next"));

    // Back, then Skip: the story is kept unless its deletion is confirmed.
    await question("departure");
    await press("source", ru("interview-button-back"));
    await waitForBot("source", firstLine(ru("interview-already-answered")));
    await press("source", ru("interview-button-skip"));
    await waitForBot("source", ru("interview-skip-confirm"));
    await shot("skip-confirm");
    await press("source", ru("interview-button-keep-it"));
    await waitForBot("source", ru("interview-skip-kept"));

    await question("departure");
    await press("source", ru("q-departure-opt-refused_orders"));
    await question("departure_story");
    await type("source", ANSWERS.departure);
    await saved(1, 0);
    await press("source", ru("interview-button-next"));
    await question("situation");
    await press("source", ru("q-situation-opt-abroad_safe"));

    // Materials: a photo from the file picker; originals: a document.
    await question("materials");
    await pane("source")
      .locator(".file-photo")
      .setInputFiles({
        name: "photo.png",
        mimeType: "image/png",
        buffer: gradientPng(320, 200),
      });
    await saved(0, 1);
    await pane("source").locator(".msg.mine img").last().waitFor();
    await press("source", ru("interview-button-next"));
    await question("originals");
    await pane("source")
      .locator(".file-document")
      .setInputFiles({
        name: "order.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("Приказ № 17 (демо)"),
      });
    await saved(0, 1);
    await shot("interview");
    await press("source", ru("interview-button-next"));

    await question("publication");
    await press("source", ru("q-publication-opt-quote"));
    await question("contact_back");
    await press("source", ru("q-contact_back-opt-no"));
    await question("anything_else");
    await press("source", ru("interview-button-skip"));
    await waitForBot("source", firstLine(ru("interview-review-title")).replace(/<\/?b>/g, ""));
    // The review says the story is still there.
    await waitForBot(
      "source",
      `${ru("q-story-short")} — ${ru("interview-review-text-files", { files: 1 })}`,
    );
    await shot("review");
  });

  it("sending wipes the chat, leaving the confirmation and the codename", async () => {
    await press("source", ru("interview-button-submit"));
    const receipt = botMessage("source", firstLine(ru("receipt-codename", { codename: "" })));
    await receipt.waitFor({ timeout: 20_000 });
    // The wipe: only the final note and the codename are left once the fading is done.
    await page.waitForFunction(
      () => document.querySelectorAll("#pane-source .msg:not(.gone)").length === 2,
      undefined,
      { timeout: 15_000 },
    );
    await page.waitForTimeout(600);
    expect(await pane("source").locator(".msg").count()).toBe(2);
    const visible = (await pane("source").locator(".messages").textContent()) ?? "";
    for (const answer of Object.values(ANSWERS)) expect(visible).not.toContain(answer);
    codename = ((await receipt.locator("code").textContent()) ?? "").trim();
    expect(codename.split(/\s+/)).toHaveLength(8);
    await shot("wipe-codename");

    await press("source", ru("receipt-button-written"));
    await waitForBot("source", ru("receipt-check-prompt"));
    await type("source", codename);
    await waitForBot("source", ru("receipt-checked"));
  });

  it("the editors' pane shows the notice without content, and Export saves the archive", async () => {
    const notice = botMessage("editors", /№1/);
    await notice.waitFor({ timeout: 15_000 });
    const text = (await pane("editors").locator(".messages").textContent()) ?? "";
    for (const answer of Object.values(ANSWERS)) expect(text).not.toContain(answer);
    expect(text).not.toContain(codename);
    await press("editors", ru("editors-button-export"));
    await pane("editors").locator(".file-name", { hasText: "submission-1.tar" }).waitFor();
    const archive = join(demo.exportsDir, "submission-1.tar");
    await expect.poll(() => existsSync(archive)).toBe(true);
    await shot("editors");

    // The tour gives the desk's command line for that archive and the demo key; it opens there.
    const extra = await tourAt(7);
    const command = `npm run editor -- desk ${archive} --key ${demo.key.privateKeyPath}`;
    await extra.locator("code", { hasText: command }).waitFor();
    expect(await extra.textContent()).toContain(demo.key.passphrase);
    await shot("tour-desk");
    await page.click("#tour-skip");
    const desk = await startDesk({ source: { archives: [archive] } });
    expect(desk.problems).toEqual([]);
    expect(desk.readOnly).toBe(true);
    await desk.close();
    // What the editors decrypt with the demo key is the testimony.
    const texts: string[] = [];
    const unlock = {
      armoredPrivateKey: readFileSync(demo.key.privateKeyPath, "utf8"),
      passphrase: demo.key.passphrase,
    };
    for (const entry of readTar(readFileSync(archive))) {
      if (!entry.name.endsWith(".pgp")) continue;
      texts.push(decodePaddedText(await decryptWithPrivateKey(unlock, entry.data)));
    }
    expect(texts).toContain(ANSWERS.area);
  });

  it("an editor answers /reply with Reply, presses Send, and the source reads it with the codename", async () => {
    await type("editors", "/reply 1");
    // The bot's force_reply puts the message box in reply mode on its prompt.
    await waitForBot("editors", ru("editors-reply-prompt", { number: 1 }).slice(0, 20));
    const replying = pane("editors").locator(".replying");
    await replying.waitFor();
    expect(await replying.textContent()).toContain(
      firstLine(ru("editors-reply-prompt", { number: 1 })).slice(0, 20),
    );
    await type("editors", REPLY);
    expect(await replying.isHidden()).toBe(true);
    await waitForBot("editors", firstLine(ru("editors-reply-confirm", { number: 1 })).slice(0, 30));
    await shot("reply-preview");
    await press("editors", ru("editors-button-send"));
    await waitForBot("editors", ru("editors-reply-stored", { number: 1 }));
    // The plaintext left the editors' chat.
    await expect
      .poll(() => pane("editors").locator(".messages").textContent(), { timeout: 5000 })
      .not.toContain(REPLY);

    await type("source", "/codename");
    await waitForBot("source", ru("codename-prompt"));
    await type("source", codename);
    await botMessage("source", REPLY).waitFor({ timeout: 15_000 });
    await shot("reply-read");
    await press("source", ru("codename-button-done"));
    await waitForBot("source", firstLine(ru("codename-session-closed")));
  });

  it("Reply on any message answers it, and Cancel leaves reply mode", async () => {
    const notice = botMessage("editors", /№1/).first();
    await notice.hover();
    await notice.locator(".reply-button").click();
    const replying = pane("editors").locator(".replying");
    await replying.waitFor();
    await pane("editors").locator(".cancel-reply").click();
    expect(await replying.isHidden()).toBe(true);
    await notice.hover();
    await notice.locator(".reply-button").click();
    await type("editors", "Смотрю этот");
    const mine = pane("editors").locator(".msg.mine").filter({ hasText: "Смотрю этот" }).last();
    await mine.waitFor();
    expect(await mine.locator(".reply-quote").textContent()).toMatch(/№1/);
  });

  it("an admin's broadcast reaches the subscribed source", async () => {
    await type("source", "/subscribe");
    await waitForBot("source", firstLine(ru("subscribe-done", { language: "" })).slice(0, 30));

    await type("admin", "/guidance_set");
    await press("admin", new RegExp(`^${ru("language-button-ru")}`));
    await waitForBot("admin", ru("admin-guidance-prompt", { language: "" }).slice(0, 20));
    await type("admin", GUIDANCE);
    await press("admin", ru("admin-button-publish"));
    await waitForBot(
      "admin",
      ru("admin-guidance-published", { language: "", version: 1 }).slice(0, 15),
    );

    await type("admin", "/broadcast");
    await press(
      "admin",
      new RegExp(`^${ru("admin-button-guidance", { versions: "" }).slice(0, 12)}`),
    );
    await press("admin", ru("admin-button-send"));
    await botMessage("source", GUIDANCE).waitFor({ timeout: 20_000 });
    await shot("broadcast");
  });
  it("opens in the browser's language", async () => {
    const english = await browser.newContext({ locale: "en-US" });
    const tab = await english.newPage();
    await tab.goto(`${demo.url}?source=3&tour=0`);
    await tab.locator("#pane-source .pane-title", { hasText: "Source 3" }).waitFor();
    expect(await tab.locator("#pane-admin .pane-title").textContent()).toContain(
      translate("en", "demo-pane-admin"),
    );
    await english.close();
  });

  it("another tab is another source; English, edits, a sample voice note, keyboards, alerts", async () => {
    const tab = await page.context().newPage();
    await tab.goto(`${demo.url}?source=2&tour=0`);
    const source = tab.locator("#pane-source");
    await source.locator(".pane-title", { hasText: ru("demo-pane-source", { n: 2 }) }).waitFor();
    // Source 2 sees its own chat, and the same editors' group.
    expect(await source.locator(".msg").count()).toBe(0);
    await tab.locator("#pane-editors .file-name", { hasText: "submission-1.tar" }).waitFor();

    await tab.click('[data-lang="en"]');
    await source.locator(".pane-title", { hasText: "Source 2" }).waitFor();
    const input = source.locator("textarea");
    await input.fill("/start");
    await input.press("Enter");
    await source
      .locator(".msg.bot", { hasText: firstLine(translate("en", "start-briefing")) })
      .waitFor();

    // An edit changes the message in place.
    await input.fill("A message with a typo");
    await input.press("Enter");
    const mine = source.locator(".msg.mine", { hasText: "A message with a typo" });
    await mine.hover();
    await mine.locator(".edit-button").click();
    await input.fill("A message, corrected");
    await input.press("Enter");
    await source.locator(".msg.mine", { hasText: "A message, corrected" }).waitFor();
    expect(await source.locator(".msg.mine .edited").count()).toBe(1);

    // The switch was this tab's: the first tab still reads Russian after a reload.
    await page.reload();
    await pane("source")
      .locator(".pane-title", { hasText: ru("demo-pane-source", { n: 1 }) })
      .waitFor();

    // The sample voice note from the attach menu.
    await source.locator(".attach").click();
    await source.locator('[data-action="sample-voice"]').click();
    await source.locator(".msg.mine audio").waitFor();
    // Beside it, a photo sent as a file with GPS and a camera in its EXIF, for the cleaner.
    await source.locator(".attach").click();
    await source.locator('[data-action="sample-photo"]').click();
    await source.locator(".msg.mine .file-name", { hasText: "photo-with-gps.jpg" }).waitFor();
    const sent = demo.api
      .messages(7_100_002)
      .find((m) => m.document?.file_name === "photo-with-gps.jpg");
    expect(sent?.document?.mime_type).toBe("image/jpeg");

    // A reply keyboard and an alert, as any bot may send them (here through the emulator).
    const chat_id = demo.api.user({ id: 7_100_002, first_name: "?" }).id;
    await demo.api.call("sendMessage", {
      chat_id,
      text: "Pick one",
      reply_markup: { keyboard: [[{ text: "Left" }, { text: "Right" }]], one_time_keyboard: true },
    });
    await source.locator(".reply-keyboard button", { hasText: "Right" }).click();
    await source.locator(".msg.mine", { hasText: /^Right/ }).waitFor();
    await demo.api.call("sendMessage", {
      chat_id,
      text: "An old message",
      reply_markup: { inline_keyboard: [[{ text: "Old button", callback_data: "iv:gone" }]] },
    });
    await source.locator(".keyboard button", { hasText: "Old button" }).click();
    await source.locator(".alert:not([hidden]) .alert-text").waitFor();
    await shot("second-source", tab);
    await source.locator(".alert-ok").click();
    await tab.close();
  });
});

/** A regexp that matches exactly this label. */
function exactly(label: string): RegExp {
  return new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}
