// One chat's updates are handled in the order they were sent, also when one of them fails for a
// moment (the database going away) and is handled again: a source's messages are stored in the
// order they were written, and what the bot shows before a failure is never shown twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shownTwice } from "../helpers/bursts.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { LABELS } from "../helpers/interview-driver.js";
import { beginInterview, decryptAsEditor, nextQuestion, partsOf } from "../helpers/steps.js";

const RU = LABELS.ru;

/** The database as it looks while it restarts: the server is shutting down (57P01). */
const shuttingDown = () => Object.assign(new Error("terminating connection"), { code: "57P01" });

describe("updates of one chat, one of them handled again", () => {
  let bot: TestBot;
  /** The next draft write for which this holds fails, once. */
  let failWhen: (() => boolean) | undefined;
  beforeAll(async () => {
    bot = await startTestBot({
      // Handled again a second later: long enough for the next update to arrive meanwhile.
      retry: { updateRetry: { totalMs: 20_000, baseMs: 1_000, capMs: 1_000 } },
    });
    const interview = bot.app.services.interview;
    const write = interview.write.bind(interview);
    interview.write = async (...args) => {
      if (failWhen?.()) {
        failWhen = undefined;
        throw shuttingDown();
      }
      return write(...args);
    };
  });
  afterAll(() => bot?.stop());

  it("stores a source's messages in the order sent when the first one failed for a moment", async () => {
    const user = bot.api.user({ id: 9_266_000, first_name: "Пётр", language_code: "ru" });
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
    await bot.idle();
    failWhen = () => true;
    await user.send("сначала это");
    await user.send("потом это");
    await bot.idle(20_000);
    expect(bot.logs()).toContain("update failed; retrying");
    const parts = await partsOf(bot, user, "role_other");
    const texts = await Promise.all(parts.map((part) => decryptAsEditor(bot, part.ciphertext)));
    expect(texts).toEqual(["сначала это", "потом это"]);
    expect(shownTwice(user)).toEqual([]);
  }, 60_000);

  it("a press on the question a failed update showed moves on, and nothing is shown twice", async () => {
    const user = bot.api.user({ id: 9_266_001, first_name: "Павел", language_code: "ru" });
    await user.command("start");
    await user.nextBotMessage({ newOnly: true });
    // The key prefetched at /start is there (before it, Begin shows first and stores after:
    // test/e2e/admission.test.ts).
    const { derivations } = bot.app.services;
    await bot.api.waitFor(
      () => derivations.running + derivations.waiting.newcomer + derivations.waiting.source === 0,
      5000,
      "the key derived",
    );
    // Begin: the interview is stored and its first question shown, then the write after it
    // fails; Begin is handled again while the source already presses "Yes" on that question.
    const consentShown = () => user.botMessages().some((m) => m.text?.includes("Прежде чем"));
    failWhen = consentShown;
    await user.press(RU.begin);
    await nextQuestion(user, "consent");
    await user.press(RU.consent);
    await nextQuestion(user, "role");
    await bot.idle(20_000);
    expect(bot.logs()).toContain("update failed; retrying");
    const asked = user.botMessages().filter((m) => m.text?.includes("Прежде чем"));
    expect(asked).toHaveLength(1);
    expect(shownTwice(user)).toEqual([]);
  }, 60_000);
});
