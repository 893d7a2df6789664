// The broadcast worker: claims a batch of a running job, sends it at the configured global rate
// through a plain `send(chatId, message)` given by the bot layer, records the outcomes in small
// groups, and keeps the admin's progress message up to date. The job itself and its rows are
// broadcast.ts and storage/broadcasts.repo.ts; how a send failed, broadcast-failures.ts.
import type { AuditRepository } from "../../storage/audit.repo.js";
import type {
  BroadcastRow,
  BroadcastsRepository,
  ClaimedDelivery,
  Settlement,
} from "../../storage/broadcasts.repo.js";
import type { Locale } from "../locale.js";
import type { Sealer } from "../sources/sealing.js";
import {
  type BroadcastMessages,
  batchSize,
  messageFor,
  parseMessages,
  progressTargetOf,
  type ReportProgress,
  type SendMessage,
  summaryOf,
} from "./broadcast.js";
import { backoffDelay, classifyFailure } from "./broadcast-failures.js";
import type { SubscriptionsService } from "./subscriptions.js";

export interface Clock {
  now(): number;
  /** Resolves after ms, or early when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

export interface BroadcastWorkerOptions {
  ratePerSecond: number;
  defaultLocale: Locale;
  /** Beyond its send window, how long a claimed row stays reserved for this instance. */
  leaseMs?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How often an idle worker looks for jobs created by other instances. */
  pollMs?: number;
  progressIntervalMs?: number;
  /**
   * This process is the only one using the database (embedded PGlite): leases left by a crash
   * are released at start instead of waiting for them to run out.
   */
  exclusive?: boolean;
  clock?: Clock;
  random?: () => number;
}

export interface BroadcastWorkerDeps {
  repo: BroadcastsRepository;
  subscriptions: SubscriptionsService;
  sealer: Sealer;
  send: SendMessage;
  report?: ReportProgress;
  audit?: AuditRepository;
  /** Error class names only, never payloads (see logger.ts). */
  onError?: (error: unknown) => void;
}

/**
 * Defaults: a lease of 15 s covers the sender's 10 s request timeout; five attempts with back-off
 * 2 s, 4 s, 8 s, 16 s span half a minute of Telegram trouble.
 */
export const WORKER_DEFAULTS = {
  leaseMs: 15_000,
  maxAttempts: 5,
  backoffBaseMs: 2_000,
  backoffMaxMs: 60_000,
  pollMs: 2_000,
  progressIntervalMs: 3_000,
};

class Outcome implements Settlement {
  sent: number[] = [];
  failed: number[] = [];
  gone: { deliveryId: number; subscriberId: string }[] = [];
  retry: { deliveryId: number; notBefore: Date }[] = [];
  released: number[] = [];
}

interface ReportState {
  broadcastId: number;
  lastAt: number;
  sentSince: number;
}

