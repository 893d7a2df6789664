// Dead row versions of ended interviews are removed soon after (DESIGN §3.6): a submitted
// draft's own rows before its source is told "sent", then one whole scrub a little after an
// interview ends (several endings close together share it), one at start and one at stop.

export interface ScrubberOptions {
  /** Storage's scrub (VACUUM, and the write-ahead log's rotation). */
  scrub: () => Promise<void>;
  /** Storage's scrub of the drafts table only. */
  scrubDrafts?: () => Promise<void>;
  /** How soon after an ending the scrub runs. */
  delayMs?: number;
  onError?: (error: unknown) => void;
}

export function createScrubber(options: ScrubberOptions) {
  const delayMs = options.delayMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  /** A drafts scrub queued and not yet started: submissions arriving meanwhile share it. */
  let draftsQueued: Promise<void> | undefined;

  let stopped = false;

  const run = () => {
    timer = undefined;
    running = running
      .then(() => options.scrub())
      .catch((error) => {
        options.onError?.(error);
        // What it was to remove is still in the files (a lock it waited for, an old transaction
        // it outwaited): the next try comes as after an ending.
        schedule();
      });
    return running;
  };

  /** Something keyed to a source went away: scrub within delayMs. */
  const schedule = () => {
    if (timer || stopped) return;
    timer = setTimeout(run, delayMs);
    timer.unref();
  };

  return {
    schedule,
    /**
     * A draft was just submitted: its dead versions go now, in turn with any whole scrub under
     * way; the rest (the lease released after the answer, the log) with the scheduled one.
     */
    async drafts(): Promise<void> {
      const scrubDrafts = options.scrubDrafts;
      if (scrubDrafts) {
        // One that has not started yet runs after this caller's delete, so it covers it too: a
        // crowd sending at once shares a few rewrites of the table instead of one each.
        if (!draftsQueued) {
          const queued = running
            .then(() => {
              draftsQueued = undefined;
              return scrubDrafts();
            })
            .catch((error) => options.onError?.(error));
          draftsQueued = queued;
          running = queued;
        }
        await draftsQueued;
      }
      schedule();
    },
    /** Scrubs now (at a clean stop, and in tests), whether or not something is scheduled. */
    async flush(): Promise<void> {
      if (timer) clearTimeout(timer);
      await run();
    },
    /** No more scheduled scrubs; resolves when the one running has ended (the stop's own follows). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type Scrubber = ReturnType<typeof createScrubber>;
