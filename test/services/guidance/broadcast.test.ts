// The broadcast worker against a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL) and
// a scripted `send`, with a virtual clock where timings are asserted: pacing, 429 pauses,
// back-off, 403 unsubscribes, progress reports, two instances sharing a job, and a crashed
// instance whose leased rows another one takes over.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type BroadcastProgress,
  batchSize,
  createBroadcastService,
  messageFor,
  type SendMessage,
} from "../../../src/services/guidance/broadcast.js";
import {
  backoffDelay,
  classifyFailure,
} from "../../../src/services/guidance/broadcast-failures.js";
import {
  type BroadcastWorkerOptions,
  type Clock,
  createBroadcastWorker,
  realClock,
} from "../../../src/services/guidance/broadcast-worker.js";
import { createSubscriptionsService } from "../../../src/services/guidance/subscriptions.js";
import type { Locale } from "../../../src/services/locale.js";
import { createSealer } from "../../../src/services/sources/sealing.js";
import { createBroadcastsRepository } from "../../../src/storage/broadcasts.repo.js";
import { broadcasts, deliveries, subscribers } from "../../../src/storage/schema.js";
import { createSubscribersRepository } from "../../../src/storage/subscribers.repo.js";
import { createTestStorage, type TestStorage } from "../../helpers/db.js";

const T0 = Date.parse("2030-01-01T00:00:00Z");

/** Time that moves only when the worker sleeps: each sleep jumps ahead by its length. */
function virtualClock(start = T0): Clock & { set(t: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms, signal) => {
      if (!signal?.aborted) now += Math.max(0, ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
    set: (t) => {
      now = t;
    },
  };
}

interface Sent {
  chatId: number;
  text: string;
  at: number;
}

/** A scripted Bot API: per chat, a list of errors to throw before it accepts. */
function fakeSend(clock: Clock, script: Map<number, unknown[]> = new Map()) {
  const sent: Sent[] = [];
  const tries: Sent[] = [];
  const send: SendMessage = async (chatId, message) => {
    const entry = { chatId, text: message.text, at: clock.now() };
    tries.push(entry);
    const errors = script.get(chatId);
    const error = errors?.shift();
    if (error !== undefined) throw error;
    sent.push(entry);
  };
  return { send, sent, tries };
}

const tooMany = (seconds: number) => ({
  error_code: 429,
  description: "Too Many Requests",
  parameters: { retry_after: seconds },
});
const serverError = { error_code: 500, description: "Internal Server Error" };
const blocked = { error_code: 403, description: "Forbidden: bot was blocked by the user" };

describe("pure rules", () => {
  it("classifies Bot API errors by their shape", () => {
    expect(classifyFailure(tooMany(7))).toEqual({ kind: "rate-limited", retryAfterSeconds: 7 });
    expect(classifyFailure({ error_code: 429 })).toEqual({
      kind: "rate-limited",
      retryAfterSeconds: 1,
    });
    expect(classifyFailure(blocked).kind).toBe("gone");
    expect(
      classifyFailure({ error_code: 403, description: "Forbidden: user is deactivated" }).kind,
    ).toBe("gone");
    expect(
      classifyFailure({ error_code: 400, description: "Bad Request: chat not found" }).kind,
    ).toBe("gone");
    expect(classifyFailure({ error_code: 400, description: "Bad Request: can't parse" }).kind).toBe(
      "permanent",
    );
    expect(classifyFailure(serverError).kind).toBe("transient");
    expect(classifyFailure(new TypeError("fetch failed")).kind).toBe("transient");
    expect(classifyFailure(undefined).kind).toBe("transient");
  });

  it("backs off exponentially with bounded jitter and a cap", () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, 2000, 60_000, mid))).toEqual([
      2000, 4000, 8000, 16_000, 32_000,
    ]);
    expect(backoffDelay(10, 2000, 60_000, mid)).toBe(60_000);
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(800);
    expect(backoffDelay(0, 1000, 60_000, () => 1)).toBe(1200);
  });

  it("picks the subscriber's language, else the default, else any", () => {
    const ru = { text: "ru", entities: [] };
    const en = { text: "en", entities: [] };
    expect(messageFor({ ru, en }, "en", "ru")).toBe(en);
    expect(messageFor({ ru }, "en", "ru")).toBe(ru);
    expect(messageFor({ en }, "ru", "ru")).toBe(en);
    expect(messageFor({ ru }, null, "ru")).toBe(ru);
    expect(messageFor({}, "ru", "ru")).toBeUndefined();
  });

  it("claims about a second's worth of messages, at most 100", () => {
    expect(batchSize(25)).toBe(25);
    expect(batchSize(0.5)).toBe(1);
    expect(batchSize(1000)).toBe(100);
  });
});

