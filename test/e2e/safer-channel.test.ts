// Where the most exposed sources can reach the newsroom outside Telegram: the briefing and
// /privacy show SAFER_CHANNEL_TEXT_* in the reader's language, and nothing when it is not set.
// A subscriber is not offered "Subscribe to guidance" again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBot, type TestBot } from "../helpers/harness.js";

const CHANNEL_RU = "Signal: +1 555 0100 или <SecureDrop> по адресу example.onion";

describe("the safer channel and the briefing's buttons", () => {
  let bot: TestBot;
  let nextId = 23_500;
  const newUser = (language_code: string) =>
    bot.api.user({ id: nextId++, first_name: "Источник", language_code });

  beforeAll(async () => {
    bot = await startTestBot({ config: { SAFER_CHANNEL_TEXT_RU: CHANNEL_RU } });
  });
  afterAll(() => bot.stop());

  it("shows the newsroom's safer channel in the briefing and /privacy, as written", async () => {
    const user = newUser("ru");
    await user.command("start");
    const briefing = await user.nextBotMessage({ newOnly: true });
    expect(briefing.text).toContain(`Надёжнее связаться с редакцией так: ${CHANNEL_RU}`);
    await user.command("privacy");
    const privacy = await user.nextBotMessage({ newOnly: true });
    expect(privacy.text).toContain("Как связаться с редакцией надёжнее");
    expect(privacy.text).toContain(CHANNEL_RU);
  });

  it("leaves the line out cleanly where the language has none", async () => {
    const user = newUser("en");
    await user.command("start");
    const briefing = await user.nextBotMessage({ newOnly: true });
    expect(briefing.text).toContain("Telegram is not the best way");
    expect(briefing.text).not.toMatch(/safer way to reach the newsroom|Ask the newsroom/i);
    expect(briefing.text).not.toContain("{");
    await user.command("privacy");
    const privacy = await user.nextBotMessage({ newOnly: true });
    expect(privacy.text).not.toMatch(/safer way to reach the newsroom/i);
  });

  it("does not offer 'Subscribe to guidance' to a subscriber", async () => {
    const user = newUser("ru");
    await user.command("start");
    const before = await user.nextBotMessage({ newOnly: true });
    const labels = (m: typeof before) =>
      (m.reply_markup?.inline_keyboard.flat() ?? []).map((b) => b.text);
    expect(labels(before)).toContain("Подписаться на советы редакции");
    await user.press("Подписаться на советы редакции");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Вы подписаны");
    await user.command("start");
    const after = await user.nextBotMessage({ newOnly: true });
    expect(labels(after)).toEqual(["Начать рассказ", "У меня есть кодовая фраза"]);
    await user.command("unsubscribe");
    await user.nextBotMessage({ newOnly: true });
    await user.command("start");
    expect(labels(await user.nextBotMessage({ newOnly: true }))).toContain(
      "Подписаться на советы редакции",
    );
  });
});
