// Send takes a receipt made while the source was answering (services/submissions/ready-receipts.ts):
// the codename it shows opens the testimony and the editors' replies like one made at Send.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview, submitFromReview } from "../helpers/interview-driver.js";

describe("a receipt made ahead", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(() => bot.stop());

  it("is made while the source answers, shown at Send, and opens the replies", async () => {
    const { submissions, editorial } = bot.app.services;
    expect(submissions.receiptsReady).toBe(0);
    const source = bot.api.user({ id: 7_700_101, first_name: "Лука", language_code: "ru" });
    await driveInterview(bot.api, source, { texts: ["Рассказ"], stopAtReview: true });
    await bot.api.waitFor(() => submissions.receiptsReady === 1, 20_000, "receipt made ahead");

    const codename = await submitFromReview(bot.api, source);
    expect(codename?.split(" ")).toHaveLength(8);
    expect(submissions.receiptsReady).toBe(0);

    const [row] = await bot.app.repositories.submissions.list(5);
    if (!row) throw new Error("no submission");
    await editorial.reply(row.number, "Спасибо, прочитали.", "test");
    const view = await submissions.openWithCodename(codename as string);
    expect(view?.submissionId).toBe(row.id);
    expect(view?.replies).toEqual(["Спасибо, прочитали."]);
  });
});
