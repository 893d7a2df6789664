// Abuse limits (issue 4, item 10): submissions per day, text length, attachments per testimony,
// flood control that answers instead of dropping silently, one draft per source.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import {
  beginInterview,
  decryptAsEditor,
  draftOf,
  holdSourceLock,
  jumpTo,
  nextQuestion,
  partsOf,
} from "../helpers/steps.js";

const FLOOD = 8;

describe("abuse limits", () => {
  let bot: TestBot;
  let nextId = 8700;
  const newUser = () => bot.api.user({ id: nextId++, first_name: "Боец", language_code: "ru" });

  beforeAll(async () => {
    bot = await startTestBot({
      config: {
        MAX_SUBMISSIONS_PER_DAY: 1,
        MAX_TEXT_LENGTH: 200,
        MAX_ATTACHMENTS: 2,
      },
    });
  });
  afterAll(() => bot.stop());

  async function onRoleOther(user: FakeUser) {
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
  }

  it("refuses a second testimony on the same day", async () => {
    const user = newUser();
    const codename = await driveInterview(bot.api, user, { texts: ["Первый рассказ"] });
    expect(codename?.split(" ")).toHaveLength(8);
    const submissions = (await bot.app.repositories.submissions.list()).length;

    await user.command("start");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Начать рассказ");
    const refusal = await user.nextBotMessage({ newOnly: true });
    expect(refusal.text).toContain("Сегодня с этого аккаунта уже отправлено");
    expect(await bot.app.services.interview.find(user.id)).toBeUndefined();
    expect(await bot.app.repositories.submissions.list()).toHaveLength(submissions);
  });

  it("refuses an answer over MAX_TEXT_LENGTH and keeps what was stored before", async () => {
    const user = newUser();
    await onRoleOther(user);
    await user.send("а".repeat(150));
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Сообщений: 1");

    // 150 + 60 characters on the same question: over the limit of 200.
    await user.send("б".repeat(60));
    const tooLong = await user.nextBotMessage({ newOnly: true });
    expect(tooLong.text).toContain("получился слишком длинным, последнее сообщение не сохранено");
    // One message alone over the limit.
    await user.send("в".repeat(201));
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("слишком длинным");

    const parts = await partsOf(bot, user, "role_other");
    expect(parts).toHaveLength(1);
    expect(await decryptAsEditor(bot, parts[0]?.ciphertext as Uint8Array)).toBe("а".repeat(150));
    // Within the limit, more still fits.
    await user.send("г".repeat(50));
    expect((await user.nextBotMessage()).text).toContain("Сообщений: 2");
  });

  it("refuses a file over MAX_ATTACHMENTS per testimony", async () => {
    const user = newUser();
    await beginInterview(user);
    await jumpTo(bot, user, "materials");
    await user.sendPhoto(new Uint8Array(1000).fill(1));
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("файлов: 1");
    await user.sendPhoto(new Uint8Array(1000).fill(2));
    expect((await user.nextBotMessage()).text).toContain("файлов: 2");
    await user.sendDocument(new Uint8Array(1000).fill(3), { file_name: "third.pdf" });
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "В одном рассказе уже максимальное число файлов, этот файл не сохранён.",
    );
    const parts = await partsOf(bot, user, "materials");
    expect(parts.map((p) => p.kind)).toEqual(["attachment", "attachment"]);
    // The limit is per testimony: the next media question refuses too.
    await jumpTo(bot, user, "originals");
    await user.sendDocument(new Uint8Array(1000).fill(4), { file_name: "original.jpg" });
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "максимальное число файлов",
    );
    expect(await partsOf(bot, user, "originals")).toEqual([]);
  });

  it("keeps one draft per source: 'Начать рассказ' again resumes the same draft", async () => {
    const user = newUser();
    await onRoleOther(user);
    await user.send("Первая часть ответа");
    await user.nextBotMessage({ newOnly: true });
    const draft = await draftOf(bot, user);
    const draftsBefore = await bot.app.repositories.drafts.count();

    // The briefing's button is still there, higher up in the chat.
    await user.press("Начать рассказ");
    const again = await nextQuestion(user, "role_other");
    expect(again.text).toContain("Кем именно?");
    expect((await draftOf(bot, user)).id).toBe(draft.id);
    expect(await bot.app.repositories.drafts.count()).toBe(draftsBefore);

    // Going on where they were does not lose what was already written for this question.
    await user.send("Вторая часть ответа");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Сообщений: 2");
    const texts = await Promise.all(
      (await partsOf(bot, user, "role_other")).map((p) => decryptAsEditor(bot, p.ciphertext)),
    );
    expect(texts).toEqual(["Первая часть ответа", "Вторая часть ответа"]);

    // The same with /start in the middle of the interview.
    await user.command("start");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "У вас есть неоконченный рассказ",
    );
    const resumed = await nextQuestion(user, "role_other");
    expect(resumed.text).not.toContain("Вы уже отвечали");
    await user.send("Третья часть ответа");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Сообщений: 3");
    expect((await draftOf(bot, user)).id).toBe(draft.id);
  });
});

