// Abuse limits per source. In memory (one instance, or where nothing may be kept: submissions
// per day), keyed by a fast keyed hash that never leaves the process; or, with several
// instances on one PostgreSQL, counted in rate_limits under a memory-hard key of their own per
// purpose, in rows that go once their window is over (flood: a minute; wrong codenames: an
// hour). A restart resets the in-memory ones, which errs on the side of the source.
import type { RateLimitsRepository } from "../../storage/rate-limits.repo.js";
import type { SharedLimitPurpose, SourceKeys } from "./keys.js";
import { hashTelegramId } from "./sealing.js";

export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether one more hit would be within the limit, without recording it. */
  check(key: string): boolean {
    const since = this.now() - this.windowMs;
    return (this.hits.get(key) ?? []).filter((time) => time > since).length < this.limit;
  }

  /** Records a hit and says whether it is within the limit. */
  take(key: string): boolean {
    const since = this.now() - this.windowMs;
    const recent = (this.hits.get(key) ?? []).filter((time) => time > since);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(this.now());
    this.hits.set(key, recent);
    if (this.hits.size > 10_000) this.prune(since);
    return true;
  }

  private prune(since: number) {
    for (const [key, times] of this.hits) {
      if (times.every((time) => time <= since)) this.hits.delete(key);
    }
  }
}

/** The longest wait one setTimeout can take (about 24.8 days); longer ones are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A map whose entries go on time whether or not anyone reads them again: receipts, codename
 * sessions, reply-notice chats, wizards' state. One timer per entry, unref'd so it never keeps
 * the process alive; `now` only decides whether a timer that fired is early (a long lifetime).
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<
    string,
    { value: V; expires: number; timer: ReturnType<typeof setTimeout> }
  >();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    this.delete(key);
    this.entries.set(key, {
      value,
      expires: this.now() + this.ttlMs,
      timer: this.schedule(key, this.ttlMs),
    });
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry) clearTimeout(entry.timer);
    this.entries.delete(key);
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.delete(key);
  }

  private schedule(key: string, delay: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.expire(key), Math.min(Math.max(delay, 0), MAX_TIMER_MS));
    timer.unref?.();
    return timer;
  }

  private expire(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    const left = entry.expires - this.now();
    if (left > 0) entry.timer = this.schedule(key, left);
    else this.entries.delete(key);
  }
}

/** A limit on one source's hits: at most so many in a window. */
export interface SourceLimit {
  /** Whether one more hit would be within the limit, without recording it. */
  check(userId: number): Promise<boolean>;
  /** Records a hit if it is within the limit, and says whether it was. */
  take(userId: number): Promise<boolean>;
}

export interface LimitRule {
  limit: number;
  windowMs: number;
}

/** Kept in this process's memory: a sliding window over the hits' times. */
export function memoryLimit(rule: LimitRule, pepper: Uint8Array, now?: () => number): SourceLimit {
  const limiter = new RateLimiter(rule.limit, rule.windowMs, now);
  // Never stored: a fast hash of an id can be reversed by whoever has the pepper.
  const keyOf = (userId: number) => hashTelegramId(pepper, userId);
  return {
    check: async (userId) => limiter.check(keyOf(userId)),
    take: async (userId) => limiter.take(keyOf(userId)),
  };
}

/**
 * Counted in PostgreSQL, shared by every instance: a window starts with the first hit and its
 * row goes when it is over. The key is the source's memory-hard key for this purpose (cached
 * while the source is active), so a row can be matched to an id only at the cost of a
 * derivation with the pepper, and to no draft row at all.
 */
