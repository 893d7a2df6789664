// A source never loses an answer by accident and always sees what became of what they sent:
// Back then Skip asks before deleting, an all-skipped testimony asks once, a tapped choice shows
// in the chat, the live summary stays last, and the review fits a phone.
import type { Message } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import {
  beginInterview,
  jumpTo,
  nextQuestion,
  partsOf,
  settledDraft,
  visibleTexts,
} from "../helpers/steps.js";

const buttonsOf = (message: Message | undefined) =>
  (message?.reply_markup?.inline_keyboard.flat() ?? []).map((button) => button.text);

describe("what the source sent is never lost by accident", () => {
  let bot: TestBot;
  let nextId = 23_100;
  const newUser = (language_code = "ru") =>
    bot.api.user({ id: nextId++, first_name: "Источник", language_code });

  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(() => bot.stop());

  /** A story of one text and two voice notes, then Next: returns the question after it. */
  async function answerStory(user: ReturnType<typeof newUser>) {
    await beginInterview(user);
    await user.press("Срочник");
    await nextQuestion(user, "branch");
    await jumpTo(bot, user, "story");
    await user.send("Нас отправили без объяснений");
    await user.nextBotMessage({ newOnly: true });
    await user.sendVoice(new Uint8Array(2000), { duration: 2 });
    await user.nextBotMessage({ newOnly: true });
    await user.sendVoice(new Uint8Array(2000), { duration: 2 });
    await user.nextBotMessage({ newOnly: true });
    await user.press("Дальше →");
    return nextQuestion(user, "departure");
  }

  it("Back, then Skip, asks before deleting; 'No' keeps the answer and moves on", async () => {
    const user = newUser();
    await answerStory(user);
    await user.press("← Назад");
    const story = await nextQuestion(user, "story");
    expect(story.text).toContain("Вы уже отвечали");
    expect(buttonsOf(story)).toContain("Оставить мой ответ →");

    await user.press("Пропустить");
    const ask = await user.nextBotMessage({ newOnly: true });
    expect(ask.text).toContain("Удалить ваш ответ на этот вопрос?");
    expect(await partsOf(bot, user, "story")).toHaveLength(3);

    await user.press("Нет, оставить ответ →");
    await nextQuestion(user, "departure");
    expect(await partsOf(bot, user, "story")).toHaveLength(3);
    const settled = user.chat().find((m) => m.message_id === ask.message_id);
    expect(settled?.text).toBe("Ответ оставлен как был.");
    expect(buttonsOf(settled)).toEqual([]);

    const review = await jumpTo(bot, user, "review");
    expect(review.text).toMatch(/\d+\. Рассказ — текст и 2 файла/);
  });

  it("'Keep my answer →' moves on with the answer untouched", async () => {
    const user = newUser();
    await answerStory(user);
    await user.press("← Назад");
    await nextQuestion(user, "story");
    await user.press("Оставить мой ответ →");
    await nextQuestion(user, "departure");
    expect(await partsOf(bot, user, "story")).toHaveLength(3);
  });

  it("deletes the answer only when the source confirms it, and the review says so", async () => {
    const user = newUser();
    await answerStory(user);
    await user.press("← Назад");
    await nextQuestion(user, "story");
    await user.press("Пропустить");
    const ask = await user.nextBotMessage({ newOnly: true });
    await user.press("Да, удалить ответ");
    await nextQuestion(user, "departure");
    expect(await partsOf(bot, user, "story")).toHaveLength(0);
    expect(user.chat().find((m) => m.message_id === ask.message_id)?.text).toBe(
      "Ответ на этот вопрос удалён.",
    );
    const review = await jumpTo(bot, user, "review");
    expect(review.text).toMatch(/\d+\. Рассказ — пропущено/);
  });

  it("a chosen answer is not dropped by Back then Skip either, nor its branch", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
    await user.send("Резервист");
    await user.nextBotMessage({ newOnly: true });
    await user.press("← Назад");
    const role = await nextQuestion(user, "role");
    expect(buttonsOf(role)).toContain("Оставить мой ответ →");
    await user.press("Пропустить");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Удалить ваш ответ");
    await user.press("Нет, оставить ответ →");
    await nextQuestion(user, "role_other");
    expect(await partsOf(bot, user, "role")).toHaveLength(1);
    expect(await partsOf(bot, user, "role_other")).toHaveLength(1);
  });

  it("a testimony with every question skipped asks once before it is sent", async () => {
    const user = newUser();
    let message = await beginInterview(user);
    while (!message.text?.includes("Проверьте ответы")) {
      if (buttonsOf(message).includes("Пропустить")) await user.press("Пропустить");
      message = await user.nextBotMessage({ newOnly: true });
    }
    await user.press("Отправить редакции");
    const ask = await user.nextBotMessage({ newOnly: true });
    expect(ask.text).toContain("Вы пропустили все вопросы");
    await bot.idle();
    expect(await bot.app.repositories.submissions.list()).toEqual([]);

    await user.press("Нет, вернуться к ответам");
    await bot.api.waitFor(() => !user.chat().some((m) => m.message_id === ask.message_id));
    expect(await settledDraft(bot, user)).toMatchObject({ position: "review" });

    await user.press("Отправить редакции");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Да, отправить");
    await bot.api.waitFor(() =>
      user.botMessages().find((m) => m.text?.includes("Ваша кодовая фраза")),
    );
    expect(await bot.app.repositories.submissions.list()).toHaveLength(1);
  });

  it("a tapped choice shows in the chat: the question message says what was chosen", async () => {
    const user = newUser();
    const role = await beginInterview(user);
    await user.press("Мобилизованный");
    await nextQuestion(user, "branch");
    const answered = user.chat().find((m) => m.message_id === role.message_id);
    expect(answered?.text).toContain("Кем вы служили?");
    expect(answered?.text).toContain("✓ Мобилизованный");
    expect(buttonsOf(answered)).toEqual([]);

    const english = newUser("en");
    const englishRole = await beginInterview(english, "en");
    await english.press("Officer");
    await nextQuestion(english, "branch");
    expect(english.chat().find((m) => m.message_id === englishRole.message_id)?.text).toContain(
      "✓ Officer",
    );
  });

  it("keeps the live summary and its Next button as the last message as files arrive", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Срочник");
    await nextQuestion(user, "branch");
    await jumpTo(bot, user, "story");
    await user.send("Текст");
    await user.nextBotMessage({ newOnly: true });
    for (let i = 0; i < 3; i++) {
      await user.sendVoice(new Uint8Array(1000 + i), { duration: 1 });
      await user.nextBotMessage({ newOnly: true });
    }
    await bot.idle();
    const chat = user.chat();
    const last = chat.at(-1);
    expect(last?.text).toContain("Сообщений: 1, файлов: 3");
    expect(buttonsOf(last)).toContain("Дальше →");
    // One summary in the chat: the older ones went.
    expect(
      visibleTexts(user).filter((text) => text.includes("Сохранено и зашифровано")),
    ).toHaveLength(1);
  });

  it("the review fits a phone: short lines, labelled buttons, the long explanation behind one", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Срочник");
    await nextQuestion(user, "branch");
    const review = await jumpTo(bot, user, "review");
    const lines = (review.text ?? "").split("\n");
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(50);
    expect(review.text).not.toContain("только в памяти");
    const labels = buttonsOf(review);
    expect(labels).toContain("✎ 2. Кем служили");
    expect(labels.filter((label) => /^\d+$/.test(label))).toEqual([]);
    // Two question buttons to a row, so none is cut short on a narrow screen.
    const rows = review.reply_markup?.inline_keyboard ?? [];
    const questionRows = rows.filter((row) => row.some((b) => b.text.startsWith("✎")));
    expect(Math.max(...questionRows.map((row) => row.length))).toBe(2);

    await user.press("ℹ️ Что это за сообщение об ответе?");
    const explanation = await user.nextBotMessage({ newOnly: true });
    expect(explanation.text).toContain("только в памяти");
    await user.press("Понятно");
    await bot.api.waitFor(() => !user.chat().some((m) => m.message_id === explanation.message_id));

    await user.press("🔕 Сообщить об ответе: нет");
    await bot.api.waitFor(() =>
      buttonsOf(user.lastBotMessage()).includes("🔔 Сообщить об ответе: да"),
    );
  });

  it("the multi-select question of what the source saw keeps every tick, with 'other'", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Срочник");
    await nextQuestion(user, "branch");
    const question = await jumpTo(bot, user, "witnessed");
    expect(buttonsOf(question)).toContain("☐ Другое");
    await user.press("☐ Мародёрство");
    await user.press("☐ Другое");
    await bot.api.waitFor(() =>
      buttonsOf(user.chat().find((m) => m.message_id === question.message_id)).includes("☑ Другое"),
    );
    await user.press("Готово");
    await nextQuestion(user, "story");
    const [part] = await partsOf(bot, user, "witnessed");
    expect(part?.kind).toBe("choice");
    expect(user.chat().find((m) => m.message_id === question.message_id)?.text).toContain(
      "✓ Мародёрство, Другое",
    );
  });
});
