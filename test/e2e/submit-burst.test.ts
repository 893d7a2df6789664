// Many sources pressing Send at the same moment (issue 15): the memory-hard work of each
// submission waits in a bounded queue; every source still gets a codename of their own, every
// codename opens its own testimony, and every answer decrypts for the editors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSubmission } from "../helpers/decrypt.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview, submitFromReview } from "../helpers/interview-driver.js";

const SOURCES = 20;

describe("a burst of submissions", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(() => bot.stop());

  it(`${SOURCES} sources sending at once all get codenames, and every answer decrypts`, async () => {
    const users = Array.from({ length: SOURCES }, (_, i) =>
      bot.api.user({ id: 8_700_000 + i, first_name: `Источник ${i}`, language_code: "ru" }),
    );
    const storyOf = (i: number) => `Рассказ источника номер ${i}`;
    await Promise.all(
      users.map((user, i) =>
        driveInterview(bot.api, user, { texts: [storyOf(i)], stopAtReview: true }),
      ),
    );

    const codenames = await Promise.all(
      users.map((user) => submitFromReview(bot.api, user, "ru", 120_000)),
    );
    expect(codenames.every((c) => c?.split(" ").length === 8)).toBe(true);
    expect(new Set(codenames).size).toBe(SOURCES);

    for (const [i, codename] of codenames.entries()) {
      const view = await bot.app.services.submissions.openWithCodename(codename as string);
      expect(view).toBeDefined();
      const parts = await decryptSubmission(
        bot.app.repositories.parts,
        view?.submissionId as string,
        bot.editorKeys[0] as (typeof bot.editorKeys)[number],
      );
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.filter((p) => p.kind === "text").map((p) => p.text)).toContain(storyOf(i));
    }
    expect(await bot.app.repositories.submissions.list()).toHaveLength(SOURCES);
  }, 300_000);
});
