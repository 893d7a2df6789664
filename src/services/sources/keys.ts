// Finding a source again without storing anything that can be swept (DESIGN §3, invariant 2).
// A Telegram id is one of about 2^33 numbers: a fast keyed hash of it is reversed by whoever
// holds the key, and by default the key sits on the same disk. So the lookup key of a draft and
// the key that seals its state come from a keyed, memory-hard derivation of the id (scrypt), and
// exist only while an interview is in progress (the draft row goes when it ends).
import { createHmac, hkdfSync, scrypt } from "node:crypto";
import { CODENAME_SCRYPT } from "../submissions/codename.js";
import type { DerivationPriority, DerivationQueue } from "./derivation-queue.js";

/**
 * scrypt N = 2^15, r = 8: 32 MiB of memory and about 100 ms of one core per id here.
 * Sweeping Telegram's whole id space (~8.6·10^9 ids) then costs 8.6·10^9 × 0.1 s ≈ 9·10^8
 * core-seconds ≈ 28 core-years, with 32 MiB held per parallel guess
 * (which is what makes GPUs and ASICs poor at it). `npm run bench` prints the figure measured on
 * the machine it runs on. Confirming one suspect's id is a single derivation (~100 ms) for whoever
 * also has the pepper: keep PEPPER off the data disk (README) and that is closed too.
 */
export const SOURCE_KDF = CODENAME_SCRYPT; // the same cost as a codename's hash

export interface SourceKey {
  /** Stored as drafts.user_hash while an interview is in progress (base64url, 43 characters). */
  lookup: string;
  /** Binds the draft's sealed state to this source (see Sealer's context). */
  sealContext: string;
  /**
   * The key of this source's lease in source_locks while an instance handles one of its updates.
   * Not the draft's lookup: a lease's dead row version cannot be matched to a draft row.
   */
  lockKey: string;
  /** The keys of this source's counters in rate_limits, one per limit (see services/sources/limits.ts). */
  limitKeys: Record<SharedLimitPurpose, string>;
}

/** Limits counted in PostgreSQL, shared by the instances (services/sources/limits.ts). */
export const SHARED_LIMIT_PURPOSES = ["flood", "flood-warning", "codename"] as const;
export type SharedLimitPurpose = (typeof SHARED_LIMIT_PURPOSES)[number];

export async function deriveSourceKey(pepper: Uint8Array, userId: number): Promise<SourceKey> {
  if (pepper.length === 0) throw new Error("deriveSourceKey: the pepper must not be empty");
  const salt = createHmac("sha256", pepper).update("source-key-salt").digest();
  const { N, r, p, keyLength, maxmem } = SOURCE_KDF;
  const master = await new Promise<Buffer>((resolve, reject) => {
    scrypt(`user:${userId}`, salt, keyLength, { N, r, p, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
  const expand = (info: string) =>
    Buffer.from(hkdfSync("sha256", master, "testimony-bot", info, 32));
  const limitKeys = Object.fromEntries(
    SHARED_LIMIT_PURPOSES.map((purpose) => [
      purpose,
      expand(`limit:${purpose}`).toString("base64url"),
    ]),
  ) as Record<SharedLimitPurpose, string>;
  return {
    lookup: expand("draft-lookup").toString("base64url"),
    sealContext: `draft:${expand("draft-state").toString("hex")}`,
    lockKey: expand("source-lock").toString("base64url"),
    limitKeys,
  };
}

/** Legacy lookup (before the memory-hard derivation): still read once to move old drafts over. */
export function legacyUserHash(pepper: Uint8Array, userId: number): string {
  return createHmac("sha256", pepper).update(`user:${userId}`).digest("hex");
}

/**
 * Derived keys cached in memory while someone is active, so a source pays the derivation once
 * per session, not per message. Never written anywhere; a restart forgets them. Beside them, in
 * memory too, the ids known to hold a draft (seen when it was read or written): their next
 * derivation, after the key was forgotten for idleness, goes before any newcomer's.
 */
export function createSourceKeys(deps: {
  pepper: Uint8Array;
  /** Forget a key after this long without use. */
  idleMs?: number;
  /** At most this many cached keys (oldest go first), so a flood of strangers stays bounded. */
  maxEntries?: number;
  /** Runs the derivation (derivation-queue.ts); without it, at once. */
  queue?: Pick<DerivationQueue, "run">;
  /** The derivation itself (tests slow it down or hold it). */
  derive?: (pepper: Uint8Array, userId: number) => Promise<SourceKey>;
  now?: () => number;
}) {
  const idleMs = deps.idleMs ?? 2 * 3600_000;
  const maxEntries = deps.maxEntries ?? 10_000;
  const now = deps.now ?? Date.now;
  const derive = deps.derive ?? deriveSourceKey;
  const queue =
    deps.queue ??
    ({ run: (job) => ({ result: job(), promote() {} }) } satisfies Pick<DerivationQueue, "run">);
  interface Cached {
    key: Promise<SourceKey>;
    ready?: SourceKey;
    promote: () => void;
    usedAt: number;
  }
  const cache = new Map<number, Cached>();
  const holders = new Map<number, number>();

  const bound = (map: Map<number, unknown>) => {
    while (map.size > maxEntries) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) break;
      map.delete(oldest);
    }
  };
  const fresh = (userId: number) => {
    const cached = cache.get(userId);
    return cached && now() - cached.usedAt < idleMs ? cached : undefined;
  };
  const touch = (userId: number, cached: Cached) => {
    // Re-insert: Map order is then least recently used first.
    cache.delete(userId);
    cached.usedAt = now();
    cache.set(userId, cached);
  };

  const keys = {
    /**
     * The source's key: from memory, or derived (queued at `priority`; a source known to hold
     * a draft always goes as a source).
     */
    get(userId: number, priority: DerivationPriority = "newcomer"): Promise<SourceKey> {
      const cached = fresh(userId);
      if (cached) {
        touch(userId, cached);
        if (priority === "source") cached.promote();
        return cached.key;
      }
      const job = queue.run(
        () => derive(deps.pepper, userId),
        keys.holdsDraft(userId) ? "source" : priority,
      );
      const entry: Cached = { key: job.result, promote: job.promote, usedAt: now() };
      job.result.then(
        (key) => {
          entry.ready = key;
        },
        () => {
          if (cache.get(userId) === entry) cache.delete(userId);
        },
      );
      cache.delete(userId);
      cache.set(userId, entry);
      bound(cache);
      return entry.key;
    },
    /** The key if it is in memory now, without deriving or waiting. */
    peek(userId: number): SourceKey | undefined {
      return fresh(userId)?.ready;
    },
    /** Whether a derivation of this key is done or under way (in the queue or running). */
    pending(userId: number): boolean {
      return fresh(userId) !== undefined;
    },
    /** Remembers (in memory) that this id holds a draft. */
    markDraft(userId: number): void {
      holders.delete(userId);
      holders.set(userId, now());
      bound(holders);
    },
    /** Whether this id was seen holding a draft in this process's lifetime (memory only). */
    holdsDraft(userId: number): boolean {
      return holders.has(userId);
    },
    /** The conversation ended: the next one derives the key again, as a newcomer. */
    forget(userId: number): void {
      cache.delete(userId);
      holders.delete(userId);
    },
  };
  return keys;
}

export type SourceKeys = ReturnType<typeof createSourceKeys>;
