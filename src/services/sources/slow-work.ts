// A small queue for deliberately slow work (memory-hard hashing, OpenPGP S2K): at most
// `concurrency` jobs run at once, the rest wait in order. Ordinary steps never go through it, so
// a burst of submissions or codename logins waits here instead of in front of everyone else.
import { availableParallelism } from "node:os";

export interface SlowWork {
  /** Runs `job` when a slot is free; resolves or rejects with its result. */
  run<T>(job: () => Promise<T>): Promise<T>;
  /** Jobs running now. */
  readonly running: number;
  /** Jobs waiting for a slot. */
  readonly waiting: number;
}

/**
 * Why one less than the cores, 2 at most, 1 at least (so 1 on the one- and two-core servers this
 * is meant for):
 * - scrypt runs on libuv's threadpool, 4 threads by default. Ordinary steps use that pool too:
 *   the DNS lookup before a new connection to the Bot API, fs.promises, crypto.subtle calls
 *   (openpgp.js uses WebCrypto for some key operations), zlib. PGlite's file system is
 *   synchronous (Emscripten NODEFS) and postgres.js uses sockets, so neither waits there. Two
 *   hashes at a time leave at least two threads free, so no ordinary step queues behind a hash,
 *   without raising UV_THREADPOOL_SIZE (which only works if set before the pool's first use,
 *   and more threads would not add CPU on a one- or two-core server).
 * - CPU: a hash is pure CPU. One core stays free for the event loop, which runs every ordinary
 *   step; more hashes at once than free cores would only share them and slow every step down.
 *   (The S2K of the reply keys runs in a worker thread: see crypto/key-worker.ts.)
 * - Memory: each scrypt takes 32 MiB while it runs; two keep the peak at 64 MiB.
 */
export const SLOW_WORK_CONCURRENCY = Math.max(1, Math.min(2, availableParallelism() - 1));

export function createSlowWork(options: { concurrency: number }): SlowWork {
  const { concurrency } = options;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError("createSlowWork: concurrency must be a positive integer");
  }
  const queue: (() => void)[] = [];
  let running = 0;

  const release = () => {
    running--;
    const next = queue.shift();
    if (next) next();
  };

  const acquire = (): Promise<void> => {
    if (running < concurrency) {
      running++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      queue.push(() => {
        running++;
        resolve();
      }),
    );
  };

  return {
    async run<T>(job: () => Promise<T>): Promise<T> {
      await acquire();
      try {
        return await job();
      } finally {
        release();
      }
    },
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
  };
}
