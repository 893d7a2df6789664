import { GrammyError } from "grammy";
import { describe, expect, it } from "vitest";
import { startTestBot, TEST_TOKEN } from "./helpers/harness.js";
import { captureLogs } from "./helpers/log-capture.js";

const USER_ID = 987654321;
const TEXT = "Меня зовут Иван Секретов, часть 12345";
const USERNAME = "ivan_secret_user";

function planted(output: string) {
  return [
    TEST_TOKEN,
    TEST_TOKEN.split(":")[1] ?? "",
    String(USER_ID),
    TEXT,
    "Секретов",
    USERNAME,
  ].filter((needle) => output.includes(needle));
}

describe("logger", () => {
  it("logs a handler failure with the update id and method only, not the Bot API payload", async () => {
    const bot = await startTestBot();
    try {
      const user = bot.api.user({
        id: USER_ID,
        first_name: "Иван",
        username: USERNAME,
        language_code: "ru",
      });
      // Telegram's error descriptions can quote what was sent; grammY's error carries the payload.
      bot.api.injectFault({
        method: "sendMessage",
        times: Number.POSITIVE_INFINITY,
        error: { error_code: 400, description: `Bad Request: ${TEXT} for ${USERNAME} ${USER_ID}` },
      });
      await user.send(TEXT);
      const out = await bot.api.waitFor(() =>
        bot.logs().includes("update failed") ? bot.logs() : "",
      );
      expect(out).toMatch(/"updateId":\d+/);
      expect(out).toContain('"method":"sendMessage"');
      expect(out).toContain('"code":400');
      expect(planted(out)).toEqual([]);
    } finally {
      await bot.stop();
    }
  });

  it("writes times to the hour, and update ids only at debug level", async () => {
    const { logger, output } = captureLogs("info");
    logger.info("ready");
    const line = JSON.parse(output().trim().split("\n")[0] ?? "{}");
    expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00Z$/);

    const bot = await startTestBot({ logLevel: "info" });
    try {
      const user = bot.api.user({ id: USER_ID, first_name: "Иван", language_code: "ru" });
      bot.api.injectFault({
        method: "sendMessage",
        times: Number.POSITIVE_INFINITY,
        error: { error_code: 400, description: "Bad Request" },
      });
      await user.send(TEXT);
      const out = await bot.api.waitFor(() =>
        bot.logs().includes("update failed") ? bot.logs() : "",
      );
      expect(out).not.toContain("updateId");
    } finally {
      await bot.stop();
    }
  });

  it("drops messages of errors that may quote user text, and scrubs tokens", () => {
    const { logger, output } = captureLogs();
    logger.error({ err: new Error(`could not parse "${TEXT}" from ${USER_ID}`) }, "update failed");
    logger.error(
      { err: new TypeError(`fetch failed: https://x/file/bot${TEST_TOKEN}/v.ogg`) },
      "failed",
    );
    logger.error(
      {
        err: new GrammyError(
          `Call to 'sendMessage' failed! (400: ${TEXT})`,
          { ok: false, error_code: 400, description: TEXT },
          "sendMessage",
          { chat_id: USER_ID, text: TEXT },
        ),
      },
      "failed",
    );
    logger.info({ text: TEXT, from: { id: USER_ID, username: USERNAME } }, `token ${TEST_TOKEN}`);
    const out = output();
    expect(out).toContain('"type":"TypeError"');
    expect(out).toContain('"type":"GrammyError"');
    expect(planted(out)).toEqual([]);
  });
});
