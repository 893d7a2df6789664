// Subscribing, reading guidance, writing it as an admin (versions, formatting, fallback), /stats,
// the audit trail, and admin commands that look exactly like unknown ones to everybody else.
import type { MessageEntity } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashTelegramId } from "../../src/services/sources/sealing.js";
import { createAuditRepository } from "../../src/storage/audit.repo.js";
import { adminUser, nextNew, publishGuidance } from "../helpers/admin.js";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";

const ADMIN_ID = 900_001;
const ADMIN_COMMANDS = [
  "admin",
  "guidance_set",
  "broadcast",
  "broadcast_status",
  "broadcast_cancel",
  "stats",
];

const RU_TEXT = "Важно: новые сроки за СОЧ. Подробнее на сайте. Пишите юристу.";
const RU_ENTITIES: MessageEntity[] = [
  { type: "bold", offset: 0, length: 6 },
  { type: "italic", offset: 7, length: 22 },
  { type: "text_link", offset: 31, length: 15, url: "https://example.org/law" },
];

describe("guidance and subscriptions", () => {
  let bot: TestBot;
  let admin: FakeUser;
  beforeAll(async () => {
    bot = await startTestBot({ adminIds: [ADMIN_ID] });
    admin = adminUser(bot.api, ADMIN_ID);
  });
  afterAll(() => bot?.stop());

  const subscribers = () => bot.app.services.subscriptions.countByLocale();

  it("/guidance says plainly when there is none yet", async () => {
    const reader = bot.api.user({ id: 6001, first_name: "Олег", language_code: "ru" });
    await reader.command("guidance");
    expect((await reader.nextBotMessage()).text).toContain("пока не опубликовала советов");
  });

  it("/subscribe explains what is kept, and /unsubscribe deletes the row", async () => {
    const user = bot.api.user({ id: 6002, first_name: "Игорь", language_code: "ru" });
    await user.command("subscribe");
    const done = await user.nextBotMessage();
    expect(done.text).toContain("хранит ссылку на этот чат — в зашифрованном виде");
    expect(done.text).toContain("/unsubscribe");
    expect(done.text).toContain("Язык: русский");
    expect(await subscribers()).toEqual({ ru: 1 });

    await user.command("subscribe");
    expect((await user.nextBotMessage()).text).toContain("Вы уже подписаны");
    expect(await subscribers()).toEqual({ ru: 1 });

    await user.command("unsubscribe");
    expect((await user.nextBotMessage()).text).toContain("ссылка на этот чат удалена");
    expect(await subscribers()).toEqual({});
    await user.command("unsubscribe");
    expect((await user.nextBotMessage()).text).toContain("Вы не подписаны");
  });

  it("subscribes from the button under the briefing, in English for an English speaker", async () => {
    const user = bot.api.user({ id: 6003, first_name: "Sam", language_code: "en" });
    await user.command("start");
    await user.nextBotMessage();
    await user.press("Subscribe to guidance");
    const done = await nextNew(user);
    expect(done.text).toContain("the bot keeps a link to this chat — encrypted");
    expect(await subscribers()).toEqual({ en: 1 });
  });

  it("a subscriber's language follows /language, and /forget ends the subscription", async () => {
    const user = bot.api.user({ id: 6004, first_name: "Ivan", language_code: "en" });
    await user.command("subscribe");
    await user.nextBotMessage();
    expect(await bot.app.services.subscriptions.localeOf(user.id)).toBe("en");
    await user.command("language");
    await user.nextBotMessage();
    await user.press("Русский");
    await user.nextBotMessage();
    expect(await bot.app.services.subscriptions.localeOf(user.id)).toBe("ru");

    await user.command("forget");
    await nextNew(user);
    expect(await bot.app.services.subscriptions.localeOf(user.id)).toBeUndefined();
  });

  it("an admin sets guidance with a preview that keeps the formatting exactly", async () => {
    const { preview, version } = await publishGuidance(admin, "ru", RU_TEXT, RU_ENTITIES);
    expect(version).toBe(1);
    expect(preview.text).toBe(RU_TEXT);
    expect(preview.entities).toEqual(RU_ENTITIES);

    const reader = bot.api.user({ id: 6005, first_name: "Анна", language_code: "ru" });
    await reader.command("guidance");
    const guidance = await reader.nextBotMessage();
    expect(guidance.text).toBe(RU_TEXT);
    expect(guidance.entities).toEqual(RU_ENTITIES);
    // Not subscribed yet: the guidance comes with the button.
    expect(guidance.reply_markup?.inline_keyboard.flat()[0]?.text).toBe(
      "Подписаться на советы редакции",
    );
  });

  it("every version is kept and numbered; readers get the newest", async () => {
    const { version } = await publishGuidance(admin, "ru", "Вторая версия советов", [
      { type: "underline", offset: 0, length: 6 },
    ]);
    expect(version).toBe(2);
    const v1 = await bot.app.services.guidance.find("ru", 1);
    expect(v1?.text).toBe(RU_TEXT);
    const reader = bot.api.user({ id: 6005, first_name: "Анна" });
    await reader.command("guidance");
    const guidance = await reader.nextBotMessage();
    expect(guidance.text).toBe("Вторая версия советов");
    expect(guidance.entities).toEqual([{ type: "underline", offset: 0, length: 6 }]);
  });

  it("falls back to the default locale, until there is guidance in the reader's", async () => {
    const reader = bot.api.user({ id: 6006, first_name: "Kate", language_code: "en" });
    await reader.command("guidance");
    expect((await reader.nextBotMessage()).text).toBe(
      "There is no guidance in your language yet. Here it is in Russian:",
    );
    expect((await reader.nextBotMessage()).text).toBe("Вторая версия советов");

    const { version } = await publishGuidance(admin, "en", "Guidance in English", [
      { type: "bold", offset: 0, length: 8 },
    ]);
    expect(version).toBe(1); // versions count per locale
    await reader.command("guidance");
    const guidance = await reader.nextBotMessage();
    expect(guidance.text).toBe("Guidance in English");
    expect(guidance.entities).toEqual([{ type: "bold", offset: 0, length: 8 }]);
  });

  it("drops a text_mention (it would store a user's id) and asks for text, not files", async () => {
    await admin.command("guidance_set");
    await nextNew(admin);
    await admin.press(/^English/);
    await nextNew(admin);
    await admin.sendPhoto(new Uint8Array(100));
    expect((await nextNew(admin)).text).toContain("This needs text");
    await admin.send("Ask Maria", {
      entities: [
        {
          type: "text_mention",
          offset: 4,
          length: 5,
          user: { id: 77_700_777, is_bot: false, first_name: "Maria" },
        },
      ],
    });
    await nextNew(admin);
    const preview = await nextNew(admin);
    expect(preview.entities).toBeUndefined();
    await admin.press("Cancel");
    expect((await nextNew(admin)).text).toBe("Cancelled, nothing was saved.");
    // The old preview's Publish button is stale now.
    const query = await admin.pressData(preview.message_id, "adm:gp");
    await bot.api.waitFor(() => bot.api.callbackAnswer(query.id));
    expect(bot.api.callbackAnswer(query.id)?.text).toContain("out of date");
    expect((await bot.app.services.guidance.current("en"))?.version).toBe(1);
  });

  it("/stats shows counts only", async () => {
    await admin.command("stats");
    const stats = await admin.nextBotMessage();
    expect(stats.text).toContain("Numbers only");
    expect(stats.text).toContain("Subscribers by language: en: 1");
    expect(stats.text).toContain("Unfinished testimonies: 0");
    expect(stats.text).not.toContain("Вторая");
  });

  it("admin actions are audited with the day, numbers and a hashed actor, never content", async () => {
    const audit = await createAuditRepository({ db: bot.storage.db }).recent();
    const publishes = audit.filter((r) => r.action === "guidance-publish");
    expect(publishes.map((r) => r.detail).sort()).toEqual([
      "locale=en version=1",
      "locale=ru version=1",
      "locale=ru version=2",
    ]);
    for (const row of publishes) {
      expect(row.actorHash).toBe(hashTelegramId(bot.secrets.pepper, ADMIN_ID, "admin"));
      expect(row.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("admin commands and buttons answer a non-admin exactly like unknown ones", async () => {
    const stranger = bot.api.user({ id: 6100, first_name: "Random", language_code: "ru" });
    const lastSend = () => bot.api.calls("sendMessage").at(-1)?.params;
    await stranger.command("no_such_command");
    await stranger.nextBotMessage();
    const unknown = JSON.stringify(lastSend());
    for (const command of ADMIN_COMMANDS) {
      await stranger.command(command);
      await stranger.nextBotMessage();
      expect(JSON.stringify(lastSend()), `/${command}`).toBe(unknown);
    }
    // The admin's own chat is not special either: ids decide, not chats.
    await stranger.send("plain text after an admin command");
    await stranger.nextBotMessage();
    expect(JSON.stringify(lastSend())).toBe(unknown);

    const messageId = stranger.lastBotMessage()?.message_id ?? 0;
    const answerTo = async (data: string) => {
      const query = await stranger.pressData(messageId, data);
      await bot.api.waitFor(() => bot.api.callbackAnswer(query.id));
      const { callback_query_id: _, ...answer } = bot.api.callbackAnswer(query.id) ?? {};
      return JSON.stringify(answer);
    };
    const unknownButton = await answerTo("zz:unknown");
    for (const data of ["adm:gs:ru", "adm:gp", "adm:bg", "adm:bt", "adm:bs", "adm:bc", "adm:x"]) {
      expect(await answerTo(data), data).toBe(unknownButton);
    }
    // And nothing happened: no guidance version, no broadcast.
    expect((await bot.app.services.guidance.current("ru"))?.version).toBe(2);
    expect(await bot.app.services.broadcasts.latest()).toBeUndefined();
  });

  it("a wizard begun before a restart (or on another instance) says to start again", async () => {
    const noWizard =
      "No wizard in progress (it may have expired or been started on another instance): start again with /broadcast or /guidance_set.";
    // Plain text from an admin with no wizard at all.
    await admin.send("hello?");
    expect((await nextNew(admin)).text).toBe(noWizard);

    // A broadcast's text asked for, then a restart: the text starts nothing.
    await admin.command("broadcast");
    await nextNew(admin);
    await admin.press("One-off text");
    const prompt = await nextNew(admin);
    expect(prompt.text).toContain("Send the text for subscribers");
    await bot.restart();
    await admin.send("Text for a broadcast that was forgotten");
    expect((await nextNew(admin)).text).toBe(noWizard);
    // Its Skip button is out of date too.
    const skip = await admin.press("Skip this language");
    await bot.api.waitFor(() => bot.api.callbackAnswer(skip.id));
    expect(bot.api.callbackAnswer(skip.id)?.text).toContain("out of date");

    // A guidance preview waiting for Publish, then a restart: Publish is out of date.
    await admin.command("guidance_set");
    await nextNew(admin);
    await admin.press(/^English/);
    await nextNew(admin);
    await admin.send("Guidance that must not be published");
    await nextNew(admin);
    await nextNew(admin);
    await bot.restart();
    const publish = await admin.press("Publish");
    await bot.api.waitFor(() => bot.api.callbackAnswer(publish.id));
    expect(bot.api.callbackAnswer(publish.id)?.text).toContain("out of date");
    expect((await bot.app.services.guidance.current("en"))?.version).toBe(1);
    expect(await bot.app.services.broadcasts.latest()).toBeUndefined();

    // Starting again works.
    const { version } = await publishGuidance(admin, "en", "Guidance in English, again");
    expect(version).toBe(2);
  });
});
