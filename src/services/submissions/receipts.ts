// What the bot holds in memory, and nowhere else, around a submission: the codename just issued
// (so "show it again" and the typed-back check work for a few minutes), who is expected to type a
// codename next, and each source's submissions of the day.
import { ExpiringMap, HOUR, RateLimiter } from "../sources/limits.js";

export interface ReceiptMemo {
  codename: string;
  finalMessageId: number;
  /** The final message as sent (HTML), so the check can add to it without losing a note. */
  finalText: string;
}

export type Receipts = ExpiringMap<ReceiptMemo>;
export const createReceipts = (): Receipts => new ExpiringMap<ReceiptMemo>(15 * 60_000);

export interface CodenameWait {
  /** "check": the receipt's typed-back check; "open": a codename to look up. */
  mode: "check" | "open";
  /** The prompt, the /codename command and "not found" answers: deleted once the codename is in. */
  messageIds: number[];
}

/** Who is expected to type a codename next (safety deletes what they type, flood or not). */
export type CodenameWaits = ExpiringMap<CodenameWait>;
export const createCodenameWaits = (): CodenameWaits => new ExpiringMap<CodenameWait>(10 * 60_000);

/** Submissions per source per day: checked when an interview starts, counted at submit. */
export const createSubmissionLimiter = (perDay: number): RateLimiter =>
  new RateLimiter(perDay, 24 * HOUR);
