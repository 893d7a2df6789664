// Editors' notices in batches (DESIGN §7.4): a notice sent the moment a source presses Submit
// would carry the time of that press into the editors' chat. Instead, every window (with random
// jitter) whatever is new goes out in one notice. What is pending lives in the submissions table
// (a flag and a count, no time), so a restart loses nothing and two instances never send twice.
import type { SubmissionsRepository } from "../../storage/submissions.repo.js";

export interface NoticeBatch {
  /** New submissions since the last notice. */
  submitted: number[];
  /** Submissions their sources added to, with how many messages and files. */
  additions: { number: number; count: number }[];
}

export interface NoticeBatcherOptions {
  submissions: SubmissionsRepository;
  /** 0: no batching, each submission is told at once (tests, or a deliberate choice). */
  windowMs: number;
  deliver: (batch: NoticeBatch) => Promise<void>;
  onError?: (error: unknown) => void;
  random?: () => number;
}

export function createNoticeBatcher(options: NoticeBatcherOptions) {
  const random = options.random ?? Math.random;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let flushing: Promise<void> = Promise.resolve();

  const flushOnce = async () => {
    const batch = await options.submissions.takePendingNotices();
    if (batch.submitted.length === 0 && batch.additions.length === 0) return;
    try {
      await options.deliver(batch);
    } catch (error) {
      // Not delivered (e.g. Telegram unreachable): back in the queue for the next window.
      await options.submissions.restorePendingNotices(batch);
      throw error;
    }
  };

  const flush = () => {
    flushing = flushing.then(flushOnce).catch((error) => options.onError?.(error));
    return flushing;
  };

  const scheduleNext = () => {
    if (!running || options.windowMs === 0) return;
    // Up to a third of the window later, at random, so notices do not tick like a clock either.
    const delay = options.windowMs * (1 + random() / 3);
    timer = setTimeout(async () => {
      await flush();
      scheduleNext();
    }, delay);
    timer.unref();
  };

  return {
    start(): void {
      if (running) return;
      running = true;
      // Whatever was pending at a stop or crash goes out with the first window.
      scheduleNext();
    },
    /** Something new to tell: with no window, tell it now; otherwise the next window does. */
    poke(): void {
      if (options.windowMs === 0) void flush();
    },
    /** Sends what is pending now. */
    flush,
    /** Resolves when a flush under way (e.g. after a poke) has ended; starts none. */
    settled(): Promise<void> {
      return flushing;
    },
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await flushing;
    },
  };
}

export type NoticeBatcher = ReturnType<typeof createNoticeBatcher>;
