// The editors' chat speaks one language (EDITORS_LOCALE) across a card's whole life, whatever
// the Telegram language of the editor who presses: the notice, the card after a status press,
// the confirmations of /status (one with a note says so), and the card after an addition. A
// status set by /status shows on the card at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDITORS_CHAT_ID, startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";

describe("one language in the editors' chat", () => {
  let bot: TestBot;
  let codename: string;
  // The editor's Telegram speaks Russian; the chat is set to English.
  const editor = () =>
    bot.api
      .group({ id: EDITORS_CHAT_ID, title: "Editors" })
      .member(bot.api.user({ id: 9201, first_name: "Редактор", language_code: "ru" }));
  const chat = () => bot.api.botMessages(EDITORS_CHAT_ID);
  const card = () => chat().find((m) => m.text?.startsWith("Testimony #1"));

  beforeAll(async () => {
    bot = await startTestBot({
      config: { NOTIFY_WINDOW_MINUTES: 60, DEFAULT_LOCALE: "ru", EDITORS_LOCALE: "en" },
    });
    const source = bot.api.user({ id: 8201, first_name: "Источник", language_code: "ru" });
    codename = (await driveInterview(bot.api, source, { texts: ["рассказ"] })) ?? "";
    await bot.app.notices.flush();
  });
  afterAll(() => bot.stop());

  it("the card, a status press and /status stay in the chat's language; the card follows /status", async () => {
    const posted = await bot.api.waitFor(card);
    expect(posted.text).toContain("status: new");
    await editor().press("in review");
    await bot.api.waitFor(() => card()?.text?.includes("status: in review"));
    expect(
      card()
        ?.reply_markup?.inline_keyboard.flat()
        .map((b) => b.text),
    ).toEqual(["verified", "published", "rejected", "Export", "Reply"]);

    await editor().command("status", "1 verified");
    expect((await bot.api.nextBotMessage(EDITORS_CHAT_ID, { newOnly: true })).text).toBe(
      '#1: status "verified".',
    );
    await bot.api.waitFor(() => card()?.text?.includes("status: verified"));

    await editor().command("status", "1 published It ran in Friday's issue");
    const confirmation = await bot.api.nextBotMessage(EDITORS_CHAT_ID, { newOnly: true });
    expect(confirmation.text).toMatch(/^#1: status "published", with a note for the source/);
    expect(confirmation.text).not.toContain("Friday");
    await bot.api.waitFor(() => card()?.text?.includes("status: published"));
  });

  it("an addition's notice and the refreshed card are in the chat's language too", async () => {
    const source = bot.api.user({ id: 8201, first_name: "Источник", language_code: "ru" });
    await source.command("codename");
    await source.nextBotMessage({ newOnly: true });
    await source.send(codename);
    await source.nextBotMessage({ newOnly: true });
    await source.press("Дополнить рассказ");
    await source.nextBotMessage({ newOnly: true });
    await source.send("Дополнение");
    await source.nextBotMessage({ newOnly: true });
    await source.press("Готово, удалить переписку");
    await bot.app.notices.flush();
    await bot.api.waitFor(() => chat().find((m) => m.text?.startsWith("№1: the source added")));
    await bot.api.waitFor(() => card()?.text?.includes("additions: 1"));
    expect(card()?.text).toContain("status: published");
    expect(chat().some((m) => /[а-яё]/i.test(m.text ?? ""))).toBe(false);
  });
});
