import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBot, type TestBot } from "../helpers/harness.js";

describe("first contact", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(() => bot.stop());

  it("answers /start with the safety briefing in Russian for a Russian-speaking user", async () => {
    const user = bot.api.user({ id: 5001, first_name: "Сергей", language_code: "ru" });
    await user.command("start");
    const briefing = await user.nextBotMessage();
    expect(briefing.text).toContain("Telegram знает ваш номер телефона");
    expect(briefing.text).toContain("удалите чат");
    const buttons = briefing.reply_markup?.inline_keyboard.flat().map((b) => b.text);
    expect(buttons).toEqual([
      "Начать рассказ",
      "У меня есть кодовая фраза",
      "Подписаться на советы редакции",
    ]);
  });

  it("answers /start in English for an English-speaking user", async () => {
    const user = bot.api.user({ id: 5002, first_name: "Sam", language_code: "en" });
    await user.command("start");
    const briefing = await user.nextBotMessage();
    expect(briefing.text).toContain("Telegram knows your phone number");
    expect(briefing.reply_markup?.inline_keyboard.flat()[0]?.text).toBe("Begin my testimony");
  });

  it("switches language with /language and remembers it", async () => {
    const user = bot.api.user({ id: 5003, first_name: "Ivan", language_code: "ru" });
    await user.command("language");
    await user.nextBotMessage();
    await user.press("English");
    const saved = await user.nextBotMessage();
    expect(saved.text).toBe("Done: the bot now speaks English.");
    await user.command("help");
    expect((await user.nextBotMessage()).text).toContain("What the bot can do");
  });

  it("answers /help and /privacy, and anything else politely", async () => {
    const user = bot.api.user({ id: 5004, first_name: "Ольга", language_code: "ru" });
    await user.command("privacy");
    expect((await user.nextBotMessage()).text).toContain("Чего бот не хранит");
    await user.send("привет");
    expect((await user.nextBotMessage()).text).toContain("Я понимаю только кнопки и команды");
    await user.sendSticker();
    expect((await user.nextBotMessage()).text).toContain("Я понимаю только кнопки и команды");
  });

  it("ignores groups other than the editors' chat", async () => {
    const group = bot.api.group({ id: -100777, title: "Random group", botIsAdmin: true });
    const member = group.member(bot.api.user({ id: 5005, first_name: "X" }));
    await member.command("start");
    await member.send("hello");
    await bot.idle();
    expect(group.botMessages()).toEqual([]);
  });

  it("warns about a location, deletes it and stores nothing", async () => {
    const user = bot.api.user({ id: 5006, first_name: "Пётр", language_code: "ru" });
    const location = await user.sendLocation(48.5, 37.9);
    const warning = await user.nextBotMessage();
    expect(warning.text).toContain("Геопозиция и контакты указывают на вас");
    expect(user.chat().some((m) => m.message_id === location.message_id)).toBe(false);
  });
});
