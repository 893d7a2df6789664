// The demo's chats behave like Telegram's: each new bot message scrolls into view unless the reader
// scrolled up on purpose, and a /command in a message sends itself when clicked. Headless Chromium
// with a laptop-sized window, so long messages (the briefing, the review) overflow the chat.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Demo, startDemo } from "../../src/demo/demo.js";
import { translate } from "../../src/services/texts.js";
import { hasChromium, launchChromium } from "../helpers/desk.js";

const ru = (id: string, args?: Record<string, string | number>) => translate("ru", id, args);
const firstLine = (text: string) => text.split("\n")[0] as string;

describe.skipIf(!hasChromium)("the demo's chats in Chromium", () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;

  const source = () => page.locator("#pane-source");

  /** The newest bot message in the source chat: where it is against the visible chat area. */
  const newestBotPlace = () =>
    page.evaluate(() => {
      const box = document.querySelector("#pane-source .messages") as HTMLElement;
      const bots = box.querySelectorAll(".msg.bot:not(.gone)");
      const last = bots[bots.length - 1];
      if (!last) return "none";
      const area = box.getBoundingClientRect();
      const message = last.getBoundingClientRect();
      if (message.bottom > area.bottom + 1)
        return `below by ${Math.round(message.bottom - area.bottom)} px`;
      if (message.bottom < area.top) return "above";
      return "visible";
    });

  async function waitForBot(text: string) {
    await source()
      .locator(".msg.bot")
      .filter({ hasText: text })
      .last()
      .waitFor({ timeout: 15_000 });
  }

  async function press(label: string) {
    const button = source()
      .locator(".messages .keyboard button")
      .filter({ hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) })
      .last();
    await button.waitFor({ timeout: 15_000 });
    await button.click();
  }

  async function type(text: string) {
    const input = source().locator("textarea");
    await input.fill(text);
    await input.press("Enter");
  }

  beforeAll(async () => {
    demo = await startDemo({ lang: "ru", logLevel: "silent" });
    await demo.ready;
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 720 },
      locale: "ru-RU",
    });
    page = await context.newPage();
    await page.goto(demo.url);
    await page.locator("#tour").waitFor();
    await page.click("#tour-skip");
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it("shows the newest bot message after each step of the interview", async () => {
    const steps: [string, () => Promise<void>, string][] = [
      [
        "/start",
        () => type("/start"),
        firstLine(ru("start-briefing"))
          .replace(/<[^>]+>/g, "")
          .slice(0, 20),
      ],
      ["begin", () => press(ru("start-button-begin")), firstLine(ru("q-consent"))],
      ["consent", () => press(ru("q-consent-opt-yes")), firstLine(ru("q-role"))],
      ["role", () => press(ru("q-role-opt-other")), firstLine(ru("q-role_other"))],
      ["text", () => type("Связист"), "Сохранено и зашифровано"],
      ["next", () => press(ru("interview-button-next")), firstLine(ru("q-branch"))],
      ["skip", () => press(ru("interview-button-skip")), firstLine(ru("q-service_year"))],
    ];
    for (const [name, act, expected] of steps) {
      await act();
      await waitForBot(expected);
      await expect.poll(newestBotPlace, { message: `after ${name}` }).toBe("visible");
    }
  });

  it("leaves the chat where it is when the reader scrolled up to read", async () => {
    const box = source().locator(".messages");
    await box.evaluate((el) => {
      el.scrollTop = 0;
    });
    // Clicked without scrolling the page (a person would click the button they see; here it is
    // below, so click it directly).
    await source()
      .locator(".messages .keyboard button")
      .filter({ hasText: /^2023$|^Пропустить$/ })
      .last()
      .evaluate((el: HTMLElement) => el.click());
    await waitForBot(firstLine(ru("q-service_length")));
    expect(await box.evaluate((el) => el.scrollTop)).toBeLessThan(50);
    expect(await newestBotPlace()).not.toBe("visible");
  });

  it("a /command in a bot message sends itself when clicked", async () => {
    const command = source().locator(".msg.bot .text .command", { hasText: "/cancel" }).last();
    await type("/help");
    await command.waitFor({ timeout: 15_000 });
    await command.click();
    await waitForBot(firstLine(ru("interview-cancel-confirm")));
    const mine = source().locator(".msg.mine .text").last();
    expect(await mine.textContent()).toBe("/cancel");
  });
});