export function sharedLimit(deps: {
  repo: RateLimitsRepository;
  purpose: SharedLimitPurpose;
  rule: LimitRule;
  sourceKeys: SourceKeys;
  /**
   * Hits counted in this process too, so the check never waits for a derivation: until the
   * source's key is in memory only here, then here and in the shared row (both must allow).
   * Without it, the key is derived first.
   */
  beforeKey?: SourceLimit;
  /** Keys the counts carried over in memory, as the in-memory limits do (never the raw id). */
  pepper: Uint8Array;
  now?: () => Date;
}): SourceLimit {
  const now = deps.now ?? (() => new Date());
  const { beforeKey } = deps;
  /** Takes counted before the key existed, per id, in this process's memory for one window. */
  const unshared = new ExpiringMap<number>(deps.rule.windowMs);
  const carryKey = (userId: number) => hashTelegramId(deps.pepper, userId);
  const keyOf = async (userId: number) =>
    (await deps.sourceKeys.get(userId)).limitKeys[deps.purpose];
  const local = async (userId: number, count: boolean) => {
    if (!beforeKey) return { allowed: true, final: false };
    const allowed = await (count ? beforeKey.take(userId) : beforeKey.check(userId));
    return { allowed, final: !allowed || !deps.sourceKeys.peek(userId) };
  };
  return {
    async check(userId) {
      const here = await local(userId, false);
      if (here.final) return here.allowed;
      return deps.repo.check(await keyOf(userId), deps.rule.limit, now());
    },
    async take(userId) {
      const here = await local(userId, true);
      if (here.final) {
        // Counted here only, before the key existed: carried into the shared row once it does,
        // so a flood spread over instances is cut where it would be on one.
        if (here.allowed && beforeKey) {
          const carry = carryKey(userId);
          unshared.set(carry, (unshared.get(carry) ?? 0) + 1);
        }
        return here.allowed;
      }
      const key = await keyOf(userId);
      const carried = unshared.get(carryKey(userId)) ?? 0;
      unshared.delete(carryKey(userId));
      for (let i = 0; i < carried; i++) {
        await deps.repo.take(key, deps.rule.limit, deps.rule.windowMs, now());
      }
      return deps.repo.take(key, deps.rule.limit, deps.rule.windowMs, now());
    },
  };
}

export interface SourceLimits {
  /** Messages and button presses a minute. */
  flood: SourceLimit;
  /** The one "slow down" answer a minute during a flood. */
  floodWarning: SourceLimit;
  /** Wrong codenames an hour. */
  codenameAttempts: SourceLimit;
  /** Whether flood and codename limits are shared by the instances (PostgreSQL). */
  shared: boolean;
  /** Deletes shared counters whose window is over; run every minute. */
  sweep(): Promise<number>;
  /**
   * Deletes every shared counter: at a clean stop, so a copy of the stopped server holds no
   * key of a source who wrote in the last minute or hour. The limits start again from zero.
   */
  forgetAll(): Promise<void>;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/**
 * Flood and wrong-codename limits: shared in PostgreSQL when `repo` is given (several instances
 * may serve one source), in memory otherwise. Submissions per day stay in memory in every case
 * (see README): a row saying "this account sent a testimony today" would outlive the interview.
 */
export function createSourceLimits(deps: {
  repo?: RateLimitsRepository;
  sourceKeys: SourceKeys;
  pepper: Uint8Array;
  floodMessagesPerMinute: number;
  codenameAttemptsPerHour: number;
  now?: () => Date;
}): SourceLimits {
  const rules = {
    flood: { limit: deps.floodMessagesPerMinute, windowMs: MINUTE },
    floodWarning: { limit: 1, windowMs: MINUTE },
    codename: { limit: deps.codenameAttemptsPerHour, windowMs: HOUR },
  } satisfies Record<string, LimitRule>;
  const { repo } = deps;
  if (!repo) {
    const clock = deps.now;
    const now = clock ? () => clock().getTime() : undefined;
    return {
      flood: memoryLimit(rules.flood, deps.pepper, now),
      floodWarning: memoryLimit(rules.floodWarning, deps.pepper, now),
      codenameAttempts: memoryLimit(rules.codename, deps.pepper, now),
      shared: false,
      sweep: async () => 0,
      forgetAll: async () => {},
    };
  }
  const shared = (purpose: SharedLimitPurpose, rule: LimitRule, beforeKey?: SourceLimit) =>
    sharedLimit({
      repo,
      purpose,
      rule,
      sourceKeys: deps.sourceKeys,
      beforeKey,
      pepper: deps.pepper,
      now: deps.now,
    });
  const clock = deps.now;
  const inMemory = (rule: LimitRule) =>
    memoryLimit(rule, deps.pepper, clock ? () => clock().getTime() : undefined);
  // The flood check runs on every update, the first ones too: until the source's key is in
  // memory it counts here, so a newcomer's first answer never waits for a derivation.
  return {
    flood: shared("flood", rules.flood, inMemory(rules.flood)),
    floodWarning: shared("flood-warning", rules.floodWarning, inMemory(rules.floodWarning)),
    // Counted here too until the key exists, so a codename typed by someone with no interview
    // (the receipt's check, /codename) is never held up by a derivation. Such a person's wrong
    // guesses are then limited per instance: with 80-bit codenames the limit guards CPU (each
    // guess costs a slow hash), not the codenames, and per instance it does that as well.
    codenameAttempts: shared("codename", rules.codename, inMemory(rules.codename)),
    shared: true,
    sweep: () => repo.sweep(deps.now?.() ?? new Date()),
    forgetAll: () => repo.clear(),
  };
}
