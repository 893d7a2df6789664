// Dead row versions of ended interviews are removed soon after (DESIGN §3.6): one scrub a
// little after an interview ends (several endings close together share it), and one at stop.

export interface ScrubberOptions {
  /** Storage's scrub (VACUUM). */
  scrub: () => Promise<void>;
  /** How soon after an ending the scrub runs. */
  delayMs?: number;
  onError?: (error: unknown) => void;
}

export function createScrubber(options: ScrubberOptions) {
  const delayMs = options.delayMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const run = () => {
    timer = undefined;
    running = running.then(() => options.scrub()).catch((error) => options.onError?.(error));
    return running;
  };

  return {
    /** Something keyed to a source went away: scrub within delayMs. */
    schedule(): void {
      if (timer) return;
      timer = setTimeout(run, delayMs);
      timer.unref();
    },
    /** Scrubs now (at a clean stop, and in tests), whether or not something is scheduled. */
    async flush(): Promise<void> {
      if (timer) clearTimeout(timer);
      await run();
    },
    stop(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

export type Scrubber = ReturnType<typeof createScrubber>;
