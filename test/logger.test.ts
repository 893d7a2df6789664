import type { Update } from "grammy/types";
import { describe, expect, it } from "vitest";
import { createBot } from "../src/bot/index.js";
import type { PreferencesService } from "../src/services/preferences.js";
import { BOT_INFO } from "./helpers/bot.js";
import { captureLogs } from "./helpers/log-capture.js";

const TOKEN = "7012345678:AAHx-secretTokenValue_ThatMustNeverBeLogged";
const USER_ID = 987654321;
const TEXT = "Меня зовут Иван Секретов, часть 12345";
const USERNAME = "ivan_secret_user";

function planted(output: string) {
  return [TOKEN, TOKEN.split(":")[1] ?? "", String(USER_ID), TEXT, "Секретов", USERNAME].filter(
    (needle) => output.includes(needle),
  );
}

const update: Update = {
  update_id: 42,
  message: {
    message_id: 1,
    date: 0,
    chat: { id: USER_ID, type: "private", first_name: "Ivan", username: USERNAME },
    from: { id: USER_ID, is_bot: false, first_name: "Ivan", username: USERNAME },
    text: TEXT,
  },
};

describe("logger", () => {
  it("logs a failed update with its id only, though the error quotes the sender and text", async () => {
    const { logger, output } = captureLogs();
    // A dependency failing the way real code fails: its message quotes what it was given.
    const preferences = {
      savedLocale: async (userId: number) => {
        throw new Error(`no locale for ${userId} (${USERNAME}) after "${TEXT}" ${TOKEN}`);
      },
    } as unknown as PreferencesService;
    const bot = createBot({
      token: TOKEN,
      apiRoot: "http://127.0.0.1:9",
      defaultLocale: "ru",
      logger,
      preferences,
      botInfo: BOT_INFO,
    });
    await bot.handleUpdate(update);
    const out = output();
    expect(out).toContain('"updateId":42');
    expect(out).toContain("update failed");
    expect(planted(out)).toEqual([]);
  });

  it("redacts payload-like fields and tokens passed by mistake", () => {
    const { logger, output } = captureLogs();
    logger.info({ update, text: TEXT, from: { id: USER_ID } }, `token ${TOKEN}`);
    logger.warn({ err: new Error(TEXT) }, "failure");
    expect(planted(output())).toEqual([]);
  });
});
