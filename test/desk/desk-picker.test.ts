// The desk's key-file picker and selects speak the page's language and look like the page, not
// like the browser's own controls (which speak the browser's language).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Desk, startDesk } from "../../src/desk/server.js";
import { hasChromium, launchChromium } from "../helpers/desk.js";

describe.skipIf(!hasChromium)("the desk's key picker and selects", () => {
  let desk: Desk;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), "tb-desk-picker-"));

  beforeAll(async () => {
    desk = await startDesk({ source: { archives: [join(dir, "none.tar")] } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await desk?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows a localised picker with the chosen file's name, and page-styled selects", async () => {
    // A browser in English: its native picker would say "Choose File" / "No file chosen".
    const page = await browser.newPage({ locale: "en-US" });
    await page.goto(desk.url);
    await page.waitForSelector("#unlock-view:not([hidden])");
    expect(await page.textContent(".file-picker label")).toBe("Выбрать файл…");
    expect(await page.textContent("#key-file-name")).toBe("Файл не выбран");
    // The native control is there for the keyboard and screen readers, but not drawn.
    const box = await page.locator("#key-file").boundingBox();
    expect((box?.width ?? 0) <= 1 && (box?.height ?? 0) <= 1).toBe(true);

    const keyFile = join(dir, "anna.private.asc");
    writeFileSync(keyFile, "-----BEGIN PGP PRIVATE KEY BLOCK-----\n");
    await page.setInputFiles("#key-file", keyFile);
    expect(await page.textContent("#key-file-name")).toBe("anna.private.asc");

    await page.selectOption("#lang", "en");
    await page.waitForFunction(() => document.documentElement.lang === "en");
    expect(await page.textContent(".file-picker label")).toBe("Choose a file…");
    expect(await page.textContent("#key-file-name")).toBe("anna.private.asc");

    const look = await page.$eval("#lang", (el) => getComputedStyle(el).appearance);
    expect(look).toBe("none");
    await page.close();
  });
});
