// A Bot API storm: one send in five answered 500, and a window where every send gets 429 with
// retry_after 1, while sources send bursts at a free-text question. Calls are retried within a
// short bound here, so some of them give up and whole updates are handled again: every message
// must still be stored exactly once, every answer shown exactly once, and no source left waiting.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { burstText, runBursts, shownTwice, storedBursts } from "../helpers/bursts.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { LABELS } from "../helpers/interview-driver.js";
import { beginInterview, nextQuestion, partsOf, questionIdOf } from "../helpers/steps.js";

const RU = LABELS.ru;

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

describe("an update handled again after a later one", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({
      retry: {
        // A send gives up at once, and its update is tried again only after the next one is in.
        apiRetry: { totalMs: 100, baseMs: 20, capMs: 50 },
        updateRetry: { totalMs: 30_000, baseMs: 1_500, capMs: 1_500 },
      },
    });
  });
  afterAll(() => bot?.stop());

  it("shows nothing old: the question the later one moved to is shown once", async () => {
    const user = bot.api.user({ id: 9_265_000, first_name: "Иван", language_code: "ru" });
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
    await user.send("первая часть");
    await bot.api.waitFor(() => user.botMessages().some((m) => /Сообщений: 1/.test(m.text ?? "")));
    // The second part is stored, but the note under it cannot be sent: its update will be
    // handled again in a moment. Meanwhile the source presses Next on the first note.
    const failing = bot.api.injectFault({
      method: "sendMessage",
      times: Number.POSITIVE_INFINITY,
      error: { error_code: 500, description: "Internal Server Error" },
    });
    const retries = () => bot.logs().split("update failed; retrying").length - 1;
    await user.send("вторая часть");
    await bot.api.waitFor(() => retries() === 1, 10_000, "the update failed once");
    failing.remove();
    await user.press(RU.next);
    await bot.api.waitFor(() => user.botMessages().some((m) => questionIdOf(m) === "branch"));
    await bot.idle(); // the second part's update included, handled again after its backoff
    const branch = user.botMessages().filter((m) => questionIdOf(m) === "branch");
    expect(branch).toHaveLength(1);
    expect(shownTwice(user)).toEqual([]);
    // Both parts stored, once each.
    expect(await partsOf(bot, user, "role_other")).toHaveLength(2);
  }, 60_000);
});
