// What a source notices while moving through the interview: a changed choice asks the follow-up
// it opens, the hint at a file question, a progress counter that does not jump, the review's marks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editorsNotice } from "../../src/bot/features/editors/notice-card.js";
import type { SubmissionSummary } from "../../src/services/submissions/editorial.js";
import { translate } from "../../src/services/texts.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { beginInterview, jumpTo, nextQuestion, partsOf, settledDraft } from "../helpers/steps.js";

describe("moving through the interview", () => {
  let bot: TestBot;
  let nextId = 8600;
  const newUser = (language_code = "ru") =>
    bot.api.user({ id: nextId++, first_name: "Источник", language_code });

  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(() => bot.stop());

  it("asks the follow-up that a choice changed from the review opens, then returns to the review", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Срочник");
    await nextQuestion(user, "branch");
    const review = await jumpTo(bot, user, "review");
    expect(review.text).toMatch(/2\. Кем служили — есть ответ/);
    expect(review.text).toMatch(/\n3\. Войска — пропущено/);

    await user.press("✎ 2. Кем служили");
    await nextQuestion(user, "role");
    await user.press("Другое");
    const followUp = await nextQuestion(user, "role_other");
    expect(followUp.text).toContain("Кем именно?");

    await user.send("Резервист");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Сообщений: 1");
    await user.press("Дальше →");
    const back = await nextQuestion(user, "review");
    expect(back.text).toMatch(/3\. Кем именно — есть ответ/);
    expect(await partsOf(bot, user, "role_other")).toHaveLength(1);
  });

  it("does not ask a follow-up again when the changed choice keeps it answered or skipped", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
    await user.press("Пропустить");
    await nextQuestion(user, "branch");
    await jumpTo(bot, user, "review");
    await user.press("✎ 2. Кем служили");
    await nextQuestion(user, "role");
    await user.press(/Другое/);
    const review = await nextQuestion(user, "review");
    expect(review.text).toMatch(/3\. Кем именно — пропущено/);
  });

  it("at a file question, text gets a hint to send a file or press Skip / Next", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Срочник");
    await nextQuestion(user, "branch");
    await jumpTo(bot, user, "originals");
    await user.send("у меня есть видео");
    const hint = await user.nextBotMessage({ newOnly: true });
    expect(hint.text).toContain("Здесь нужен файл");
    expect(hint.text).toContain("«Пропустить»");
    expect(hint.text).not.toContain("кнопкой под вопросом");
    expect(await partsOf(bot, user, "originals")).toHaveLength(0);

    const english = newUser("en");
    await beginInterview(english, "en");
    await english.press("Conscript");
    await nextQuestion(english, "branch");
    await jumpTo(bot, english, "materials");
    await english.send("I have a video");
    const englishHint = await english.nextBotMessage({ newOnly: true });
    expect(englishHint.text).toContain("This question needs a file");
  });

  it("numbers only the questions the source is asked: no jump when a branch is not taken", async () => {
    const user = newUser();
    const role = await beginInterview(user);
    expect(role.text).toMatch(/^2\/15\./);
    await user.press("Другое");
    // The source's own choice opened one more question: the total says so.
    expect((await nextQuestion(user, "role_other")).text).toMatch(/^3\/16\./);
    await user.press("Пропустить");
    expect((await nextQuestion(user, "branch")).text).toMatch(/^4\/16\./);

    const other = newUser();
    await beginInterview(other);
    await other.press("Срочник");
    // The branch not taken is not counted: 2, then 3.
    expect((await nextQuestion(other, "branch")).text).toMatch(/^3\/15\./);
    const departure = await jumpTo(bot, other, "departure");
    expect(departure.text).toMatch(/^9\/15\./);
    await other.press(/СОЧ/);
    expect((await nextQuestion(other, "departure_story")).text).toMatch(/^10\/16\./);
    await other.press("Пропустить");
    expect((await nextQuestion(other, "situation")).text).toMatch(/^11\/16\./);
    const review = await jumpTo(bot, other, "review");
    const numbers = (review.text ?? "")
      .split("\n")
      .flatMap((line) => /^(\d+)\. /.exec(line)?.[1] ?? []);
    expect(numbers.map(Number)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });

  it("the review says when an answer holds both text and files", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Срочник");
    await nextQuestion(user, "branch");
    await jumpTo(bot, user, "story");
    await user.send("Рассказ текстом");
    await user.nextBotMessage({ newOnly: true });
    await user.sendVoice(new Uint8Array(2000), { duration: 2 });
    await user.sendVoice(new Uint8Array(2000), { duration: 2 });
    await bot.api.waitFor(() =>
      user.botMessages().some((m) => m.text?.includes("Сообщений: 1, файлов: 2")),
    );
    await settledDraft(bot, user);
    const review = await jumpTo(bot, user, "review");
    expect(review.text).toMatch(/\d+\. Рассказ — текст и 2 файла/);
  });

  it("puts the editors' status buttons two to a row, so none is cut on a phone", () => {
    const summary = {
      number: 12,
      questionnaireVersion: 1,
      answers: 5,
      attachments: 1,
      followUps: 0,
      replies: 0,
      locale: "ru",
      createdOn: "2026-01-01",
      status: "new",
    } as SubmissionSummary;
    const t = (key: string, args?: Record<string, string | number>) => translate("ru", key, args);
    const rows = editorsNotice(t, summary).keyboard.inline_keyboard;
    const statusRows = rows.filter((row) =>
      row.some((b) => "callback_data" in b && b.callback_data.startsWith("ed:s:")),
    );
    expect(statusRows.map((row) => row.length)).toEqual([2, 2]);
    expect(statusRows.flat().map((b) => b.text)).toContain("опубликован");
  });
});
