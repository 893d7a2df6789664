// An update that failed for a reason that passes (the database restarting, Telegram's API in a
// storm: faults.ts) is handled again, not dropped. In webhook mode, while Telegram still waits
// for the answer, it is answered with an error so Telegram delivers it again; otherwise (long
// polling, or a webhook update already answered) it is tried again here, with backoff, for a
// bounded time. Each try starts from what is stored: the draft session wrote nothing of the
// failed one, and an answer already stored is recognised by the draft's recent update ids.
import { BotError, type WebhookReplyEnvelope } from "grammy";
import type { Update } from "grammy/types";
import { classify, type Fault } from "../faults.js";
import type { Logger } from "../logger.js";
import { backoffMs } from "./api-retry.js";

export interface UpdateRetryOptions {
  /** The longest an update keeps being tried, waits included. */
  totalMs: number;
  baseMs: number;
  capMs: number;
}

export const UPDATE_RETRY: UpdateRetryOptions = { totalMs: 60_000, baseMs: 500, capMs: 8_000 };

/** The webhook's envelope may say that Telegram can still be asked to deliver the update again. */
export interface RedeliveryEnvelope extends WebhookReplyEnvelope {
  redeliverable?: () => boolean;
}

/**
 * How long updates must go on with no failure before the database counts as back. Long enough
 * to cover a pooled connection that breaks only when next used, or times out connecting (10 s).
 */
const QUIET_MS = 15_000;

/**
 * One line when the database (or Telegram) goes away and one when it is back, however many
 * updates fail in between. "Back" waits for a quiet moment: while a restarted server comes up,
 * a success on a new connection and a failure on an old one alternate for a while.
 */
export function createOutageLog(logger: Logger, quietMs = QUIET_MS) {
  const down = new Map<string, { fault: Fault; lastFailure: number }>();
  let check: NodeJS.Timeout | undefined;
  const name = (who: string) => (who === "telegram" ? "Telegram" : "database");
  const reportBack = () => {
    check = undefined;
    for (const [who, { fault, lastFailure }] of down) {
      if (Date.now() - lastFailure < quietMs) continue;
      logger.info({ source: who, code: fault.code }, `${name(who)} reachable again`);
      down.delete(who);
    }
    // A failure came after the success: look again once it is as old as quietMs.
    if (down.size > 0) {
      check = setTimeout(reportBack, quietMs);
      check.unref();
    }
  };
  return {
    failed(fault: Fault) {
      if (!fault.unreachable) return;
      const who = fault.source ?? "database";
      const known = down.get(who);
      if (known) {
        known.lastFailure = Date.now();
        return;
      }
      down.set(who, { fault, lastFailure: Date.now() });
      const code = fault.code ?? "network error";
      logger.warn(
        { source: who, code, class: fault.class },
        `${name(who)} unreachable: ${code} (retrying)`,
      );
    },
    succeeded() {
      if (down.size === 0 || check) return;
      check = setTimeout(reportBack, quietMs);
      check.unref();
    },
  };
}

export type OutageLog = ReturnType<typeof createOutageLog>;

/**
 * bot.handleUpdate (which long polling and the webhook both call) with the retries; a failure
 * that will not pass, or the last one, is thrown as before.
 */
export function handleWithRetries(
  handle: (update: Update, envelope?: WebhookReplyEnvelope) => Promise<void>,
  deps: { outages: OutageLog; logger: Logger; options?: UpdateRetryOptions },
) {
  const options = deps.options ?? UPDATE_RETRY;
  // One chat's updates are handled in order, retries included: a later update waits until the
  // one before it succeeded or was given up. Otherwise a press on a question the failed update
  // had shown would arrive before the interview it started was stored, and find nothing.
  const tails = new Map<number, Promise<void>>();
  const inOrder = (update: Update, envelope?: RedeliveryEnvelope): Promise<void> => {
    const chat = chatOf(update);
    if (chat === undefined) return withRetries(update, envelope);
    const mine = (tails.get(chat) ?? Promise.resolve()).then(() => withRetries(update, envelope));
    const tail = mine.catch(() => {});
    tails.set(chat, tail);
    void tail.then(() => {
      if (tails.get(chat) === tail) tails.delete(chat);
    });
    return mine;
  };
  const withRetries = async (update: Update, envelope?: RedeliveryEnvelope): Promise<void> => {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await handle(update, envelope);
        deps.outages.succeeded();
        return;
      } catch (error) {
        const fault = classify(error instanceof BotError ? error.error : error);
        if (fault.class !== "transient") throw error;
        deps.outages.failed(fault);
        // Telegram delivers it again (to this instance or another).
        if (envelope?.redeliverable?.()) throw error;
        const wait = backoffMs(attempt, options.baseMs, options.capMs) + options.baseMs;
        if (Date.now() - started + wait > options.totalMs) throw error;
        deps.logger.debug(
          { updateId: update.update_id, code: fault.code, attempt: attempt + 1 },
          "update failed; retrying",
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };
  return inOrder;
}

/** The chat an update belongs to, as grammY's ctx.chat finds it. */
function chatOf(update: Update): number | undefined {
  const { update_id: _, ...rest } = update;
  const payload = Object.values(rest)[0] as
    | { chat?: { id: number }; message?: { chat?: { id: number } } }
    | undefined;
  return payload?.chat?.id ?? payload?.message?.chat?.id;
}
