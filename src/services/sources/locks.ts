// One update of a source at a time, across instances (issue 17): while an update is loaded,
// handled and saved, its source is locked. In this process a queue per key (so an instance
// never competes with itself); on PostgreSQL also a lease row in source_locks, which another
// instance polls for with a short back-off. A lease row rather than an advisory lock: an
// advisory lock is held by a connection, and a pooled connection held per source in flight
// would run the pool dry while those very handlers wait for connections of their own.
import { randomBytes } from "node:crypto";
import type { SourceLocksRepository } from "../../storage/source-locks.repo.js";

/** The source stayed locked for longer than the caller would wait. */
export class SourceBusyError extends Error {
  readonly safeToLog = true;
  constructor(waitedMs: number) {
    super(`source busy: still locked after ${waitedMs} ms`);
    this.name = "SourceBusyError";
  }
}

export interface SourceLocksOptions {
  /** The shared leases (PostgreSQL); without it the lock holds in this process only (PGlite). */
  repo?: SourceLocksRepository;
  /**
   * How long a lease lasts unless renewed. It is renewed every third of this while held, so it
   * runs out only when its instance died or stalled; another instance may then take over.
   */
  leaseMs?: number;
  /** How long withLock waits for a locked source by default. */
  waitMs?: number;
  /** A lease could not be renewed (taken over after it ran out, or the database failed). */
  onLeaseLost?: (error?: unknown) => void;
}

export const SOURCE_LOCK_LEASE_MS = 10_000;
export const SOURCE_LOCK_WAIT_MS = 30_000;
/** Polling for another instance's lease: from 5 ms, doubling, at most this. */
const MAX_POLL_MS = 50;

export interface SourceLocks {
  /**
   * Runs `work` while holding the lock on `key` (SourceKey.lockKey): nothing else under the same
   * key runs meanwhile in any instance. Waits at most `waitMs`, then throws SourceBusyError
   * without running `work`. Waiters in this process are served in arrival order.
   */
  withLock<T>(key: string, work: () => Promise<T>, options?: { waitMs?: number }): Promise<T>;
  /** Deletes leases that ran out (an instance that died holding them). */
  sweep(): Promise<number>;
  /** Keys locked or waited for in this process now. */
  readonly active: number;
}

interface LocalLock {
  waiters: { grant: () => void }[];
}

export function createSourceLocks(options: SourceLocksOptions = {}): SourceLocks {
  const leaseMs = options.leaseMs ?? SOURCE_LOCK_LEASE_MS;
  const defaultWaitMs = options.waitMs ?? SOURCE_LOCK_WAIT_MS;
  const repo = options.repo;
  const local = new Map<string, LocalLock>();

  /** In this process: resolves once `key` is ours, or false when the deadline passes first. */
  const acquireLocal = (key: string, deadline: number): Promise<boolean> => {
    const held = local.get(key);
    if (!held) {
      local.set(key, { waiters: [] });
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(
        () => {
          held.waiters.splice(held.waiters.indexOf(waiter), 1);
          resolve(false);
        },
        Math.max(0, deadline - Date.now()),
      );
      held.waiters.push(waiter);
    });
  };

  const releaseLocal = (key: string) => {
    const held = local.get(key);
    const next = held?.waiters.shift();
    if (next) next.grant();
    else local.delete(key);
  };

  /** Across instances: polls for the lease until the deadline; the holder token, or undefined. */
  const acquireShared = async (
    shared: SourceLocksRepository,
    key: string,
    deadline: number,
  ): Promise<string | undefined> => {
    const holder = randomBytes(12).toString("base64url");
    let pause = 5;
    for (;;) {
      if (await shared.take(key, holder, leaseMs)) return holder;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      // A little jitter, so two instances waiting for the same source do not poll in step.
      await sleep(Math.min(left, pause * (0.75 + Math.random() / 2)));
      pause = Math.min(MAX_POLL_MS, pause * 2);
    }
  };

  return {
    async withLock<T>(
      key: string,
      work: () => Promise<T>,
      lockOptions: { waitMs?: number } = {},
    ): Promise<T> {
      const waitMs = lockOptions.waitMs ?? defaultWaitMs;
      const started = Date.now();
      const deadline = started + waitMs;
      if (!(await acquireLocal(key, deadline))) throw new SourceBusyError(Date.now() - started);
      try {
        if (!repo) return await work();
        const holder = await acquireShared(repo, key, deadline);
        if (holder === undefined) throw new SourceBusyError(Date.now() - started);
        const renewal = setInterval(() => {
          repo.renew(key, holder, leaseMs).then(
            (kept) => {
              if (!kept) options.onLeaseLost?.();
            },
            (error) => options.onLeaseLost?.(error),
          );
        }, leaseMs / 3);
        renewal.unref();
        try {
          return await work();
        } finally {
          clearInterval(renewal);
          // If this fails (database gone), the lease runs out by itself.
          await repo.release(key, holder).catch(() => {});
        }
      } finally {
        releaseLocal(key);
      }
    },

    sweep: async () => (repo ? repo.sweep() : 0),

    get active() {
      return local.size;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lock and holds it until the returned release is called: for code that cannot wrap
 * its work in one function (the bot's draft session loads in one middleware step and saves in
 * another). Rejects with SourceBusyError, holding nothing, when the wait runs out.
 */
export function holdLock(
  locks: SourceLocks,
  key: string,
  options?: { waitMs?: number },
): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    let finish = () => {};
    const held = new Promise<void>((done) => {
      finish = done;
    });
    const whole: Promise<void> = locks.withLock(
      key,
      async () => {
        resolve(async () => {
          finish();
          await whole;
        });
        await held;
      },
      options,
    );
    whole.catch(reject); // after the lock was taken, reject does nothing; release reports it
  });
}