describe("flood control", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ config: { FLOOD_MESSAGES_PER_MINUTE: FLOOD } });
  });
  afterAll(() => bot.stop());

  it("answers a flood with one 'slow down' and stores nothing beyond the limit", async () => {
    const user = bot.api.user({ id: 8790, first_name: "Боец", language_code: "ru" });
    // /start, begin, consent, role: 4 updates
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
    const burst = 10;
    for (let i = 1; i <= burst; i++) await user.send(`Сообщение номер ${i}`);
    await bot.api.waitFor(() => user.botMessages().some((m) => m.text?.includes("Слишком много")));
    await bot.idle();

    const slowDown = user.botMessages().filter((m) => m.text?.includes("Слишком много сообщений"));
    expect(slowDown).toHaveLength(1);
    expect(slowDown[0]?.text).toContain("в ближайшую минуту, не сохранены");
    const stored = await partsOf(bot, user, "role_other");
    expect(stored).toHaveLength(FLOOD - 4);
    const texts = await Promise.all(stored.map((p) => decryptAsEditor(bot, p.ciphertext)));
    expect(texts).toEqual([
      "Сообщение номер 1",
      "Сообщение номер 2",
      "Сообщение номер 3",
      "Сообщение номер 4",
    ]);
    // A button pressed during the flood gets the same answer as an alert.
    const note = user.botMessages().findLast((m) => m.text?.includes("Сообщений:"));
    const query = await user.pressData(note?.message_id as number, "iv:next:role_other");
    const answer = await bot.api.waitFor(() => bot.api.callbackAnswer(query.id));
    expect(answer).toMatchObject({ show_alert: true });
    expect(String(answer.text)).toContain("Слишком много сообщений");
  });

  it("asks a source to send again when their previous message is still being handled", async () => {
    const waiting = await startTestBot({ sourceLockWaitMs: 300 });
    try {
      const user = waiting.api.user({ id: 8799, first_name: "Боец", language_code: "ru" });
      await beginInterview(user);
      await jumpTo(waiting, user, "role_other");
      const lock = await holdSourceLock(waiting, user);
      await user.send("Ответ, пока идёт другое сообщение");
      const busy = await user.nextBotMessage({ newOnly: true, timeoutMs: 15_000 });
      expect(busy.text).toContain("ещё раз через минуту");
      await lock.release();
      expect(await partsOf(waiting, user, "role_other")).toHaveLength(0);

      // Sent again, it is stored.
      await user.send("Ответ, пока идёт другое сообщение");
      expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Сообщений: 1");
      const texts = await Promise.all(
        (await partsOf(waiting, user, "role_other")).map((p) =>
          decryptAsEditor(waiting, p.ciphertext),
        ),
      );
      expect(texts).toEqual(["Ответ, пока идёт другое сообщение"]);
    } finally {
      await waiting.stop();
    }
  });
});
