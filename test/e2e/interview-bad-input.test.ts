// Invariant 8: every kind of bad input during an interview gets a clear answer (or none, outside
// private chats), and nothing that should not be stored is stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerCounts } from "../../src/services/interview/draft-store.js";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import {
  beginInterview,
  callbackAnswer,
  decryptAsEditor,
  draftOf,
  jumpTo,
  nextQuestion,
  partKeys,
  partsOf,
  questionIdOf,
  settledDraft,
  visibleTexts,
  waitForDraft,
} from "../helpers/steps.js";

const PLEASE_ANSWER = "Это сообщение не сохранено. Ответьте на вопрос";
const LOCATION_WARNING = "Геопозиция и контакты указывают на вас";
const STALE = "Эта кнопка относится к другому шагу";

describe("bad input during an interview", () => {
  let bot: TestBot;
  let nextId = 8100;
  const newUser = (language_code = "ru") =>
    bot.api.user({ id: nextId++, first_name: "Источник", language_code });

  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(() => bot.stop());

  /** A user on the free-text question role_other ("Другое" as role). */
  async function onTextQuestion(): Promise<FakeUser> {
    const user = newUser();
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
    return user;
  }

  it("answers stickers, GIFs, polls and dice with 'please answer' and stores nothing", async () => {
    const user = await onTextQuestion();
    const before = partKeys(await partsOf(bot, user));
    const sends = [
      () => user.sendSticker(),
      () => user.sendAnimation(),
      () => user.sendPoll("Куда идти?", ["Туда", "Сюда"]),
      () => user.sendDice(),
    ];
    for (const sendOne of sends) {
      await sendOne();
      expect((await user.nextBotMessage({ newOnly: true })).text).toContain(PLEASE_ANSWER);
    }
    expect(partKeys(await partsOf(bot, user))).toEqual(before);
    expect((await draftOf(bot, user)).position).toBe("role_other");
  });

  it("does not store a GIF on the media question either (Telegram sends it as a document too)", async () => {
    const user = newUser();
    await beginInterview(user);
    await jumpTo(bot, user, "materials");
    await user.sendAnimation(new Uint8Array(2048).fill(7));
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(PLEASE_ANSWER);
    const draft = await draftOf(bot, user);
    expect(answerCounts(draft).materials).toBeUndefined();
  });

  it("deletes a location or a contact, warns, and stores nothing", async () => {
    const user = await onTextQuestion();
    const before = partKeys(await partsOf(bot, user));
    const location = await user.sendLocation(47.0951, 37.5413);
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(LOCATION_WARNING);
    const contact = await user.sendContact({ phone_number: "+79991234567", first_name: "Мама" });
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(LOCATION_WARNING);
    const visibleIds = user.chat().map((m) => m.message_id);
    expect(visibleIds).not.toContain(location.message_id);
    expect(visibleIds).not.toContain(contact.message_id);
    expect(partKeys(await partsOf(bot, user))).toEqual(before);
    // The interview goes on where it was.
    await user.send("Штурмовик из отряда «Шторм Z»");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Сообщений: 1");
  });

  it("does not apply an edit to an answer that is already encrypted, and says so", async () => {
    const user = await onTextQuestion();
    const answer = await user.send("Водитель в батальоне снабжения");
    await user.nextBotMessage({ newOnly: true });
    const [stored] = await partsOf(bot, user, "role_other");
    await user.edit(answer.message_id, "Водитель, исправленный текст");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Исправления не применяются",
    );
    const after = await partsOf(bot, user, "role_other");
    expect(after).toHaveLength(1);
    expect(
      Buffer.from(after[0]?.ciphertext ?? []).equals(Buffer.from(stored?.ciphertext ?? [])),
    ).toBe(true);
    expect(await decryptAsEditor(bot, after[0]?.ciphertext as Uint8Array)).toBe(
      "Водитель в батальоне снабжения",
    );
  });

  it("stores a forwarded message without its origin", async () => {
    const user = await onTextQuestion();
    const commander = bot.api.user({
      id: 8099,
      first_name: "Полковник Сидорчук",
      username: "sid_col",
    });
    await user.forward("Приказ: выдвигаться к посёлку в 4:00", commander);
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Сообщений: 1");
    await user.forward("Второе пересланное", "Скрытый Отправитель");
    expect((await user.nextBotMessage()).text).toContain("Сообщений: 2");
    const texts = await Promise.all(
      (await partsOf(bot, user, "role_other")).map((p) => decryptAsEditor(bot, p.ciphertext)),
    );
    expect(texts).toEqual(["Приказ: выдвигаться к посёлку в 4:00", "Второе пересланное"]);
    for (const text of texts) {
      expect(text).not.toMatch(/Сидорчук|sid_col|8099|Скрытый/);
    }
  });

  it("stores every item of an album on the media question", async () => {
    const user = newUser();
    await beginInterview(user);
    await jumpTo(bot, user, "materials");
    const photos = [1, 2, 3].map((n) => new Uint8Array(3000 + n).fill(n));
    await user.sendMediaGroup(photos.map((bytes) => ({ kind: "photo" as const, bytes })));
    await bot.api.waitFor(() =>
      user.botMessages().find((m) => m.text?.includes("Сообщений: 0, файлов: 3")),
    );
    const parts = await partsOf(bot, user, "materials");
    expect(parts.map((p) => [p.questionId, p.kind])).toEqual([
      ["materials", "attachment"],
      ["materials", "attachment"],
      ["materials", "attachment"],
    ]);
    for (const [index, part] of parts.entries()) {
      expect(JSON.parse(await decryptAsEditor(bot, part.ciphertext))).toMatchObject({
        kind: "photo",
        size: 3001 + index,
      });
      const chunks: Uint8Array[] = [];
      for await (const chunk of bot.app.repositories.parts.readAttachment(
        part.attachmentId as string,
      )) {
        chunks.push(chunk);
      }
      expect(chunks.length).toBeGreaterThan(0);
    }
  });

  it("refuses the file after the media question's own limit (10) with a message", async () => {
    const user = newUser();
    await beginInterview(user);
    await jumpTo(bot, user, "materials");
    const album = Array.from({ length: 10 }, (_, i) => ({
      kind: "photo" as const,
      bytes: new Uint8Array(200 + i).fill(i),
    }));
    await user.sendMediaGroup(album);
    await bot.api.waitFor(() => user.botMessages().some((m) => m.text?.includes("файлов: 10")));
    await user.sendPhoto(new Uint8Array(300));
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "К этому вопросу уже прикреплено максимальное число файлов",
    );
    expect(await partsOf(bot, user, "materials")).toHaveLength(10);
  });

  it("keeps /help working in the middle of the interview", async () => {
    const user = await onTextQuestion();
    await user.command("help");
    const help = await user.nextBotMessage({ newOnly: true });
    expect(help.text).toContain("Что умеет бот");
    expect(help.text).toContain("Сейчас вы отвечаете на вопросы");
    expect((await draftOf(bot, user)).position).toBe("role_other");
  });

  it("keeps /language working: the following questions come in the new language", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.command("language");
    expect((await user.nextBotMessage({ newOnly: true })).text).toBe("Выберите язык:");
    await user.press("English");
    expect((await user.nextBotMessage()).text).toBe("Done: the bot now speaks English.");
    // The role question on screen is still Russian; its answer leads to an English question.
    await user.press("Контрактник");
    const branch = await nextQuestion(user, "branch");
    expect(branch.text).toContain("Which branch did you serve in?");
    expect(branch.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toContain("Navy");
    await waitForDraft(bot, user, (draft) => draft.position === "branch");
    expect((await draftOf(bot, user)).locale).toBe("en");
  });

  it("asks before /cancel deletes: 'no' keeps the draft, 'yes' deletes it and wipes the chat", async () => {
    const user = await onTextQuestion();
    await user.send("Кладовщик");
    await user.nextBotMessage({ newOnly: true });
    const { id: draftId } = await draftOf(bot, user);

    await user.command("cancel");
    const confirm = await user.nextBotMessage({ newOnly: true });
    expect(confirm.text).toContain("Удалить всё, что вы уже ответили?");
    await user.press("Нет, продолжить");
    await bot.api.waitFor(() => !user.chat().some((m) => m.message_id === confirm.message_id));
    expect((await draftOf(bot, user)).id).toBe(draftId);
    expect(await partsOf(bot, user, "role_other")).toHaveLength(1);

    await user.command("cancel");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Да, удалить всё");
    const done = await user.nextBotMessage({ newOnly: true });
    expect(done.text).toContain("Рассказ удалён");
    expect(await bot.app.services.interview.find(user.id)).toBeUndefined();
    expect(await bot.app.repositories.parts.listForDraft(draftId)).toEqual([]);
    await bot.api.waitFor(() => user.chat().length === 1);
    await bot.idle();
    expect(visibleTexts(user)).toEqual([done.text]);
  });

  it("explains unknown commands mid-interview", async () => {
    const user = await onTextQuestion();
    await user.command("admin");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Во время рассказа работают только",
    );
    expect(await partsOf(bot, user, "role_other")).toEqual([]);
  });

  it("refuses a file over 20 MB with the Telegram limit explained, and stores nothing", async () => {
    const user = newUser();
    await beginInterview(user);
    await jumpTo(bot, user, "materials");
    await user.sendDocument(null, { file_size: 25 * 1024 * 1024, file_name: "video.mp4" });
    const answer = await user.nextBotMessage({ newOnly: true });
    expect(answer.text).toContain("больше 20 МБ");
    expect(answer.text).toContain("Telegram не даёт ботам скачивать");

    // Without a size in the message, getFile's "file is too big" leads to the same answer.
    const content = bot.api.mediaContent("video", null, { file_size: 30 * 1024 * 1024 });
    const { file_size: _, ...video } = content.video as { file_id: string; file_size: number };
    await user.raw({ video });
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("больше 20 МБ");
    const failed = bot.api.calls("getFile").filter((c) => c.params.file_id === video.file_id);
    expect(failed.map((c) => c.error?.description)).toEqual(["Bad Request: file is too big"]);

    expect(await partsOf(bot, user, "materials")).toEqual([]);
    expect(bot.logs()).not.toContain("update failed");
  });

  it("explains that a file is not taken on a text-only question", async () => {
    const user = await onTextQuestion();
    await user.sendDocument("some bytes", { file_name: "spravka.pdf" });
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Здесь нужен текст или выбор кнопкой, файл не сохранён",
    );
    await user.sendPhoto(new Uint8Array(500));
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("файл не сохранён");
    expect(await partsOf(bot, user, "role_other")).toEqual([]);
  });

  it("answers a button of an earlier question with an alert and changes nothing", async () => {
    const user = newUser();
    const role = await beginInterview(user);
    await user.press("Срочник");
    await nextQuestion(user, "branch");
    const draftBefore = await settledDraft(bot, user);
    const partsBefore = partKeys(await partsOf(bot, user));
    const messagesBefore = user.chat().length;

    const query = await user.pressData(role.message_id, "iv:a:role:officer");
    expect(await callbackAnswer(bot, query)).toMatchObject({
      text: expect.stringContaining(STALE),
      show_alert: true,
    });
    const skip = await user.pressData(role.message_id, "iv:skip:role");
    expect((await callbackAnswer(bot, skip)).text).toContain(STALE);
    const back = await user.pressData(role.message_id, "iv:back:role");
    expect((await callbackAnswer(bot, back)).text).toContain(STALE);
    const submit = await user.pressData(role.message_id, "iv:submit");
    expect((await callbackAnswer(bot, submit)).text).toContain(STALE);
    await bot.idle();

    const draftAfter = await draftOf(bot, user);
    expect(draftAfter.position).toBe("branch");
    expect(draftAfter.state.choices).toEqual(draftBefore.state.choices);
    expect(partKeys(await partsOf(bot, user))).toEqual(partsBefore);
    expect(user.chat()).toHaveLength(messagesBefore);
    expect(await bot.app.repositories.submissions.list()).toEqual([]);
  });

  it("says the interview is no longer kept when its button comes with no draft", async () => {
    const user = newUser();
    const hello = await user.send("привет");
    await user.nextBotMessage({ newOnly: true });
    const query = await user.pressData(hello.message_id, "iv:a:role:officer");
    expect(await callbackAnswer(bot, query)).toMatchObject({
      text: expect.stringContaining("Этого рассказа больше нет"),
      show_alert: true,
    });
    expect(await bot.app.services.interview.find(user.id)).toBeUndefined();
  });

  it("asks for the buttons when text comes on a choice question", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.send("Контрактник");
    expect((await user.nextBotMessage({ newOnly: true })).text).toBe(
      "Выберите ответ кнопкой под вопросом.",
    );
    expect((await partsOf(bot, user)).map((p) => p.questionId)).toEqual(["consent"]);
    expect((await draftOf(bot, user)).position).toBe("role");
  });

  it("validates the year and stores only a valid one", async () => {
    const user = newUser();
    await beginInterview(user);
    await jumpTo(bot, user, "service_year");
    const nextYear = new Date().getUTCFullYear() + 2;
    for (const [typed, expected] of [
      ["давно", "четырьмя цифрами"],
      ["23", "четырьмя цифрами"],
      ["1985", "от 1990"],
      [String(nextYear), "от 1990"],
    ]) {
      await user.send(typed as string);
      expect((await user.nextBotMessage({ newOnly: true })).text).toContain(expected);
    }
    expect(await partsOf(bot, user, "service_year")).toEqual([]);
    await user.send("2022 г.");
    const next = await nextQuestion(user, "service_length");
    expect(questionIdOf(next)).toBe("service_length");
    const parts = await partsOf(bot, user, "service_year");
    expect(parts).toHaveLength(1);
    expect(await decryptAsEditor(bot, parts[0]?.ciphertext as Uint8Array)).toBe("2022");
  });

  it("does not answer in group chats or to channel posts", async () => {
    const group = bot.api.group({ id: -100888, title: "Чат части", botIsAdmin: true });
    const member = group.member(newUser());
    await member.command("start");
    await member.sendSticker();
    await member.sendLocation(50.1, 36.2);
    await member.command("forget");
    const channel = -1009990001;
    const channelChat = { id: channel, type: "channel" as const, title: "Канал" };
    await bot.api.injectUpdate({
      channel_post: { message_id: 1, date: bot.api.now(), chat: channelChat, text: "/start" },
    });
    await bot.api.injectUpdate({
      channel_post: {
        message_id: 2,
        date: bot.api.now(),
        chat: channelChat,
        location: { latitude: 1, longitude: 2 },
      },
    });
    await bot.idle();
    expect(group.botMessages()).toEqual([]);
    const sentElsewhere = bot.api
      .calls()
      .filter((c) => c.params.chat_id === channel || c.params.chat_id === group.id);
    expect(sentElsewhere).toEqual([]);
    expect(bot.logs()).not.toContain("update failed");
    // The bot is still there for private chats.
    const user = newUser();
    await user.command("help");
    expect((await user.nextBotMessage()).text).toContain("Что умеет бот");
  });

  // Last: it restarts the bot.
  it("after a restart, the current question's buttons still work and older ones say so", async () => {
    const user = newUser();
    const role = await beginInterview(user);
    await user.press("Другое");
    const question = await nextQuestion(user, "role_other");
    await user.send("Повар");
    const note = await user.nextBotMessage({ newOnly: true });
    await settledDraft(bot, user);

    await bot.restart();

    const stale = await user.pressData(role.message_id, "iv:a:role:officer");
    expect((await callbackAnswer(bot, stale)).text).toContain(STALE);
    // The text typed after the restart joins the answer given before it.
    await user.send("и водитель");
    // A new "saved" note comes last, as before the restart; the old one goes.
    const fresh = await user.nextBotMessage({ newOnly: true });
    expect(fresh.text).toContain("Сообщений: 2");
    await bot.api.waitFor(() => !user.chat().some((m) => m.message_id === note.message_id));
    await user.pressData(fresh.message_id, "iv:next:role_other");
    await nextQuestion(user, "branch");
    const texts = await Promise.all(
      (await partsOf(bot, user, "role_other")).map((p) => decryptAsEditor(bot, p.ciphertext)),
    );
    expect(texts).toEqual(["Повар", "и водитель"]);
    expect(question.message_id).toBeLessThan(note.message_id);
  });
});
