// A Bot API storm: one send in five answered 500, and a window where every send gets 429 with
// retry_after 1, while sources send bursts at a free-text question. Calls are retried within a
// short bound here, so some of them give up and whole updates are handled again: every message
// must still be stored exactly once, every answer shown exactly once, and no source left waiting.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { burstText, runBursts, shownTwice, storedBursts } from "../helpers/bursts.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";

const SOURCES = 8;
const BURST = 5;
/** The 429 window: long enough that calls inside it give up and their updates are retried. */
const WINDOW_MS = 4_000;
const SEND_METHODS = [
  "sendMessage",
  "editMessageText",
  "editMessageReplyMarkup",
  "answerCallbackQuery",
  "deleteMessage",
];

describe("a Bot API storm", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({
      retry: {
        // Short bounds, so that the 429 window outlasts a call's retries.
        apiRetry: { totalMs: 1_500, baseMs: 20, capMs: 200 },
        updateRetry: { totalMs: 30_000, baseMs: 100, capMs: 1_000 },
      },
      config: { FLOOD_MESSAGES_PER_MINUTE: 1000 },
    });
  });
  afterAll(() => bot?.stop());

  it("loses nothing and answers everything exactly once under 500s and a 429 window", async () => {
    const errors = SEND_METHODS.map((method) =>
      bot.api.injectFault({
        method,
        times: Number.POSITIVE_INFINITY,
        chance: 0.2,
        error: { error_code: 500, description: "Internal Server Error" },
      }),
    );
    let window: { remove(): void }[] = [];
    const run = await runBursts(bot.api, {
      sources: SOURCES,
      burst: BURST,
      idBase: 9_260_000,
      stepMs: 30_000,
      // The 429 window opens as the bursts are being handled.
      fault: async () => {
        window = SEND_METHODS.map((method) =>
          bot.api.injectFault({
            method,
            times: Number.POSITIVE_INFINITY,
            error: {
              error_code: 429,
              description: "Too Many Requests: retry after 1",
              parameters: { retry_after: 1 },
            },
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
        for (const fault of window) fault.remove();
      },
    });
    for (const fault of [...errors, ...window]) fault.remove();
    await bot.idle(60_000);

    const problems = bot
      .logs()
      .split("\n")
      .filter((line) => /given up|update failed"|"level":50/.test(line));
    expect({ failures: run.failures, problems }).toEqual({ failures: [], problems: [] });
    expect(bot.api.stats().faulted).toBeGreaterThan(SOURCES);
    // Some calls gave up inside the window, and their updates were handled again.
    expect(bot.logs()).toContain("update failed; retrying");
    // What failed is logged by code and class, never with what the source wrote.
    expect(bot.logs()).not.toContain(burstText(0, 1).slice(0, 12));
    const stored = await storedBursts(bot, run.users);
    stored.forEach((texts, source) => {
      const sent = Array.from({ length: BURST }, (_, n) => burstText(source, n + 1)).sort();
      expect({ source, texts }).toEqual({ source, texts: sent });
    });
    for (const [source, user] of run.users.entries()) {
      expect({ source, twice: shownTwice(user) }).toEqual({ source, twice: [] });
    }
  }, 240_000);
});
