// Admission: what happens to a private update before its source's key exists. A key costs a
// memory-hard derivation (services/sources/keys.ts), queued in services/sources/derivation-queue.ts; this
// step decides who waits for one, who is answered without one, and who is told to wait.
// - The key is in memory (someone in an interview): nothing to decide, the update goes on.
// - An answer that needs no draft (/start, the briefing's buttons, /help, /privacy, /language,
//   subscriptions, the codename prompt) is given at once from memory, and the derivation starts
//   in the background, so the key is usually ready when the person presses Begin. Someone whose
//   draft exists but whose key is not in memory (after a restart) gets the briefing for /start;
//   Begin resumes their draft, and that may wait for the derivation (~100 ms, and at most the
//   sources queued before them: `npm run bench -- admission` measures it).
// - Begin, pressed by someone with no draft known here before their key exists, goes on at once:
//   the interview shows its first question from memory and stores the draft once the key is
//   there (features/interview.ts), so a crowd's derivations have the time the first question is
//   read in too. Their derivation moves ahead of every newcomer's.
// - Anything else needs the key: a source (an interview button, a known draft, /forget, an
//   admin) queues ahead of every newcomer and is never turned away; a newcomer queues while the
//   line has room, and otherwise hears once that many people are writing (those notices go out
//   at a steady pace, and one not sent by the time the answer comes is dropped), and the update
//   is handled, in order with their later ones, as soon as the line has room again.
// Before any of that, a token bucket per id (in this process's memory only, never written) keeps
// one account from sending more than a source ever would while its key does not exist.
import type { Context } from "grammy";
import type { Update } from "grammy/types";
import type { DerivationPriority, DerivationQueue } from "../services/sources/derivation-queue.js";
import type { SourceKeys } from "../services/sources/keys.js";
import type { BotContext } from "./context.js";
import { interviewButtons } from "./interview-view.js";
import { createNoticeLine } from "./notice-line.js";

/** Commands answered without a draft (the interview adds nothing to them but the chat record). */
const FROM_MEMORY_COMMANDS = new Set([
  "start",
  "help",
  "privacy",
  "language",
  "subscribe",
  "unsubscribe",
  "guidance",
  "codename",
]);

/** Buttons of the interview: only someone who was in one has them. */
const INTERVIEW_BUTTON = /^iv:/;

/**
 * Updates of one id before its key exists: a burst of 20 (an album of 10 photos and a few
 * words), then one every 1.5 s (40 a minute, the flood limit's default).
 */
export const ADMISSION_BURST = 20;
export const ADMISSION_PER_MINUTE = 40;
/** Newcomers whose updates wait for room in the line (beyond it they are asked to send later). */
export const WAITING_IDS_MAX = 10_000;
/**
 * "Many people are writing" notices a second: a third of what Telegram lets a bot send in all,
 * so a crowd's notices never hold back a source's next question.
 */
export const BUSY_NOTICES_PER_SECOND = 10;

const MINUTE = 60_000;

export interface Admission {
  middleware: (ctx: BotContext, next: () => Promise<void>) => Promise<void>;
  /** Whether this update was let through to be answered without its draft. */
  answeredFromMemory(ctx: Context): boolean;
  /**
   * Whether this update is a Begin let through before its source's key exists (no draft known
   * here): the first question may be shown before the draft is stored.
   */
  beginsBeforeKey(ctx: Context): boolean;
  /** Newcomers told to wait whose updates are not all handled yet (tests, benchmarks). */
  readonly waiting: number;
}

