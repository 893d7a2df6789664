// Editors' notices in batches, end to end: three testimonies in one window make one notice with
// three numbers (none before the window ends); a source's addition makes a content-free notice
// and refreshes the counts on the testimony's card; /list shows additions and replies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDITORS_CHAT_ID, startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";

const ADDITION = "Дополнение: нас было девять человек";

describe("editors' notices in batches", () => {
  let bot: TestBot;
  const codenames: string[] = [];
  const editor = () =>
    bot.api
      .group({ id: EDITORS_CHAT_ID, title: "Editors" })
      .member(bot.api.user({ id: 9101, first_name: "Editor", language_code: "ru" }));
  const notices = () => bot.api.botMessages(EDITORS_CHAT_ID);

  beforeAll(async () => {
    // An hour-long window: only the test decides when it ends (notices.flush()).
    bot = await startTestBot({ config: { NOTIFY_WINDOW_MINUTES: 60 } });
    for (const id of [8101, 8102, 8103]) {
      const source = bot.api.user({ id, first_name: "Источник", language_code: "ru" });
      codenames.push((await driveInterview(bot.api, source, { texts: [`рассказ ${id}`] })) ?? "");
    }
  });
  afterAll(() => bot.stop());

  it("says nothing in the editors' chat until the window ends", async () => {
    expect(codenames.every((c) => c.split(" ").length === 8)).toBe(true);
    await bot.idle();
    expect(notices()).toEqual([]);
  });

  it("then sends one notice with the three numbers, and each opens its card", async () => {
    await bot.app.notices.flush();
    const [notice] = await bot.api.waitFor(() => (notices().length > 0 ? notices() : undefined));
    expect(notices()).toHaveLength(1);
    expect(notice?.text).toBe("3 новых рассказа: №1, №2, №3");
    const buttons = notice?.reply_markup?.inline_keyboard.flat().map((b) => b.text);
    expect(buttons).toEqual(["Открыть №1", "Открыть №2", "Открыть №3"]);

    await editor().press("Открыть №2");
    const card = await bot.api.waitFor(() =>
      notices().find((m) => m.text?.startsWith("Рассказ №2")),
    );
    expect(card.text).toContain("дополнений: 0");
    expect(card.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toContain("Экспорт");
  });

  it("tells the editors about an addition without content, and refreshes the card's counts", async () => {
    const source = bot.api.user({ id: 8102, first_name: "Источник", language_code: "ru" });
    await source.command("codename");
    await source.nextBotMessage({ newOnly: true });
    await source.send(codenames[1] as string);
    await source.nextBotMessage({ newOnly: true });
    await source.press("Дополнить рассказ");
    await source.nextBotMessage({ newOnly: true });
    await source.send(ADDITION);
    await source.nextBotMessage({ newOnly: true });

    const before = notices().length;
    expect(before).toBe(2); // nothing yet: the window has not ended
    await bot.app.notices.flush();
    const news = await bot.api.waitFor(() => notices()[before]);
    expect(news.text).toBe("№2: источник добавил 1 сообщение");
    expect(JSON.stringify(bot.api.messages(EDITORS_CHAT_ID))).not.toContain("девять");
    await bot.api.waitFor(() =>
      notices().find((m) => m.text?.startsWith("Рассказ №2") && m.text.includes("дополнений: 1")),
    );

    await editor().command("list");
    const list = await bot.api.waitFor(() => notices().find((m) => m.text?.includes("№3 ·")));
    expect(list.text).toMatch(/№2 · .* дополнений: 1, ответов редакции: 0/);
  });
});
