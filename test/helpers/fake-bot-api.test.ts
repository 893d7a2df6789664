import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { autoRetry } from "@grammyjs/auto-retry";
import { Bot, GrammyError, InlineKeyboard, InputFile, webhookCallback } from "grammy";
import type { Update } from "grammy/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeBotApi, type FakeUser, startFakeBotApi } from "./fake-bot-api.js";

const TOKEN = "123456:TEST-token";

let api: FakeBotApi;
let bot: Bot;
let alice: FakeUser;
let running = false;

beforeEach(async () => {
  api = await startFakeBotApi({ token: TOKEN, botUsername: "testimony_bot" });
  bot = new Bot(TOKEN, { client: { apiRoot: api.apiRoot } });
  bot.catch(() => {});
  alice = api.user({ id: 1001, first_name: "Alice", username: "alice", language_code: "ru" });
});

afterEach(async () => {
  if (running) await bot.stop();
  running = false;
  await api.close();
});

/** Starts long polling and resolves once the bot is polling. */
async function startPolling(): Promise<void> {
  running = true;
  await new Promise<void>((resolve) => void bot.start({ timeout: 1, onStart: () => resolve() }));
}

async function rejection(p: Promise<unknown>): Promise<GrammyError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

const post = (method: string, body: object, token = TOKEN) =>
  fetch(`${api.apiRoot}/bot${token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("fake Bot API with a real grammY bot", () => {
  it("runs an echo bot with commands, inline buttons and edits over long polling", async () => {
    bot.command("start", (ctx) =>
      ctx.reply("Welcome", { reply_markup: new InlineKeyboard().text("Go", "go:1") }),
    );
    bot.command("ask", (ctx) =>
      ctx.reply("Sure?", {
        reply_markup: { keyboard: [[{ text: "Yes" }]], one_time_keyboard: true },
      }),
    );
    bot.on("message:text", (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
    bot.callbackQuery(/^go:/, async (ctx) => {
      await ctx.answerCallbackQuery({ text: "ok" });
      await ctx.editMessageText("Pressed");
    });
    await startPolling();

    await alice.command("/start");
    expect((await alice.nextBotMessage()).text).toBe("Welcome");
    await alice.send("hello");
    expect((await alice.nextBotMessage()).text).toBe("echo: hello");

    const query = await alice.press("Go");
    const edited = await alice.nextBotMessage();
    expect(edited).toMatchObject({ message_id: 2, text: "Pressed" });
    expect(edited.edit_date).toBeTypeOf("number");
    expect(edited.reply_markup).toBeUndefined();
    expect(api.callbackAnswer(query.id)).toMatchObject({ text: "ok" });
    expect(alice.chat().map((m) => m.text)).toEqual(["/start", "Pressed", "hello", "echo: hello"]);
    expect(alice.botMessages()).toHaveLength(2);
    expect(api.calls("sendMessage")[0]?.params).toMatchObject({ chat_id: 1001, text: "Welcome" });

    await alice.command("ask");
    await alice.nextBotMessage();
    await alice.tapKey("Yes");
    expect((await alice.nextBotMessage()).text).toBe("echo: Yes");

    await expect(alice.press("Missing")).rejects.toThrow(/No button Missing.*\n.*none/s);
    await expect(alice.nextBotMessage({ timeoutMs: 100 })).rejects.toThrow(/#8 bot: "echo: Yes"/);
  });

  it("delivers every kind of user message in Telegram's shapes", async () => {
    const updates: Update[] = [];
    bot.use((ctx) => void updates.push(ctx.update));
    await startPolling();

    const sent = await alice.send("original");
    await alice.edit(sent.message_id, "changed");
    await alice.sendLocation(50.45, 30.52);
    await alice.sendContact({ phone_number: "+380000000", first_name: "A" });
    await alice.sendSticker();
    await alice.sendVoice(randomBytes(100), { duration: 3 });
    await alice.sendVideoNote(randomBytes(100));
    await alice.forward("look", { id: 5, is_bot: false, first_name: "Origin" });
    await alice.sendPoll("Q?");
    await alice.sendDice();
    const album = await alice.sendMediaGroup([
      { kind: "photo", bytes: randomBytes(10) },
      { kind: "photo", bytes: randomBytes(10), caption: "two" },
    ]);
    await alice.pressData(sent.message_id, "stale:data");
    await api.waitFor(() => updates.length === 13, 5000, "13 updates");

    expect(updates.map((u) => u.update_id)).toEqual([...Array(13).keys()].map((i) => i + 1));
    expect(updates[1]?.edited_message).toMatchObject({ message_id: 1, text: "changed" });
    expect(updates[2]?.message?.location).toEqual({ latitude: 50.45, longitude: 30.52 });
    expect(updates[3]?.message?.contact?.phone_number).toBe("+380000000");
    expect(updates[4]?.message?.sticker?.type).toBe("regular");
    expect(updates[5]?.message?.voice).toMatchObject({ duration: 3, file_size: 100 });
    expect(updates[6]?.message?.video_note?.length).toBe(240);
    expect(updates[7]?.message?.forward_origin).toMatchObject({ type: "user" });
    expect(updates[8]?.message?.poll?.options).toHaveLength(2);
    expect(updates[9]?.message?.dice?.emoji).toBe("🎲");
    expect(album[0]?.media_group_id).toBe(album[1]?.media_group_id);
    expect(updates[11]?.message?.caption).toBe("two");
    expect(updates[12]?.callback_query).toMatchObject({ data: "stale:data", from: { id: 1001 } });
    expect(alice.chat().find((m) => m.message_id === 1)?.text).toBe("changed");
  });

  it("stores files the bot uploads with multipart InputFile", async () => {
    const bytes = randomBytes(5000);
    const doc = await bot.api.sendDocument(alice.id, new InputFile(bytes, "report.pdf"), {
      caption: "Report",
      reply_markup: new InlineKeyboard().text("A", "a"),
    });
    expect(doc.document).toMatchObject({ file_name: "report.pdf", mime_type: "application/pdf" });
    expect(doc.document?.file_size).toBe(5000);
    expect(Buffer.from(api.fileBytes(doc))).toEqual(bytes);
    expect(alice.lastBotMessage()?.reply_markup?.inline_keyboard[0]?.[0]?.text).toBe("A");
    expect(api.calls("sendDocument")[0]?.params.reply_markup).toEqual({
      inline_keyboard: [[{ text: "A", callback_data: "a" }]],
    });

    const photo = await bot.api.sendPhoto(alice.id, new InputFile(new Uint8Array([1, 2, 3])));
    expect(api.fileBytes(photo)).toEqual(new Uint8Array([1, 2, 3]));
    const again = await bot.api.sendDocument(alice.id, doc.document?.file_id as string);
    expect(again.document?.file_id).toBe(doc.document?.file_id);
    const bad = await rejection(bot.api.sendDocument(alice.id, "nonsense"));
    expect(bad.description).toBe("Bad Request: wrong file identifier/HTTP URL specified");
  });

  it("lets the bot download what a user uploaded, up to 20 MB", async () => {
    bot.on("message:document", async (ctx) => {
      try {
        const file = await ctx.getFile();
        const res = await fetch(`${api.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
        const got = Buffer.from(await res.arrayBuffer());
        await ctx.reply(`got ${got.toString("hex")} at ${file.file_path}`);
      } catch (e) {
        await ctx.reply(`error: ${(e as GrammyError).description}`);
      }
    });
    await startPolling();

    await alice.sendDocument(Buffer.from("cafe", "hex"), { file_name: "a.pdf" });
    expect((await alice.nextBotMessage()).text).toMatch(/^got cafe at documents\/file_\d+\.pdf$/);
    await alice.sendDocument(null, { file_name: "big.mp4", file_size: 25 * 1024 * 1024 });
    expect((await alice.nextBotMessage()).text).toBe("error: Bad Request: file is too big");
    const res = await fetch(`${api.apiRoot}/file/botWRONG/documents/file_1.pdf`);
    expect(res.status).toBe(401);
  });

  it("deletes messages with Telegram's 48-hour rule", async () => {
    const [one, two, three] = [
      await bot.api.sendMessage(alice.id, "one"),
      await bot.api.sendMessage(alice.id, "two"),
      await bot.api.sendMessage(alice.id, "three"),
    ];
    expect(await bot.api.deleteMessages(alice.id, [one.message_id, two.message_id])).toBe(true);
    expect(alice.botMessages().map((m) => m.text)).toEqual(["three"]);
    const missing = await rejection(bot.api.deleteMessage(alice.id, one.message_id));
    expect(missing.description).toBe("Bad Request: message to delete not found");

    api.advanceTime(49 * 3600);
    const four = await bot.api.sendMessage(alice.id, "four");
    const old = await rejection(bot.api.deleteMessage(alice.id, three.message_id));
    expect(old).toMatchObject({
      error_code: 400,
      description: "Bad Request: message can't be deleted",
    });
    expect(await bot.api.deleteMessages(alice.id, [three.message_id, four.message_id])).toBe(true);
    expect(alice.botMessages().map((m) => m.text)).toEqual(["three"]);
  });

  it("injects faults and blocks that grammY sees as GrammyError", async () => {
    api.injectFault({
      method: "sendMessage",
      error: {
        error_code: 429,
        description: "Too Many Requests: retry after 1",
        parameters: { retry_after: 1 },
      },
    });
    const limited = await rejection(bot.api.sendMessage(alice.id, "x"));
    expect(limited).toMatchObject({ error_code: 429, parameters: { retry_after: 1 } });
    await expect(bot.api.sendMessage(alice.id, "x")).resolves.toMatchObject({ text: "x" });

    const bob = api.user({ id: 2002, first_name: "Bob" });
    const fault = api.injectFault({
      chatId: bob.id,
      times: Number.POSITIVE_INFINITY,
      error: { error_code: 500, description: "Internal Server Error" },
    });
    expect((await rejection(bot.api.sendMessage(bob.id, "x"))).error_code).toBe(500);
    expect((await rejection(bot.api.sendChatAction(bob.id, "typing"))).error_code).toBe(500);
    await bot.api.sendMessage(alice.id, "alice unaffected");
    fault.remove();

    api.blockBy(bob.id);
    const blocked = await rejection(bot.api.sendMessage(bob.id, "x"));
    expect(blocked).toMatchObject({
      error_code: 403,
      description: "Forbidden: bot was blocked by the user",
    });
    api.unblockBy(bob.id);
    await bot.api.sendMessage(bob.id, "back");
    expect(api.stats()).toMatchObject({ faulted: 3, blocked: 1, sent: 3 });
    expect(api.calls("sendMessage").filter((c) => !c.ok)).toHaveLength(3);
  });

  it("enforces a global rate limit with retry_after, which auto-retry honours", async () => {
    api.setRateLimit({ perSecond: 5 });
    const burst = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => bot.api.sendMessage(alice.id, `m${i}`)),
    );
    const rejected = burst.filter((r) => r.status === "rejected");
    expect(rejected).toHaveLength(3);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({
      error_code: 429,
      parameters: { retry_after: 1 },
    });
    expect(api.stats()).toMatchObject({ sent: 5, rateLimited: 3 });

    bot.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 5 }));
    await Promise.all(Array.from({ length: 8 }, (_, i) => bot.api.sendMessage(alice.id, `r${i}`)));
    expect(api.stats().sent).toBe(13);
  });

  it("validates texts, HTML, MarkdownV2, edits and buttons like Telegram", async () => {
    const cases: [Promise<unknown>, string][] = [
      [bot.api.sendMessage(alice.id, " "), "Bad Request: message text is empty"],
      [bot.api.sendMessage(alice.id, "x".repeat(4097)), "Bad Request: message is too long"],
      [bot.api.sendMessage(alice.id, "a <x> b", { parse_mode: "HTML" }), "Unsupported start tag"],
      [bot.api.sendMessage(alice.id, "Hi.", { parse_mode: "MarkdownV2" }), "reserved"],
      [bot.api.sendMessage(424242, "x"), "Bad Request: chat not found"],
      [
        bot.api.sendMessage(alice.id, "x", {
          reply_markup: new InlineKeyboard().text("long", "d".repeat(65)),
        }),
        "BUTTON_DATA_INVALID",
      ],
    ];
    for (const [call, description] of cases) {
      expect((await rejection(call)).description).toContain(description);
    }
    const html = await bot.api.sendMessage(alice.id, "<b>bold</b> &amp; <i>it</i>", {
      parse_mode: "HTML",
    });
    expect(html.text).toBe("bold & it");
    const md = await bot.api.sendMessage(alice.id, "*Hi*\\.", { parse_mode: "MarkdownV2" });
    expect(md.text).toBe("Hi.");
    const notModified = await rejection(bot.api.editMessageText(alice.id, md.message_id, "Hi."));
    expect(notModified.description).toMatch(/^Bad Request: message is not modified/);

    const unknown = await post("fooBar", {});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      ok: false,
      error_code: 404,
      description: "Not Found: method not found",
    });
    expect(api.calls("fooBar")).toHaveLength(1);
    expect(await (await post("getMe", {}, "999:WRONG")).json()).toEqual({
      ok: false,
      error_code: 401,
      description: "Unauthorized",
    });
  });

  it("implements getUpdates offset, limit and long polling, and form bodies", async () => {
    await alice.send("a");
    await alice.send("b");
    await alice.send("c");
    const ids = async (body: object) =>
      ((await (await post("getUpdates", body)).json()) as { result: Update[] }).result.map(
        (u) => u.update_id,
      );
    expect(await ids({ limit: 2 })).toEqual([1, 2]);
    expect(await ids({ offset: 3 })).toEqual([3]);
    const started = Date.now();
    expect(await ids({ offset: 4, timeout: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(api.longPolling()).toBe(false);
    // An update that comes while the long poll waits ends it at once.
    void api.waitFor(() => api.longPolling()).then(() => alice.send("d"));
    const waited = Date.now();
    expect(await ids({ offset: 4, timeout: 10 })).toEqual([4]);
    expect(Date.now() - waited).toBeLessThan(9000);

    const form = new URLSearchParams({
      chat_id: "1001",
      text: "123",
      reply_markup: JSON.stringify({ inline_keyboard: [[{ text: "x", callback_data: "y" }]] }),
    });
    const res = await fetch(`${api.apiRoot}/bot${TOKEN}/sendMessage`, {
      method: "POST",
      body: form,
    });
    const { result } = (await res.json()) as { result: { text: unknown; reply_markup: unknown } };
    expect(result.text).toBe("123");
    expect(result.reply_markup).toEqual({ inline_keyboard: [[{ text: "x", callback_data: "y" }]] });
  });

  it("delivers updates to a webhook with the secret token", async () => {
    bot.on("message:text", (ctx) => ctx.reply(`hook: ${ctx.message.text}`));
    const server: Server = createServer(webhookCallback(bot, "http", { secretToken: "s3cret" }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      await bot.api.setWebhook(url, { secret_token: "s3cret" });
      await api.deliverTo();
      await alice.send("hi");
      expect((await alice.nextBotMessage()).text).toBe("hook: hi");
      expect(api.deliveries()).toEqual([{ update_id: 1, status: 200 }]);
      expect((await post("getUpdates", {})).status).toBe(409);

      await api.deliverTo(url, "wrong", { redeliver: false });
      await alice.send("again");
      expect(api.deliveries()[1]?.status).toBe(401);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("keeps up to maxConnections webhook requests open at once, started in update order", async () => {
    const arrived: number[] = [];
    let open = 0;
    let peak = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", async () => {
        arrived.push((JSON.parse(body) as Update).update_id);
        peak = Math.max(peak, ++open);
        await gate;
        open--;
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      await api.deliverTo(url, undefined, { maxConnections: 3 });
      // Sending returns at once; three requests open, the other two wait for a connection.
      for (const text of ["a", "b", "c", "d", "e"]) await alice.send(text);
      await api.waitFor(() => arrived.length === 3);
      expect(arrived).toEqual([1, 2, 3]);
      release();
      await api.deliveriesSettled();
      expect(peak).toBe(3);
      expect(arrived.sort()).toEqual([1, 2, 3, 4, 5]);
      expect(api.deliveries().map((d) => d.status)).toEqual([200, 200, 200, 200, 200]);
    } finally {
      release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("posts an update the bot answered with an error again, until it is accepted", async () => {
    let tries = 0;
    const server: Server = createServer((_req, res) => {
      tries++;
      res.writeHead(tries < 3 ? 503 : 200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      await api.deliverTo(url, undefined, { redeliverMs: 10 });
      await alice.send("once");
      expect(api.deliveries()).toEqual([
        { update_id: 1, status: 503 },
        { update_id: 1, status: 503 },
        { update_id: 1, status: 200 },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("fails a share of the calls a fault matches, at random", async () => {
    const fault = api.injectFault({
      method: "sendMessage",
      times: Number.POSITIVE_INFINITY,
      chance: 0.5,
      error: { error_code: 500, description: "Internal Server Error" },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, () => bot.api.sendMessage(alice.id, "x")),
    );
    fault.remove();
    const failed = results.filter((r) => r.status === "rejected").length;
    // 60 tries at one half: all or none failing would be a 1 in 2^60 event.
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(60);
  });

  it("applies privacy mode and admin rights in groups", async () => {
    bot.on("message", (ctx) => ctx.reply(`seen: ${ctx.message.text}`));
    await startPolling();
    const group = api.group({ id: -100123, title: "Editors" });
    const bob = group.member(api.user({ id: 2002, first_name: "Bob" }));

    await bob.send("chatter");
    await bob.command("/status");
    expect((await group.nextBotMessage()).text).toBe("seen: /status");
    group.setBotAdmin(true);
    await bob.send("now visible");
    expect((await group.nextBotMessage()).text).toBe("seen: now visible");
    expect(group.botMessages().map((m) => m.text)).toEqual(["seen: /status", "seen: now visible"]);
    expect(group.messages()).toHaveLength(5);

    const me = await bot.api.getChatMember(group.id, bot.botInfo.id);
    expect(me.status).toBe("administrator");
    expect(await bot.api.leaveChat(group.id)).toBe(true);
    const gone = await rejection(bot.api.sendMessage(group.id, "x"));
    expect(gone.error_code).toBe(403);
  });

  it("records commands and webhooks set by the bot", async () => {
    await bot.api.setMyCommands([{ command: "start", description: "Start" }], {
      language_code: "ru",
    });
    expect(api.commands("default", "ru")).toEqual([{ command: "start", description: "Start" }]);
    expect(await bot.api.getMyCommands({ language_code: "ru" })).toHaveLength(1);
    await bot.api.deleteMyCommands({ language_code: "ru" });
    expect(await bot.api.getMyCommands({ language_code: "ru" })).toEqual([]);
    await bot.api.setWebhook("https://example.org/hook", { secret_token: "t" });
    expect(api.webhookInfo()).toMatchObject({ url: "https://example.org/hook", secret_token: "t" });
    await bot.api.deleteWebhook();
    expect(api.webhookInfo()).toBeUndefined();
  });
});