export function createAdmission(deps: {
  keys: Pick<SourceKeys, "get" | "peek" | "pending" | "holdsDraft">;
  queue: Pick<DerivationQueue, "hasRoom" | "whenRoom">;
  /** Handles an update again once its source's key exists (bot.handleUpdate). */
  replay: (update: Update) => Promise<void>;
  /** Someone the bot is in the middle of something with (a codename it asked for, an admin). */
  isExpected?: (ctx: BotContext) => boolean;
  /**
   * The bot asked this person to type a codename (the receipt's check, or /codename): their next
   * text needs no draft and so no key.
   */
  awaitsCodename?: (ctx: BotContext) => boolean;
  burst?: number;
  perMinute?: number;
  waitingIdsMax?: number;
  busyNoticesPerSecond?: number;
  onError?: (error: unknown) => void;
  now?: () => number;
}): Admission {
  const now = deps.now ?? Date.now;
  const burst = deps.burst ?? ADMISSION_BURST;
  const perMs = (deps.perMinute ?? ADMISSION_PER_MINUTE) / MINUTE;
  const waitingIdsMax = deps.waitingIdsMax ?? WAITING_IDS_MAX;
  const fromMemory = new WeakSet<Context>();
  const beginning = new WeakSet<Context>();
  const buckets = new Map<number, { tokens: number; at: number }>();
  /** Told "slow down" at this time (once a minute). */
  const slowedDown = new Map<number, number>();
  /** Newcomers waiting for room in the line: their updates, in order. */
  const waiting = new Map<number, Update[]>();
  /** Newcomers told to wait whose updates are not all handled yet. */
  let unfinished = 0;
  const busyNotices = createNoticeLine({
    perSecond: deps.busyNoticesPerSecond ?? BUSY_NOTICES_PER_SECOND,
    onError: deps.onError,
  });

  const take = (userId: number): boolean => {
    const time = now();
    const bucket = buckets.get(userId) ?? { tokens: burst, at: time };
    bucket.tokens = Math.min(burst, bucket.tokens + (time - bucket.at) * perMs);
    bucket.at = time;
    buckets.delete(userId);
    buckets.set(userId, bucket);
    if (buckets.size > waitingIdsMax) prune(time);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };
  /** Buckets that are full again say nothing: they go (oldest first in Map order). */
  const prune = (time: number) => {
    for (const [id, bucket] of buckets) {
      if (bucket.tokens + (time - bucket.at) * perMs >= burst) buckets.delete(id);
    }
    for (const [id, at] of slowedDown) if (time - at >= MINUTE) slowedDown.delete(id);
  };

  const kindOf = (ctx: BotContext, userId: number): "memory" | "begin" | DerivationPriority => {
    // Known to hold a draft: even /start resumes it, as with the key in memory.
    if (deps.keys.holdsDraft(userId)) return "source";
    const data = ctx.callbackQuery?.data;
    if (data !== undefined && interviewButtons.begin.filter.test(data)) return "begin";
    if (data !== undefined) return INTERVIEW_BUTTON.test(data) ? "source" : "memory";
    const command = ctx.message?.text?.match(/^\/(\w+)(@\w+)?(\s|$)/)?.[1];
    if (command === "forget") return "source";
    if (command && FROM_MEMORY_COMMANDS.has(command)) return "memory";
    return deps.isExpected?.(ctx) ? "source" : "newcomer";
  };

  /** Derives the key once the line has room, then handles the waiting updates in order. */
  const serveLater = async (userId: number) => {
    while (!deps.queue.hasRoom()) await deps.queue.whenRoom();
    try {
      await deps.keys.get(userId, "newcomer");
    } catch (error) {
      deps.onError?.(error);
    }
    const updates = waiting.get(userId) ?? [];
    waiting.delete(userId);
    // Their answer comes now: a notice still in line would only come after it.
    busyNotices.drop(userId);
    // Started in order, so the per-chat sequencing keeps them in order.
    await Promise.all(
      updates.map((update) => deps.replay(update).catch((error) => deps.onError?.(error))),
    );
    unfinished--;
  };

  return {
    async middleware(ctx, next) {
      const userId = ctx.chat?.type === "private" ? ctx.from?.id : undefined;
      if (userId === undefined || deps.keys.peek(userId)) return next();
      const later = waiting.get(userId);
      // A codename typed when asked for is checked against memory or its slow hash, never
      // against a draft: nothing to derive for it (a source mid-interview has its key already).
      if (
        !later &&
        ctx.message?.text &&
        !deps.keys.holdsDraft(userId) &&
        deps.awaitsCodename?.(ctx)
      ) {
        if (!take(userId)) return slowDown(ctx, userId);
        fromMemory.add(ctx);
        return next();
      }
      const kind = kindOf(ctx, userId);
      // A source's panic exit and Begin are never held back; anything else keeps its place
      // behind the updates already waiting.
      if (later && kind !== "source" && kind !== "begin") {
        if (take(userId)) later.push(ctx.update);
        else await slowDown(ctx, userId);
        return;
      }
      if (kind !== "source" && !take(userId)) return slowDown(ctx, userId);
      if (kind === "begin") {
        beginning.add(ctx);
        deps.keys.get(userId, "source").catch(() => {});
        return next();
      }
      if (kind === "memory") {
        fromMemory.add(ctx);
        // Prefetch: by the time they press Begin the key is usually there. Only with room in the
        // line, so a crowd's prefetches never push a newcomer who typed something out of it.
        if (!deps.keys.pending(userId) && deps.queue.hasRoom()) {
          deps.keys.get(userId, "newcomer").catch(() => {});
        }
        return next();
      }
      if (kind === "source" || deps.keys.pending(userId) || deps.queue.hasRoom()) {
        await deps.keys.get(userId, kind);
        return next();
      }
      if (waiting.size >= waitingIdsMax) {
        // More people waiting than this process keeps updates for: said so, nothing kept.
        await ctx.reply(ctx.t("admission-send-later"));
        return;
      }
      waiting.set(userId, [ctx.update]);
      unfinished++;
      const text = ctx.t("admission-busy");
      busyNotices.add(userId, () => ctx.reply(text));
      void serveLater(userId);
    },
    answeredFromMemory: (ctx) => fromMemory.has(ctx),
    beginsBeforeKey: (ctx) => beginning.has(ctx),
    get waiting() {
      return unfinished;
    },
  };

  async function slowDown(ctx: BotContext, userId: number) {
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery({ text: ctx.t("safety-slow-down"), show_alert: true });
      return;
    }
    const told = slowedDown.get(userId);
    if (told !== undefined && now() - told < MINUTE) return;
    slowedDown.set(userId, now());
    await ctx.reply(ctx.t("safety-slow-down"));
  }
}
