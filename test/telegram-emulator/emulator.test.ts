// What the emulator grew for the demo, usable by tests too: watch() (every change of a chat as it
// happens), HTML parsed into entities as Telegram does, reply keyboards, and a user switching
// their app's language. The rest of the emulator is covered by test/helpers/fake-bot-api.test.ts.
import { Bot, InlineKeyboard, Keyboard } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type EmulatorEvent,
  type FakeBotApi,
  parseHtml,
  startFakeBotApi,
} from "../../src/telegram-emulator/index.js";

const TOKEN = "123456:EMULATOR-test";

let api: FakeBotApi;
let bot: Bot;

beforeEach(async () => {
  api = await startFakeBotApi({ token: TOKEN });
  bot = new Bot(TOKEN, { client: { apiRoot: api.apiRoot } });
});

afterEach(() => api.close());

describe("watch()", () => {
  it("reports messages sent, edited and deleted on both sides, in order, until unsubscribed", async () => {
    const alice = api.user({ id: 1001, first_name: "Alice" });
    const events: EmulatorEvent[] = [];
    const stop = api.watch((event) => events.push(event));
    await alice.send("hello");
    const sent = await bot.api.sendMessage(alice.id, "first");
    await bot.api.editMessageText(alice.id, sent.message_id, "second");
    await bot.api.deleteMessage(alice.id, sent.message_id);
    stop();
    await bot.api.sendMessage(alice.id, "unseen");

    const summary = events.map((e) =>
      e.type === "message" ? `${e.kind}:${e.fromBot ? "bot" : "user"}:${e.message.text}` : e.type,
    );
    expect(summary).toEqual([
      "sent:user:hello",
      "sent:bot:first",
      "edited:bot:second",
      "deleted:bot:second",
    ]);
    const seqs = events.map((e) => (e.type === "message" ? e.seq : 0));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(events.every((e) => e.chatId === alice.id)).toBe(true);
  });

  it("reports the answer to a button press with its text and alert flag", async () => {
    const alice = api.user({ id: 1002, first_name: "Alice" });
    bot.callbackQuery("x", (ctx) =>
      ctx.answerCallbackQuery({ text: "Too late", show_alert: true }),
    );
    await bot.init();
    const events: EmulatorEvent[] = [];
    api.watch((event) => events.push(event));
    await bot.api.sendMessage(alice.id, "Press", {
      reply_markup: new InlineKeyboard().text("Go", "x"),
    });
    await alice.press("Go");
    const [update] = api.pendingUpdates();
    await bot.handleUpdate(update as NonNullable<typeof update>);
    expect(events.filter((e) => e.type === "callback-answer")).toEqual([
      {
        type: "callback-answer",
        chatId: alice.id,
        queryId: expect.any(String),
        text: "Too late",
        showAlert: true,
      },
    ]);
  });

  it("reports reply keyboards set and removed, and keeps the current one per chat", async () => {
    const alice = api.user({ id: 1003, first_name: "Alice" });
    const events: EmulatorEvent[] = [];
    api.watch((event) => events.push(event));
    await bot.api.sendMessage(alice.id, "Pick", {
      reply_markup: new Keyboard().text("Left").text("Right").oneTime(),
    });
    expect(api.replyKeyboard(alice.id)?.keyboard.flat()).toEqual([
      { text: "Left" },
      { text: "Right" },
    ]);
    await alice.tapKey("Right");
    await bot.api.sendMessage(alice.id, "Thanks", { reply_markup: { remove_keyboard: true } });
    expect(api.replyKeyboard(alice.id)).toBeUndefined();
    const keyboards = events.filter((e) => e.type === "reply-keyboard");
    expect(keyboards.map((e) => e.type === "reply-keyboard" && e.keyboard !== undefined)).toEqual([
      true,
      false,
    ]);
  });

  it("a watcher that throws does not fail the bot's call", async () => {
    const alice = api.user({ id: 1004, first_name: "Alice" });
    api.watch(() => {
      throw new Error("observer bug");
    });
    await expect(bot.api.sendMessage(alice.id, "still sent")).resolves.toMatchObject({
      text: "still sent",
    });
  });
});

describe("formatted text", () => {
  it("parses HTML into text and entities with UTF-16 offsets, as Telegram does", () => {
    expect(parseHtml("<b>Жирный</b> и <i>курсив</i> &amp; <code>код</code>")).toEqual({
      text: "Жирный и курсив & код",
      entities: [
        { type: "bold", offset: 0, length: 6 },
        { type: "italic", offset: 9, length: 6 },
        { type: "code", offset: 18, length: 3 },
      ],
    });
    expect(parseHtml('🙂 <a href="https://example.org/?a=1&amp;b=2">link</a>')).toEqual({
      text: "🙂 link",
      entities: [{ type: "text_link", offset: 3, length: 4, url: "https://example.org/?a=1&b=2" }],
    });
    expect(parseHtml("<b>a <i>b</i></b>").entities).toEqual([
      { type: "bold", offset: 0, length: 3 },
      { type: "italic", offset: 2, length: 1 },
    ]);
    expect(parseHtml("<pre><code>x</code></pre>").entities).toEqual([
      { type: "pre", offset: 0, length: 1 },
    ]);
    expect(parseHtml('<span class="tg-spoiler">s</span>').entities).toEqual([
      { type: "spoiler", offset: 0, length: 1 },
    ]);
    expect(parseHtml("plain")).toEqual({ text: "plain" });
  });

  it("stores parsed entities on messages and captions sent with parse_mode HTML", async () => {
    const alice = api.user({ id: 1005, first_name: "Alice" });
    const message = await bot.api.sendMessage(alice.id, "<b>Hi</b> there", { parse_mode: "HTML" });
    expect(message.text).toBe("Hi there");
    expect(message.entities).toEqual([{ type: "bold", offset: 0, length: 2 }]);
    const edited = await bot.api.editMessageText(alice.id, message.message_id, "plain now");
    expect(edited).toMatchObject({ text: "plain now" });
    expect((edited as { entities?: unknown }).entities).toBeUndefined();
  });

  it("still rejects markup Telegram rejects", async () => {
    const alice = api.user({ id: 1006, first_name: "Alice" });
    for (const bad of ["<b>open", "<b>x</i>", "a <x> b", "1 < 2"]) {
      await expect(
        bot.api.sendMessage(alice.id, bad, { parse_mode: "HTML" }),
      ).rejects.toMatchObject({ description: expect.stringContaining("can't parse entities") });
    }
  });
});

describe("simulated users", () => {
  it("updateUser changes what the user's client reports from then on", async () => {
    const alice = api.user({ id: 1007, first_name: "Alice", language_code: "ru" });
    await alice.send("one");
    api.updateUser(alice.id, { language_code: "en" });
    await alice.send("two");
    const languages = api.pendingUpdates().map((u) => u.message?.from?.language_code);
    expect(languages.at(-1)).toBe("en");
    expect(() => api.updateUser(424242, { language_code: "en" })).toThrow(/Unknown user/);
  });
});
