// Chat wipe (issue 4, item 7; DESIGN.md §7 lesson 7): after Submit, after a declined consent and
// on /forget the interview leaves the chat; messages Telegram no longer lets bots delete
// (older than 48 hours) stay, and the final message says so.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import {
  beginInterview,
  draftOf,
  jumpTo,
  nextQuestion,
  partsOf,
  visibleTexts,
} from "../helpers/steps.js";

const HOUR = 3600;

describe("wiping the interview from the chat", () => {
  let bot: TestBot;
  /** The bot's clock runs ahead by this much (with the fake Bot API's clock). */
  let shiftMs = 0;
  let nextId = 8500;
  const newUser = () => bot.api.user({ id: nextId++, first_name: "Солдат", language_code: "ru" });

  beforeAll(async () => {
    bot = await startTestBot({ now: () => new Date(Date.now() + shiftMs) });
  });
  afterAll(() => bot.stop());

  /** From the current question: jump to the last one, skip it, submit; returns the codename. */
  async function finishAndSubmit(user: FakeUser): Promise<string> {
    await jumpTo(bot, user, "anything_else");
    await user.press("Пропустить");
    await nextQuestion(user, "review");
    await user.press("Отправить редакции");
    const message = await bot.api.waitFor(() =>
      user.botMessages().find((m) => m.text?.includes("Ваша кодовая фраза")),
    );
    return message.text?.split("\n")[2]?.trim() as string;
  }

  /** "Записал(а), удалить" and the codename typed back. */
  async function checkCodename(user: FakeUser, codename: string) {
    await user.press("Записал(а), удалить");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Проверим запись");
    await user.send(codename);
    await bot.api.waitFor(() => user.chat().at(-1)?.text?.includes("✓"));
    await bot.idle();
  }

  it("after Submit and the codename check, only the final message is left", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
    await user.send("Наводчик");
    await user.nextBotMessage({ newOnly: true });
    // Bad input and its answers are part of the interview too.
    await user.sendSticker();
    await user.nextBotMessage({ newOnly: true });
    await user.sendLocation(48.0, 38.0);
    await user.nextBotMessage({ newOnly: true });
    await user.command("help");
    await user.nextBotMessage({ newOnly: true });
    expect(user.chat().length).toBeGreaterThan(10);

    const codename = await finishAndSubmit(user);
    // Before the check: the final message and the codename, in that order.
    expect(visibleTexts(user)).toHaveLength(2);
    expect(visibleTexts(user)[0]).toContain("Спасибо. Ваш рассказ получен");
    expect(visibleTexts(user)[1]).toContain(codename);

    await checkCodename(user, codename);
    const [final] = user.chat();
    expect(user.chat()).toHaveLength(1);
    expect(final?.text).toContain("Спасибо. Ваш рассказ получен");
    expect(final?.text).toContain("✓ Кодовая фраза записана верно.");
    expect(final?.text).not.toContain("старше двух суток");
    expect(final?.reply_markup).toBeUndefined();
    expect(await bot.app.services.interview.find(user.id)).toBeUndefined();
  });

  it("a declined consent wipes everything and leaves only the declined note", async () => {
    const user = newUser();
    await user.command("start");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Начать рассказ");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Нет");
    const declined = await user.nextBotMessage({ newOnly: true });
    expect(declined.text).toContain("Ничего не сохранено, переписка удалена");
    await bot.idle();
    expect(visibleTexts(user)).toEqual([declined.text]);
    expect(await bot.app.services.interview.find(user.id)).toBeUndefined();
  });

  it("also wipes answers the interview did not send itself (a location warning at the end)", async () => {
    const user = newUser();
    await user.command("start");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Начать рассказ");
    await user.nextBotMessage({ newOnly: true });
    await user.sendLocation(47.1, 37.5);
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Геопозиция");
    await user.press("Нет");
    const declined = await user.nextBotMessage({ newOnly: true });
    await bot.idle();
    expect(visibleTexts(user)).toEqual([declined.text]);

    const other = newUser();
    await beginInterview(other);
    await jumpTo(bot, other, "anything_else");
    await other.press("Пропустить");
    await nextQuestion(other, "review");
    await other.sendContact({ phone_number: "+79990000000", first_name: "Брат" });
    expect((await other.nextBotMessage({ newOnly: true })).text).toContain("Геопозиция");
    await other.press("Отправить редакции");
    // Every question was skipped: the bot asks once (and that question is wiped too).
    expect((await other.nextBotMessage({ newOnly: true })).text).toContain("пропустили все");
    await other.press("Да, отправить");
    await bot.api.waitFor(() => other.chat().at(-1)?.text?.includes("Ваша кодовая фраза"));
    await bot.idle();
    expect(visibleTexts(other)).toHaveLength(2);
    expect(visibleTexts(other)[0]).toContain("Спасибо. Ваш рассказ получен");

    const third = newUser();
    await beginInterview(third);
    await third.command("cancel");
    await third.nextBotMessage({ newOnly: true });
    await third.sendLocation(47.2, 37.6);
    await third.nextBotMessage({ newOnly: true });
    await third.press("Да, удалить всё");
    const cancelled = await third.nextBotMessage({ newOnly: true });
    await bot.idle();
    expect(visibleTexts(third)).toEqual([cancelled.text]);
  });

  it("/forget deletes the draft and wipes the chat at once, without asking", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
    await user.send("Связист");
    await user.nextBotMessage({ newOnly: true });
    await user.command("language");
    await user.nextBotMessage({ newOnly: true });
    await user.press("English");
    await user.nextBotMessage();
    const { id: draftId } = await draftOf(bot, user);
    expect(await partsOf(bot, user)).not.toEqual([]);

    await user.command("forget");
    const forgotten = await user.nextBotMessage({ newOnly: true });
    expect(forgotten.text).toMatch(/^Done: the unfinished testimony.* were deleted/);
    await bot.idle();
    expect(visibleTexts(user)).toEqual([forgotten.text]);
    expect(await bot.app.services.interview.find(user.id)).toBeUndefined();
    expect(await bot.app.repositories.parts.listForDraft(draftId)).toEqual([]);
    expect(await bot.app.services.preferences.savedLocale(user.id)).toBeUndefined();
  });

  it("a draft older than 48 hours: old messages stay, the rest goes, the final message says so", async () => {
    const user = newUser();
    await beginInterview(user);
    await user.press("Другое");
    await nextQuestion(user, "role_other");
    await user.send("Механик-водитель");
    await user.nextBotMessage({ newOnly: true });
    const oldIds = user.chat().map((m) => m.message_id);

    // Two days and a bit later the source comes back and finishes.
    shiftMs += 49 * HOUR * 1000;
    bot.api.advanceTime(49 * HOUR);
    await user.press("Дальше →");
    await nextQuestion(user, "branch");
    const codename = await finishAndSubmit(user);

    const final = user.chat().find((m) => m.text?.includes("Спасибо. Ваш рассказ получен"));
    expect(final?.text).toContain("Сообщения старше двух суток Telegram удалить не даёт");
    const visibleIds = user.chat().map((m) => m.message_id);
    // Everything older than 48 hours is still there; of the newer messages only the final one
    // and the codename.
    expect(visibleIds.slice(0, oldIds.length)).toEqual(oldIds);
    expect(visibleIds.slice(oldIds.length)).toHaveLength(2);

    await checkCodename(user, codename);
    const after = user.chat().slice(oldIds.length);
    expect(after).toHaveLength(1);
    expect(after[0]?.text).toContain("✓ Кодовая фраза записана верно.");
    // The explanation for the messages left behind must survive the check.
    expect(after[0]?.text).toContain("Сообщения старше двух суток Telegram удалить не даёт");
  });
});