describe("broadcast worker", () => {
  let storage: TestStorage;
  const sealer = createSealer(randomBytes(32));
  const pepper = randomBytes(32);
  let repo: ReturnType<typeof createBroadcastsRepository>;
  let subscriptions: ReturnType<typeof createSubscriptionsService>;
  let service: ReturnType<typeof createBroadcastService>;

  beforeAll(async () => {
    storage = await createTestStorage();
    repo = createBroadcastsRepository({ db: storage.db });
    subscriptions = createSubscriptionsService({
      repo: createSubscribersRepository({ db: storage.db }),
      sealer,
      pepper,
    });
    service = createBroadcastService({ repo, subscriptions, sealer, now: () => new Date(T0) });
  });
  afterAll(() => storage?.close());
  beforeEach(async () => {
    await storage.db.delete(deliveries);
    await storage.db.delete(broadcasts);
    await storage.db.delete(subscribers);
  });

  async function subscribe(
    count: number,
    first = 1000,
    locale: (i: number) => Locale = () => "ru",
  ) {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      await subscriptions.subscribe(first + i, locale(i));
      ids.push(first + i);
    }
    return ids;
  }

  function worker(
    send: SendMessage,
    options: Partial<BroadcastWorkerOptions> & { clock: Clock },
    report?: (p: BroadcastProgress) => void,
  ) {
    return createBroadcastWorker(
      {
        repo,
        subscriptions,
        sealer,
        send,
        report: report ? async (_target, progress) => report(progress) : undefined,
      },
      { ratePerSecond: 20, defaultLocale: "ru", pollMs: 500, ...options },
    );
  }

  async function untilDone(id: number, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await repo.find(id);
      if (job && job.status !== "running") return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job?.status}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const perChat = (list: Sent[]) => {
    const counts = new Map<number, number>();
    for (const s of list) counts.set(s.chatId, (counts.get(s.chatId) ?? 0) + 1);
    return counts;
  };

  const text = (t: string) => ({ text: t, entities: [] });

  it("sends each subscriber its language's text once, evenly paced at the rate", async () => {
    const ids = await subscribe(60, 1000, (i) => (i % 3 === 0 ? "en" : "ru"));
    const clock = virtualClock();
    const api = fakeSend(clock);
    const w = worker(api.send, { clock, ratePerSecond: 20 });
    const job = await service.start({ ru: text("по-русски"), en: text("in English") });
    expect(job.total).toBe(60);
    w.start();
    const done = await untilDone(job.id);
    await w.stop();

    expect(done).toMatchObject({ status: "done", sent: 60, failed: 0, unsubscribed: 0, total: 60 });
    expect([...perChat(api.sent).values()].every((n) => n === 1)).toBe(true);
    expect(perChat(api.sent).size).toBe(ids.length);
    for (const s of api.sent) {
      expect(s.text).toBe((s.chatId - 1000) % 3 === 0 ? "in English" : "по-русски");
    }
    const times = api.sent.map((s) => s.at).sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(49); // 1000 / 20 ms apart, never a burst
    // ...and no slower than the rate either (allowing one poll between batches).
    expect((times.at(-1) as number) - (times[0] as number)).toBeLessThan(59 * 50 + 600);
    expect(await repo.deliveryStates(job.id)).toEqual({}); // rows gone, counts stay
  });

  it("pauses the whole job for retry_after on a 429, then delivers everyone once", async () => {
    await subscribe(40);
    const clock = virtualClock();
    const api = fakeSend(clock, new Map([[1010, [tooMany(3)]]]));
    const w = worker(api.send, { clock });
    const job = await service.start({ ru: text("x") });
    w.start();
    const done = await untilDone(job.id);
    await w.stop();

    expect(done).toMatchObject({ sent: 40, failed: 0 });
    expect([...perChat(api.sent).values()].every((n) => n === 1)).toBe(true);
    const limited = api.tries.find((t) => t.chatId === 1010) as Sent;
    const after = api.tries.filter((t) => t.at > limited.at);
    expect(after.length).toBeGreaterThan(0);
    // Nothing at all went out during the pause.
    expect(Math.min(...after.map((t) => t.at)) - limited.at).toBeGreaterThanOrEqual(3000);
  });

  it("retries 5xx and network errors with back-off, then marks failed; 403 unsubscribes", async () => {
    await subscribe(10);
    const clock = virtualClock();
    const script = new Map<number, unknown[]>([
      [1001, [serverError, new TypeError("fetch failed"), serverError]], // then succeeds
      [1002, Array(10).fill(serverError)], // never succeeds
      [1003, [blocked]],
      [1004, [{ error_code: 400, description: "Bad Request: message text is empty" }]],
    ]);
    const api = fakeSend(clock, script);
    const w = worker(api.send, {
      clock,
      backoffBaseMs: 1000,
      maxAttempts: 5,
      random: () => 0.5,
    });
    const job = await service.start({ ru: text("x") });
    w.start();
    const done = await untilDone(job.id);
    await w.stop();

    expect(done).toMatchObject({ total: 10, sent: 7, failed: 2, unsubscribed: 1 });
    const triesOf = (chat: number) => api.tries.filter((t) => t.chatId === chat).map((t) => t.at);
    const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] as number));
    // Back-off 1 s, 2 s, 4 s (jitter pinned to 1.0) — at least that long between tries.
    const recovered = gaps(triesOf(1001));
    expect(recovered).toHaveLength(3);
    for (const [i, gap] of recovered.entries()) expect(gap).toBeGreaterThanOrEqual(1000 * 2 ** i);
    expect(triesOf(1002)).toHaveLength(5); // maxAttempts, then failed
    expect(triesOf(1003)).toHaveLength(1);
    expect(triesOf(1004)).toHaveLength(1); // a 400 is not retried
    // The subscriber who blocked the bot is gone; the others stay.
    expect(await subscriptions.localeOf(1003)).toBeUndefined();
    expect(await subscriptions.localeOf(1002)).toBe("ru");
    expect(await subscriptions.countByLocale()).toEqual({ ru: 9 });
  });

  it("reports progress at most every interval, and a final report", async () => {
    await subscribe(100);
    const clock = virtualClock();
    const api = fakeSend(clock);
    const reports: (BroadcastProgress & { at: number })[] = [];
    const w = worker(api.send, { clock, ratePerSecond: 10, progressIntervalMs: 3000 }, (p) =>
      reports.push({ ...p, at: clock.now() }),
    );
    const job = await service.start({ ru: text("x") }, { chatId: 42, messageId: 7, locale: "en" });
    w.start();
    await untilDone(job.id);
    await w.stop();

    const running = reports.filter((r) => r.status === "running");
    expect(running.length).toBeGreaterThanOrEqual(2);
    const times = running.map((r) => r.at);
    for (const [i, t] of times.slice(1).entries()) {
      expect(t - (times[i] as number)).toBeGreaterThanOrEqual(3000);
    }
    for (const r of running) {
      expect(r.sent + r.remaining + r.failed + r.unsubscribed).toBe(100);
      expect(r.ratePerSecond).toBeGreaterThan(5);
      // Counted when outcomes are recorded (in groups of 2 here), so a window may hold a group
      // or two more or less: a busy database records a group late, into the next window.
      expect(r.ratePerSecond).toBeLessThanOrEqual(12);
    }
    expect(reports.at(-1)).toMatchObject({ status: "done", sent: 100, remaining: 0 });
  });

  it("two instances share one job without sending anyone twice, at the global rate", async () => {
    await subscribe(150);
    const clock = realClock;
    const a = fakeSend(clock);
    const b = fakeSend(clock);
    const options = { clock, ratePerSecond: 100, pollMs: 50 };
    const wa = worker(a.send, options);
    const wb = worker(b.send, options);
    const job = await service.start({ ru: text("x") });
    const started = Date.now();
    wa.start();
    wb.start();
    const done = await untilDone(job.id);
    const elapsed = Date.now() - started;
    await Promise.all([wa.stop(), wb.stop()]);

    expect(done).toMatchObject({ sent: 150 });
    const all = [...a.sent, ...b.sent];
    expect(perChat(all).size).toBe(150);
    expect([...perChat(all).values()].every((n) => n === 1)).toBe(true);
    expect(a.sent.length).toBeGreaterThan(0);
    expect(b.sent.length).toBeGreaterThan(0);
    // One clock for the job: together they keep to 100/s, not 200/s.
    expect(elapsed).toBeGreaterThanOrEqual(1300);
  });

  it("an instance that dies mid-batch: another takes its rows after the lease, none skipped", async () => {
    await subscribe(50);
    const clock = virtualClock();
    // Instance A sends a few, then its sends hang forever, like a process killed mid-request.
    let allowed = 8;
    const aTries: number[] = [];
    const aSend: SendMessage = (chatId) => {
      aTries.push(chatId);
      if (allowed-- > 0) return Promise.resolve();
      return new Promise(() => {});
    };
    const a = worker(aSend, { clock, ratePerSecond: 20, leaseMs: 15_000 });
    const job = await service.start({ ru: text("x") });
    a.start();
    // A launches its first two batches (20 each), then blocks on the first one's hung sends:
    // from then on it holds leased rows it will never settle.
    for (let i = 0; i < 1000 && aTries.length < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The 8 sends that went through are recorded (polled); the rest stay leased.
    let states = await repo.deliveryStates(job.id);
    for (let i = 0; i < 1000 && states.sent !== 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      states = await repo.deliveryStates(job.id);
    }
    expect(states.sent).toBe(8);
    expect(aTries).toHaveLength(40);
    const leased = states.sending ?? 0;
    expect(leased).toBe(32);

    // Instance B (another process on PostgreSQL) cannot know A died: it waits for the lease.
    const clockB = virtualClock(clock.now());
    const b = fakeSend(clockB);
    const wb = worker(b.send, { clock: clockB, ratePerSecond: 20, leaseMs: 15_000 });
    wb.start();
    const done = await untilDone(job.id);
    await wb.stop();

    expect(done.status).toBe("done");
    const received = perChat([...aTries.map((chatId) => ({ chatId, text: "", at: 0 })), ...b.sent]);
    expect(received.size).toBe(50); // nobody skipped
    const duplicates = [...received.values()].reduce((n, c) => n + c - 1, 0);
    expect(duplicates).toBeLessThanOrEqual(leased); // only what was in flight at the "crash"
    // B took A's rows only once their lease ran out.
    const firstTakeover = Math.min(
      ...b.sent.filter((s) => aTries.includes(s.chatId)).map((s) => s.at),
    );
    expect(firstTakeover - T0).toBeGreaterThanOrEqual(15_000);
  });

  it("an exclusive instance (embedded database) takes leftover leases at once", async () => {
    await subscribe(20);
    const clock = virtualClock();
    const job = await service.start({ ru: text("x") });
    // A claim by a process that then died.
    await repo.claim({
      broadcastId: job.id,
      limit: 20,
      now: new Date(clock.now()),
      intervalMs: 50,
      leaseMs: 3_600_000,
    });
    expect((await repo.deliveryStates(job.id)).sending).toBe(20);
    const api = fakeSend(clock);
    const w = worker(api.send, { clock, exclusive: true });
    w.start();
    const done = await untilDone(job.id);
    await w.stop();
    expect(done).toMatchObject({ sent: 20 });
    expect(Math.max(...api.sent.map((s) => s.at)) - T0).toBeLessThan(60_000);
  });

  it("stops gracefully: sends in flight finish, the rest go back to the queue", async () => {
    await subscribe(60);
    const clock = realClock;
    const api = fakeSend(clock);
    const w = worker(api.send, { clock, ratePerSecond: 40 });
    const job = await service.start({ ru: text("x") });
    w.start();
    while (api.sent.length < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    await w.stop();
    const states = await repo.deliveryStates(job.id);
    expect(states.sending ?? 0).toBe(0); // nothing left leased
    expect(states.sent).toBe(api.sent.length);
    expect(states.pending).toBe(60 - api.sent.length);
    expect((await repo.find(job.id))?.sent).toBe(api.sent.length);

    // A cancelled job stops; its rows go, its counts stay.
    const cancelled = await service.cancel();
    expect(cancelled).toMatchObject({ status: "cancelled", sent: api.sent.length });
    expect(await repo.deliveryStates(job.id)).toEqual({});
  });
});
