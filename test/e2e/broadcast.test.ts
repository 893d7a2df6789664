// Broadcasts end to end through the fake Bot API: 1,000 subscribers in two languages with 429s,
// blocked chats and 500s injected; pacing against Telegram's limit; progress, status and cancel.
import type { MessageEntity } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BroadcastSummary } from "../../src/services/guidance/broadcast.js";
import { adminUser, nextNew, publishGuidance, startBroadcast } from "../helpers/admin.js";
import type { FakeBotApi, FakeUser } from "../helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";

const ADMIN_ID = 900_001;
const RU = { text: "Советы редакции: как безопасно выехать", entities: [] as MessageEntity[] };
RU.entities.push({ type: "bold", offset: 0, length: 15 });
const EN = { text: "Guidance: how to leave safely", entities: [] as MessageEntity[] };
EN.entities.push({ type: "italic", offset: 10, length: 19 });

/** Subscribers made through the service (fast), each with a chat in the fake Bot API. */
async function addSubscribers(bot: TestBot, count: number, firstId: number) {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    const locale = i % 2 === 0 ? "ru" : "en";
    bot.api.user({ id, first_name: `S${i}`, language_code: locale });
    await bot.app.services.subscriptions.subscribe(id, locale);
    ids.push(id);
  }
  return ids;
}

/** Successful sendMessage calls with one of these texts, per chat. */
function deliveriesPerChat(api: FakeBotApi, texts: string[], since = 0) {
  const counts = new Map<number, number>();
  for (const call of api.calls("sendMessage").slice(since)) {
    const chat = Number(call.params.chat_id);
    if (call.ok && texts.includes(String(call.params.text))) {
      counts.set(chat, (counts.get(chat) ?? 0) + 1);
    }
  }
  return counts;
}

