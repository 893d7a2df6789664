// The review desk in tests: a submission made by a real interview (text, voice, document, and a
// photo and a text added later with the codename), headless Chromium from Debian, and the
// unlock form filled in as an editor would.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import type { TestBot } from "./harness.js";
import { driveInterview } from "./interview-driver.js";
import { gradientPng, oggOpusSilence } from "./media.js";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const NO_CHROMIUM =
  "desk browser tests skipped: /usr/bin/chromium is missing (apt-get install chromium; .ci/run does)";

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}

/**
 * Uses a one-time launch address as the page does (the code from its "#launch=" fragment, posted
 * once): returns the session token, or undefined if the desk refused.
 */
export async function launchSession(launchUrl: string): Promise<string | undefined> {
  const code = new URL(launchUrl).hash.replace(/^#launch=/, "");
  const response = await fetch(new URL("/api/session", launchUrl), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ code }),
  });
  if (response.status !== 200) return undefined;
  return ((await response.json()) as { token: string }).token;
}

/** fetch with a desk session (its header): `path` relative to the desk's origin. */
export function deskFetch(launchUrl: string, token: string, path: string, init: RequestInit = {}) {
  return fetch(new URL(path, launchUrl), {
    ...init,
    headers: { ...(init.headers as Record<string, string>), "X-Desk-Session": token },
  });
}

export interface Planted {
  answers: string[];
  followUp: string;
  voiceMarker: string;
  documentMarker: string;
  photoMarker: string;
}

/** Unique planted texts, so scans never match another test's data. */
export function plantedTexts(tag: string): Planted {
  const id = Math.random().toString(36).slice(2, 8);
  return {
    answers: [
      `Старшина Огурцов-${id} увёл взвод к переправе ${tag}`,
      `Склад ГСМ за посёлком Пятихатки-${id}`,
      `Вышли ночью через лесополосу, проводник Рябой-${id}`,
    ],
    followUp: `Дополнение: номер части 4${id} уточнён`,
    voiceMarker: `VOICE-PLAINTEXT-${id}`,
    documentMarker: `DOCUMENT-PLAINTEXT-${id}`,
    photoMarker: `PHOTO-PLAINTEXT-${id}`,
  };
}

/**
 * A source submits a testimony (three planted text answers, a voice message on the story
 * question, a document on the media questions), confirms the codename, then adds a photo and a
 * text with it. Returns the codename.
 */
export async function submitTestimony(bot: TestBot, userId: number, planted: Planted) {
  const source = bot.api.user({ id: userId, first_name: "Источник", language_code: "ru" });
  const codename =
    (await driveInterview(bot.api, source, {
      texts: planted.answers,
      voice: oggOpusSilence(3, planted.voiceMarker),
      file: Buffer.from(`${planted.documentMarker} ${"d".repeat(2000)}`),
    })) ?? "";
  await source.press("Записал(а), удалить");
  await source.nextBotMessage();
  await source.send(codename);
  await bot.api.waitFor(() => source.chat().length === 1);
  await source.command("codename");
  await source.nextBotMessage({ newOnly: true });
  await source.send(codename);
  await source.nextBotMessage({ newOnly: true });
  await source.press("Дополнить рассказ");
  await source.nextBotMessage({ newOnly: true });
  await source.sendPhoto(gradientPng(320, 200, planted.photoMarker), { width: 320, height: 200 });
  await source.nextBotMessage({ newOnly: true });
  await source.send(planted.followUp);
  await source.nextBotMessage({ newOnly: true });
  await source.press("Готово, удалить переписку");
  return codename;
}

/** Fills the unlock form: a key file (unless the desk has --key) and the passphrase. */
export async function unlock(
  page: Page,
  options: { dir: string; armoredKey?: string; passphrase: string },
): Promise<void> {
  if (options.armoredKey) {
    const file = join(options.dir, `key-${Math.random().toString(36).slice(2)}.private.asc`);
    await writeFile(file, options.armoredKey, { mode: 0o600 });
    await page.setInputFiles("#key-file", file);
  }
  await page.fill("#passphrase", options.passphrase);
  await page.click("#unlock-button");
}
