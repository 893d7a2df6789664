// How one delivery of a broadcast failed, read from the Bot API's error by its shape (no grammY):
// 429 pauses the whole job, 403 means the subscriber is gone, 5xx and network errors are tried
// again after a back-off, anything else is final. Per recipient, unlike src/faults.ts, which sorts
// an update's errors into "try again" or not.

export type SendFailure =
  | { kind: "rate-limited"; retryAfterSeconds: number }
  | { kind: "gone" }
  | { kind: "transient" }
  | { kind: "permanent" };

/** Reads a Bot API error by its shape; anything without an error code is a network error. */
export function classifyFailure(error: unknown): SendFailure {
  const e = (error ?? {}) as {
    error_code?: unknown;
    description?: unknown;
    parameters?: { retry_after?: unknown };
  };
  if (typeof e.error_code !== "number") return { kind: "transient" };
  const code = e.error_code;
  const description = typeof e.description === "string" ? e.description : "";
  if (code === 429) {
    const retryAfter = Number(e.parameters?.retry_after);
    return { kind: "rate-limited", retryAfterSeconds: retryAfter > 0 ? retryAfter : 1 };
  }
  // Blocked the bot, deleted or deactivated account, or a chat that no longer exists.
  if (code === 403) return { kind: "gone" };
  if (code === 400 && /chat not found|user is deactivated|PEER_ID_INVALID/i.test(description)) {
    return { kind: "gone" };
  }
  if (code >= 500) return { kind: "transient" };
  return { kind: "permanent" };
}

/** Exponential back-off with ±20% jitter: base, 2×base, 4×base… capped at max. */
export function backoffDelay(
  failuresSoFar: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const plain = Math.min(maxMs, baseMs * 2 ** failuresSoFar);
  return Math.round(plain * (0.8 + 0.4 * random()));
}

/** Messages per batch: about `batchSeconds` worth at the rate, at most 100 rows per claim. */
