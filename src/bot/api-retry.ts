// Bot API calls ride out a storm: a 429 waits what Telegram asks (plus a little jitter, so the
// calls that waited do not all come back in the same instant), a 5xx or a network failure backs
// off exponentially with full jitter, all within a bounded total time. A call that still fails
// then throws as usual, and the update is tried again (update-retry.ts). Replaces auto-retry's
// fixed count of attempts: under 20% of 5xx, four tries fail about once in 600 calls.
import { HttpError, type Transformer } from "grammy";

export interface ApiRetryOptions {
  /** The longest a call keeps trying, waits included. */
  totalMs: number;
  /** First backoff after a 5xx or network failure; it doubles up to capMs. */
  baseMs: number;
  capMs: number;
}

export const API_RETRY: ApiRetryOptions = { totalMs: 60_000, baseMs: 250, capMs: 5_000 };

/** Full jitter: anywhere between nothing and the exponential step. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/** What a 429 asks for, and up to a quarter of it more (at most a second). */
function retryAfterMs(seconds: number): number {
  return seconds * 1000 + Math.random() * Math.min(1000, seconds * 250);
}

export function apiRetry(options: ApiRetryOptions = API_RETRY): Transformer {
  return async (prev, method, payload, signal) => {
    const deadline = Date.now() + options.totalMs;
    for (let attempt = 0; ; attempt++) {
      let result: Awaited<ReturnType<typeof prev>>;
      try {
        result = await prev(method, payload, signal);
      } catch (error) {
        if (!(error instanceof HttpError) || signal?.aborted) throw error;
        const wait = backoffMs(attempt, options.baseMs, options.capMs);
        if (Date.now() + wait > deadline) throw error;
        await pause(wait, signal);
        continue;
      }
      if (result.ok) return result;
      const retryAfter = result.parameters?.retry_after;
      let wait: number;
      if (typeof retryAfter === "number") wait = retryAfterMs(retryAfter);
      else if (result.error_code >= 500) wait = backoffMs(attempt, options.baseMs, options.capMs);
      else return result;
      if (Date.now() + wait > deadline) return result;
      await pause(wait, signal);
    }
  };
}

/**
 * Answering a button press is a courtesy: a query already answered (its update is being handled
 * again) or too old to answer must not fail the update that carries it.
 */
export const lenientCallbackAnswers: Transformer = async (prev, method, payload, signal) => {
  const result = await prev(method, payload, signal);
  if (method !== "answerCallbackQuery" || result.ok || result.error_code !== 400) return result;
  return { ok: true, result: true } as unknown as typeof result;
};

/** grammY's signal (its own AbortSignal type, from a polyfill's declarations). */
interface Abortable {
  addEventListener(type: "abort", listener: () => void, options?: { once: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

function pause(ms: number, signal?: Abortable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener("abort", abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(new Error("Bot API call aborted while waiting to retry"));
    };
    signal?.addEventListener("abort", abort, { once: true });
  });
}