/** Waits for the broadcast after `previousId` (the admin's wizard ends before the job exists). */
async function untilFinished(
  bot: TestBot,
  previousId = 0,
  timeoutMs = 30_000,
): Promise<BroadcastSummary> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const latest = await bot.app.services.broadcasts.latest();
    if (latest && latest.id > previousId && latest.status !== "running") return latest;
    if (Date.now() > deadline)
      throw new Error(`broadcast still running: ${JSON.stringify(latest)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("a broadcast to 1,000 subscribers with faults", () => {
  let bot: TestBot;
  let admin: FakeUser;
  let chats: number[] = [];
  const blocked = new Set<number>();
  const flaky = new Set<number>();
  let summary: BroadcastSummary;
  let progressId = 0;
  let started = 0;
  let finished = 0;

  beforeAll(async () => {
    bot = await startTestBot({
      adminIds: [ADMIN_ID],
      config: { BROADCAST_RATE_PER_SECOND: 500 },
      broadcastWorker: { backoffBaseMs: 200, progressIntervalMs: 1000, pollMs: 200 },
    });
    admin = adminUser(bot.api, ADMIN_ID);
    chats = await addSubscribers(bot, 994, 3_000_000);
    // A few real users subscribe through the bot.
    for (let i = 0; i < 6; i++) {
      const user = bot.api.user({
        id: 3_100_000 + i,
        first_name: `Real${i}`,
        language_code: i % 2 === 0 ? "ru" : "en",
      });
      if (i < 3) await user.command("subscribe");
      else {
        await user.command("start");
        await user.nextBotMessage();
        await user.press(/Subscribe|Подписаться/);
      }
      await nextNew(user);
      chats.push(user.id);
    }
    await publishGuidance(admin, "ru", RU.text, RU.entities);
    await publishGuidance(admin, "en", EN.text, EN.entities);

    // 20 chats have blocked the bot, 10 get 500s twice, and Telegram says "slow down" twice.
    for (const id of chats.slice(100, 120)) {
      bot.api.blockBy(id);
      blocked.add(id);
    }
    for (const id of chats.slice(200, 210)) {
      bot.api.injectFault({
        method: "sendMessage",
        chatId: id,
        times: 2,
        error: { error_code: 500, description: "Internal Server Error" },
      });
      flaky.add(id);
    }
    for (const id of [chats[300], chats[700]] as number[]) {
      bot.api.injectFault({
        method: "sendMessage",
        chatId: id,
        error: {
          error_code: 429,
          description: "Too Many Requests: retry after 1",
          parameters: { retry_after: 1 },
        },
      });
    }

    started = Date.now();
    const { previews, progress } = await startBroadcast(admin, { guidance: true });
    progressId = progress.message_id;
    expect(previews.map((m) => m.text)).toEqual([
      "Russian, recipients: 500. They will get:",
      RU.text,
      "English, recipients: 500. They will get:",
      EN.text,
    ]);
    expect(previews[1]?.entities).toEqual(RU.entities);
    expect(previews[3]?.entities).toEqual(EN.entities);
    summary = await untilFinished(bot);
    finished = Date.now();
    console.log(`1,000 subscribers with faults: ${finished - started} ms`);
  }, 60_000);
  afterAll(() => bot?.stop());

  it("finished with the right counts", () => {
    expect(summary).toMatchObject({
      status: "done",
      total: 1000,
      sent: 980,
      failed: 0,
      unsubscribed: 20,
      remaining: 0,
    });
    expect(bot.api.stats().faulted).toBeGreaterThanOrEqual(22);
  });

  it("every remaining subscriber got the guidance in their language exactly once", () => {
    const counts = deliveriesPerChat(bot.api, [RU.text, EN.text]);
    const wrong = chats.filter((id) => counts.get(id) !== (blocked.has(id) ? undefined : 1));
    expect(wrong).toEqual([]);
    for (const call of bot.api.calls("sendMessage")) {
      const chat = Number(call.params.chat_id);
      if (!call.ok || chat === ADMIN_ID || !counts.has(chat)) continue;
      if (call.params.text !== RU.text && call.params.text !== EN.text) continue;
      const ru = (chat - 3_000_000) % 2 === 0;
      expect(call.params.text).toBe(ru ? RU.text : EN.text);
      expect(call.params.entities).toEqual(ru ? RU.entities : EN.entities);
    }
    for (const id of flaky) expect(counts.get(id)).toBe(1);
  });

  it("blocked chats were unsubscribed; the rest stay subscribed", async () => {
    expect(await bot.app.services.subscriptions.countByLocale()).toEqual({ ru: 490, en: 490 });
    for (const id of blocked) {
      expect(await bot.app.services.subscriptions.localeOf(id)).toBeUndefined();
    }
  });

  it("honoured retry_after: nothing was sent in the second after each 429", () => {
    const sends = bot.api.calls("sendMessage");
    const limited = sends.filter((c) => c.error?.error_code === 429);
    expect(limited).toHaveLength(2);
    // The run takes at least the two pauses on top of 1,000 messages at 500/s.
    expect(finished - started).toBeGreaterThanOrEqual(2000 + 1500);
  });

  it("kept the admin's progress message up to date, ending with the result", async () => {
    const progressEdits = () =>
      bot.api
        .calls("editMessageText")
        .filter((c) => c.ok && Number(c.params.message_id) === progressId);
    await bot.api.waitFor(
      () => progressEdits().some((c) => String(c.params.text).includes("finished")),
      5000,
      "final progress edit",
    );
    const edits = bot.api
      .calls("editMessageText")
      .filter((c) => c.ok && Number(c.params.chat_id) === ADMIN_ID)
      .filter((c) => Number(c.params.message_id) === progressId);
    expect(edits.length).toBeGreaterThanOrEqual(2);
    // At most one edit per progress interval (1 s here), plus the final one.
    expect(edits.length).toBeLessThanOrEqual(Math.ceil((finished - started) / 1000) + 2);
    const running = edits.find((c) => String(c.params.text).includes("running"));
    expect(String(running?.params.text)).toMatch(/Delivered: [\d,]+ of 1,000/);
    expect(String(running?.params.text)).toMatch(/Rate: [\d.]+ messages\/s/);
    expect(String(edits.at(-1)?.params.text)).toBe(
      "Broadcast #1: finished\nDelivered: 980 of 1,000 · not delivered: 0 · unsubscribed: 20 · still to send: 0",
    );
  });

  it("/broadcast_status shows the last job; /broadcast_cancel says nothing is running", async () => {
    await admin.command("broadcast_status");
    expect((await nextNew(admin)).text).toContain("Broadcast #1: finished");
    await admin.command("broadcast_cancel");
    expect((await nextNew(admin)).text).toBe("Nothing is being sent right now.");
    expect(await bot.app.repositories.broadcasts.deliveryStates(1)).toEqual({});
  });
});

describe("pacing, status and cancel", () => {
  let bot: TestBot;
  let admin: FakeUser;
  let chats: number[] = [];

  beforeAll(async () => {
    bot = await startTestBot({
      adminIds: [ADMIN_ID],
      config: { BROADCAST_RATE_PER_SECOND: 40 },
      broadcastWorker: { progressIntervalMs: 1000, pollMs: 200 },
    });
    admin = adminUser(bot.api, ADMIN_ID);
    chats = await addSubscribers(bot, 120, 4_000_000);
  }, 60_000);
  afterAll(() => bot?.stop());

  const sentTo = (since: number) =>
    bot.api
      .calls("sendMessage")
      .slice(since)
      .filter((c) => c.ok && Number(c.params.chat_id) >= 4_000_000);
  const lastId = async () => (await bot.app.services.broadcasts.latest())?.id ?? 0;

  it("under Telegram's limit, pacing avoids 429s and keeps close to the rate", async () => {
    bot.api.setRateLimit({ perSecond: 50 });
    const before = bot.api.calls("sendMessage").length;
    const started = Date.now();
    // A one-off text in Russian only: English subscribers get it too.
    await startBroadcast(admin, { texts: { ru: "Разовое сообщение" } });
    const summary = await untilFinished(bot);
    expect(summary.id).toBe(1);
    const seconds = (Date.now() - started) / 1000;
    expect(summary).toMatchObject({ sent: 120, failed: 0 });
    expect(bot.api.stats().rateLimited).toBe(0);
    const sends = sentTo(before);
    expect(new Set(sends.map((c) => c.params.chat_id)).size).toBe(120);
    expect(sends.every((c) => c.params.text === "Разовое сообщение")).toBe(true);
    // 120 messages at 40/s take 3 s; allow for set-up, never faster than the rate.
    expect(seconds).toBeGreaterThanOrEqual(2.9);
    expect(seconds).toBeLessThan(6);
  });

  it("above the limit, 429s pause the job instead of storming, and nobody gets two", async () => {
    bot.api.setRateLimit({ perSecond: 20 });
    const before = bot.api.calls("sendMessage").length;
    const limitedBefore = bot.api.stats().rateLimited;
    const previous = await lastId();
    await startBroadcast(admin, { texts: { ru: "Второе", en: "Second" } });
    const summary = await untilFinished(bot, previous, 40_000);
    bot.api.setRateLimit(null);
    expect(summary).toMatchObject({ status: "done", sent: 120, failed: 0 });
    const counts = deliveriesPerChat(bot.api, ["Второе", "Second"], before);
    expect(chats.filter((id) => counts.get(id) !== 1)).toEqual([]);
    // Each 429 stops the job for retry_after: a handful, not one per message.
    const limited = bot.api.stats().rateLimited - limitedBefore;
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThan(30);
  }, 45_000);

  it("/broadcast_status while running, /broadcast while busy, /broadcast_cancel", async () => {
    const before = bot.api.calls("sendMessage").length;
    const { progress } = await startBroadcast(admin, { texts: { en: "Third" } });
    await bot.api.waitFor(() => sentTo(before).length >= 20, 5000, "20 sent");

    await admin.command("broadcast_status");
    const status = await nextNew(admin);
    expect(status.text).toMatch(/^Broadcast #3: running\nDelivered: \d+ of 120/);
    await admin.command("broadcast");
    expect((await nextNew(admin)).text).toContain("A broadcast is already running");

    await admin.command("broadcast_cancel");
    const cancelled = await nextNew(admin);
    expect(cancelled.text).toMatch(/^Broadcast #3: stopped\nDelivered: \d+ of 120/);
    const atCancel = sentTo(before).length;
    // The worker sees the job stopped, lets its sends in flight finish and finds nothing more.
    const quiet = bot.app.broadcastWorker.quietTurns;
    await bot.api.waitFor(
      () => bot.app.broadcastWorker.quietTurns > quiet,
      5000,
      "the worker quiet after the cancel",
    );
    // Only what was in flight at the cancel may still arrive (one batch at most).
    expect(sentTo(before).length - atCancel).toBeLessThanOrEqual(40);
    expect(sentTo(before).length).toBeLessThan(120);
    const latest = await bot.app.services.broadcasts.latest();
    expect(latest?.status).toBe("cancelled");
    expect(await bot.app.repositories.broadcasts.deliveryStates(3)).toEqual({});
    expect(await bot.app.services.subscriptions.countByLocale()).toEqual({ ru: 60, en: 60 });
    // The progress message says so too.
    const edited = bot.api
      .state(ADMIN_ID)
      .messages.find((m) => m.message_id === progress.message_id);
    expect(edited?.text).toContain("stopped");
  });
});
