// Notices to many people at once, sent at a steady pace: one per person, in order, at most
// `perSecond`. Telegram lets a bot send about 30 messages a second in all; a crowd told "many
// people are writing" all in the same second would take that from the sources' next questions
// (and hold the event loop for seconds: `npm run bench -- admission`). A notice not sent yet is
// dropped when it is no longer needed (the person got their answer first).
export interface NoticeLine {
  /** Queues `send` for this id (once: a second one for the same id while queued is ignored). */
  add(id: number, send: () => Promise<unknown>): void;
  /** Drops the id's notice if it is not sent yet. */
  drop(id: number): void;
  readonly waiting: number;
}

export function createNoticeLine(options: {
  perSecond: number;
  onError?: (error: unknown) => void;
}): NoticeLine {
  const intervalMs = 1000 / options.perSecond;
  const line = new Map<number, () => Promise<unknown>>();
  let lastSent = Number.NEGATIVE_INFINITY;
  let draining = false;

  const drain = async () => {
    if (draining) return;
    draining = true;
    try {
      for (;;) {
        const next = line.entries().next();
        if (next.done) return;
        const wait = lastSent + intervalMs - performance.now();
        if (wait > 0) {
          await new Promise((resolve) => setTimeout(resolve, wait).unref());
          continue; // the id may have been dropped meanwhile
        }
        const [id, send] = next.value;
        line.delete(id);
        lastSent = performance.now();
        // Not awaited: the pace is the line's, whatever the round trip to Telegram.
        send().catch((error) => options.onError?.(error));
      }
    } finally {
      draining = false;
    }
  };

  return {
    add(id, send) {
      if (line.has(id)) return;
      line.set(id, send);
      void drain();
    },
    drop(id) {
      line.delete(id);
    },
    get waiting() {
      return line.size;
    },
  };
}
