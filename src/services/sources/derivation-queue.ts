// The queue in front of the memory-hard derivation of source keys (source-keys.ts): a few run at
// once, people who already have an interview go first, and newcomers wait in a bounded line.
// Who is let into that line, and what a newcomer hears when it is full, is the bot's admission
// step (bot/admission.ts); this file only orders the work.
import { availableParallelism } from "node:os";

/** "source": holds a draft or is in an interview; "newcomer": anyone else (and prefetches). */
export type DerivationPriority = "source" | "newcomer";

/**
 * The numbers this was designed for (2 cores, 1–4 GB of memory, one instance):
 * - a derivation is scrypt N = 2^15, r = 8: 32 MiB and ~100 ms of one core (source-keys.ts);
 * - arrivals: a post that spreads brings a few hundred new people within minutes, peaks of ~20
 *   new ids a second, and a flood of throwaway accounts may send ~1,000 in a few seconds;
 * - two at a time on two cores, one of them kept for sources: ~10 newcomers' derivations a
 *   second while a crowd arrives, ~20 in all, 64 MiB at most;
 * - newcomers waiting: at most 64, so one who is let in waits ~64 / 10 ≈ 6 s at worst; whoever
 *   comes when the line is full is told so at once and served when it has room again.
 * Sources (a draft, an interview button) never wait behind newcomers and are never turned away.
 */
export const DERIVATION_MEMORY_MIB = 32;
export const NEWCOMERS_WAITING_MAX = 64;

/**
 * Derivations at once: one per core, as scrypt is pure CPU. They run on libuv's threadpool (4
 * threads unless UV_THREADPOOL_SIZE says otherwise), which file and DNS work share, and so do
 * the submissions' hashes (slow-work.ts, one at a time on two cores): at most `threads - 2` at
 * once, so a thread stays free for file and DNS work. At 32 MiB each, that is 64 MiB on two
 * cores. `npm run bench -- admission` prints the throughput at 1, 2 and 3 at once.
 */
export function derivationConcurrency(cores = availableParallelism(), threads = 4): number {
  return Math.max(1, Math.min(cores, threads - 2));
}

export interface DerivationQueue {
  /**
   * Runs `job` when a slot is free; a source's job goes before every newcomer's. Never refuses:
   * whether a newcomer may be queued at all is asked with `hasRoom` first.
   */
  run<T>(job: () => Promise<T>, priority: DerivationPriority): QueuedJob<T>;
  /** Whether a newcomer's job would be queued within the bound now. */
  hasRoom(): boolean;
  /** Resolves when a newcomer's job would fit (at once when it does now). */
  whenRoom(): Promise<void>;
  readonly running: number;
  readonly waiting: { source: number; newcomer: number };
}

export interface QueuedJob<T> {
  result: Promise<T>;
  /** A newcomer's job that turns out to be a source's (they pressed Begin) moves up the line. */
  promote(): void;
}

interface Entry {
  start: () => void;
  priority: DerivationPriority;
}

export function createDerivationQueue(options: {
  concurrency: number;
  newcomersMax?: number;
}): DerivationQueue {
  const { concurrency } = options;
  const newcomersMax = options.newcomersMax ?? NEWCOMERS_WAITING_MAX;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError("createDerivationQueue: concurrency must be a positive integer");
  }
  const sources: Entry[] = [];
  const newcomers: Entry[] = [];
  const roomWaiters: (() => void)[] = [];
  let running = 0;

  // Newcomers never hold every slot: a source's derivation (Begin pressed, a draft to resume)
  // starts at once even while a crowd's derivations run, and a core stays with the event loop,
  // which answers everyone else. On one core there is one slot, shared.
  const newcomerSlots = Math.max(1, concurrency - 1);
  let newcomersRunning = 0;
  const hasRoom = () => newcomers.length < newcomersMax;
  const pump = () => {
    while (running < concurrency) {
      const next =
        sources.shift() ?? (newcomersRunning < newcomerSlots ? newcomers.shift() : undefined);
      if (!next) break;
      running++;
      next.start();
    }
    // As many as fit: each one woken queues its job before the next wakes (in order).
    let room = newcomersMax - newcomers.length;
    while (room-- > 0 && roomWaiters.length > 0) roomWaiters.shift()?.();
  };

  return {
    run<T>(job: () => Promise<T>, priority: DerivationPriority): QueuedJob<T> {
      let entry: Entry | undefined;
      const result = new Promise<T>((resolve, reject) => {
        entry = {
          priority,
          start: () => {
            const asNewcomer = entry?.priority === "newcomer";
            if (asNewcomer) newcomersRunning++;
            job()
              .then(resolve, reject)
              .finally(() => {
                running--;
                if (asNewcomer) newcomersRunning--;
                pump();
              });
          },
        };
      });
      const queued = entry as Entry;
      (priority === "source" ? sources : newcomers).push(queued);
      pump();
      return {
        result,
        promote() {
          const at = newcomers.indexOf(queued);
          if (at < 0) return;
          newcomers.splice(at, 1);
          queued.priority = "source";
          sources.push(queued);
          pump();
        },
      };
    },
    hasRoom,
    whenRoom() {
      if (hasRoom()) return Promise.resolve();
      return new Promise((resolve) => roomWaiters.push(resolve));
    },
    get running() {
      return running;
    },
    get waiting() {
      return { source: sources.length, newcomer: newcomers.length };
    },
  };
}