export function createBroadcastWorker(deps: BroadcastWorkerDeps, options: BroadcastWorkerOptions) {
  const o = { ...WORKER_DEFAULTS, ...options };
  const clock = o.clock ?? realClock;
  const random = o.random ?? Math.random;
  const onError = (error: unknown) => deps.onError?.(error);
  const intervalMs = 1000 / o.ratePerSecond;
  const limit = batchSize(o.ratePerSecond);
  const windowMs = limit * intervalMs;
  /** About 200 ms of sends are recorded together. */
  const settleGroup = Math.max(1, Math.round(o.ratePerSecond / 5));

  let stopping = false;
  let stopController = new AbortController();
  /** Aborted by wake() and stop(): ends an idle wait early. */
  let interrupt = new AbortController();
  let loop: Promise<void> | undefined;
  /** The previous batch, settling while the next one is sent. */
  let settling: Promise<void> = Promise.resolve();
  /** Telegram's retry_after as this instance last heard it. */
  let pausedUntil = 0;
  let reportState: ReportState | undefined;
  let reporting: Promise<void> | undefined;
  /** Times the worker found no job to run with its last batch settled: nothing more goes out. */
  let quietTurns = 0;

  const idle = async (ms: number) => {
    await clock.sleep(ms, interrupt.signal);
    if (interrupt.signal.aborted && !stopping) interrupt = new AbortController();
  };

  async function run(): Promise<void> {
    if (o.exclusive) await deps.repo.releaseAllLeases().catch(onError);
    while (!stopping) {
      try {
        await step();
      } catch (error) {
        onError(error);
        await idle(o.pollMs);
      }
    }
    await settling;
    await reporting;
  }

  async function step(): Promise<void> {
    const job = await deps.repo.nextRunning();
    if (!job) {
      await settling;
      quietTurns++;
      await idle(o.pollMs);
      return;
    }
    const now = clock.now();
    if (reportState?.broadcastId !== job.id) {
      reportState = { broadcastId: job.id, lastAt: now, sentSince: 0 };
    }
    const gate = Math.max(job.pausedUntil?.getTime() ?? 0, pausedUntil);
    if (gate - now > windowMs) {
      maybeReport(job.id);
      await clock.sleep(Math.min(gate - now - windowMs, o.pollMs), stopController.signal);
      return;
    }
    const claim = await deps.repo.claim({
      broadcastId: job.id,
      limit,
      now: new Date(now),
      intervalMs,
      leaseMs: o.leaseMs,
    });
    if (!claim) return; // cancelled meanwhile
    if (claim.items.length === 0) return finishOrWait(job.id);
    await sendBatch(job, claim.start.getTime(), claim.items);
  }

  async function finishOrWait(broadcastId: number): Promise<void> {
    // Our own previous batch may still hold rows: let it settle before deciding.
    await settling;
    const done = await deps.repo.finishIfComplete(broadcastId);
    if (done) {
      await deps.audit?.record({
        action: "broadcast-done",
        submissionNumber: null,
        detail: `broadcast=${done.id} total=${done.total} sent=${done.sent} failed=${done.failed} unsubscribed=${done.unsubscribed}`,
        actorHash: null,
        day: new Date(clock.now()).toISOString().slice(0, 10),
      });
      await reporting; // a periodic report must not land after the final one
      await report(done, 0);
      return;
    }
    // Rows in back-off, or leased by another instance: look again when the first is due.
    const due = await deps.repo.nextDue(broadcastId);
    const wait = due ? due.getTime() - clock.now() : 0;
    await clock.sleep(Math.max(20, Math.min(wait, o.pollMs)), stopController.signal);
  }

  async function sendBatch(job: BroadcastRow, start: number, items: ClaimedDelivery[]) {
    const messages = parseMessages(job.messages);
    const previousBatch = settling;
    let outcome = new Outcome();
    let sends: Promise<void>[] = [];
    // Outcomes are recorded in small groups as they come back, so a crash repeats at most the
    // last fraction of a second of sends, not a whole batch.
    const record = () => {
      if (sends.length === 0 && outcome.released.length === 0) return;
      const [group, done] = [outcome, Promise.allSettled(sends)];
      outcome = new Outcome();
      sends = [];
      const before = settling;
      settling = done
        .then(() => before)
        .then(async () => {
          await settle(job.id, group);
          if (reportState?.broadcastId === job.id) reportState.sentSince += group.sent.length;
          maybeReport(job.id);
        })
        .catch(onError);
    };
    for (const [i, item] of items.entries()) {
      const wait = start + i * intervalMs - clock.now();
      if (wait > 0) await clock.sleep(wait, stopController.signal);
      if (stopping || pausedUntil > clock.now()) {
        outcome.released.push(...items.slice(i).map((it) => it.deliveryId));
        break;
      }
      sends.push(deliver(job.id, messages, item, outcome));
      if (sends.length >= settleGroup) record();
    }
    record();
    // At most two batches at once: this one in flight, the previous one recorded.
    await previousBatch;
  }

  /**
   * Records a group's outcome, trying again briefly if the database hiccups: an outcome that is
   * not recorded means those messages go out again once their lease runs out.
   */
  async function settle(broadcastId: number, group: Outcome): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.repo.settle(broadcastId, group);
        return;
      } catch (error) {
        if (attempt >= 3) throw error;
        await clock.sleep(200 * attempt);
      }
    }
  }

  async function deliver(
    broadcastId: number,
    messages: BroadcastMessages,
    item: ClaimedDelivery,
    outcome: Outcome,
  ): Promise<void> {
    const { deliveryId, subscriberId } = item;
    if (!item.sealedChatId) {
      outcome.gone.push({ deliveryId, subscriberId }); // unsubscribed after the job began
      return;
    }
    const message = messageFor(messages, item.locale, o.defaultLocale);
    let chatId: number;
    try {
      chatId = deps.subscriptions.chatIdOf(item.sealedChatId);
    } catch (error) {
      onError(error); // sealed with another server key
      outcome.failed.push(deliveryId);
      return;
    }
    if (!message) {
      outcome.failed.push(deliveryId);
      return;
    }
    try {
      await deps.send(chatId, message);
      outcome.sent.push(deliveryId);
    } catch (error) {
      const failure = classifyFailure(error);
      switch (failure.kind) {
        case "rate-limited": {
          const until = clock.now() + failure.retryAfterSeconds * 1000;
          pausedUntil = Math.max(pausedUntil, until);
          outcome.released.push(deliveryId);
          await deps.repo.pause(broadcastId, new Date(until)).catch(onError);
          return;
        }
        case "gone":
          outcome.gone.push({ deliveryId, subscriberId });
          return;
        case "transient":
          if (item.attempts + 1 >= o.maxAttempts) {
            outcome.failed.push(deliveryId);
            return;
          }
          outcome.retry.push({
            deliveryId,
            notBefore: new Date(
              clock.now() + backoffDelay(item.attempts, o.backoffBaseMs, o.backoffMaxMs, random),
            ),
          });
          return;
        case "permanent":
          outcome.failed.push(deliveryId);
          return;
      }
    }
  }

  /**
   * Starts a progress report if the last one is at least progressIntervalMs old. Not awaited by
   * the send loop: a slow edit must not hold up delivery. One at a time.
   */
  function maybeReport(broadcastId: number): void {
    const state = reportState;
    if (!deps.report || reporting || state?.broadcastId !== broadcastId) return;
    if (clock.now() - state.lastAt < o.progressIntervalMs) return;
    reporting = (async () => {
      const job = await deps.repo.withRemaining(broadcastId);
      if (job?.status !== "running") return;
      const now = clock.now();
      const rate = (state.sentSince * 1000) / Math.max(1, now - state.lastAt);
      state.lastAt = now;
      state.sentSince = 0;
      await report(job, job.remaining, rate);
    })()
      .catch(onError)
      .finally(() => {
        reporting = undefined;
      });
  }

  async function report(job: BroadcastRow, remaining: number, rate?: number): Promise<void> {
    if (!deps.report) return;
    const target = progressTargetOf(deps.sealer, job);
    if (!target) return;
    await deps
      .report(target, {
        ...summaryOf(job, remaining, pausedUntil > clock.now() ? new Date(pausedUntil) : undefined),
        ratePerSecond: rate === undefined ? undefined : Math.round(rate * 10) / 10,
      })
      .catch(onError);
  }

  return {
    start(): void {
      if (loop) return;
      stopping = false;
      stopController = new AbortController();
      interrupt = new AbortController();
      loop = run();
    },
    /** Stops claiming, lets messages in flight finish, hands unsent rows back. */
    async stop(): Promise<void> {
      stopping = true;
      stopController.abort();
      interrupt.abort();
      await loop;
      loop = undefined;
    },
    /** A job was created here: look now instead of at the next poll. */
    wake(): void {
      interrupt.abort();
    },
    get running(): boolean {
      return loop !== undefined && !stopping;
    },
    /** Grows each time the worker finds nothing to send, its sends settled (after a cancel, say). */
    get quietTurns(): number {
      return quietTurns;
    },
  };
}

export type BroadcastWorker = ReturnType<typeof createBroadcastWorker>;
