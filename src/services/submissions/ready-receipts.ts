// Receipts made ahead. A receipt is a codename, its slow hash and the reply key pair locked with
// it: ~200 ms of memory-hard work (one scrypt, then the key's S2K). Made at Send, a crowd sending
// at once queued each receipt behind the others' (2–4 s at p99 with 50 sources). So one is made
// for every interview begun, while no other memory-hard work runs, and Send takes it ready.
// They live in this process's memory only, are never written and are handed out once; a restart
// forgets them. An unused one waits for the next interview in its language.
import type { ReplyKeyPair } from "../crypto/reply-keys.js";
import type { CodenameLocale } from "./codename.js";

export interface MadeReceipt {
  codename: string;
  codenameHash: string;
  replyKey: ReplyKeyPair;
  /** The day the reply key is dated (a key carries its creation day, not the second). */
  day: string;
}

/** How often a receipt waiting to be made looks whether the memory-hard work is idle again. */
const IDLE_POLL_MS = 50;

export function createReadyReceipts(options: {
  /** Makes one receipt (through the slow-work queue, so the memory bound holds). */
  make: (locale: CodenameLocale) => Promise<MadeReceipt>;
  /** Whether no memory-hard work (a submission, a login, a source's key) runs or waits now. */
  idle: () => boolean;
  /** Receipts kept ready per language, at most. */
  max: number;
  today: () => string;
  onError?: (error: unknown) => void;
}) {
  const ready: Record<CodenameLocale, MadeReceipt[]> = { ru: [], en: [] };
  /** One per interview begun whose receipt is not made yet. */
  const wanted: CodenameLocale[] = [];
  /** The one being made now, if any. */
  let making: CodenameLocale | undefined;
  let filling = false;
  let stopped = false;

  const fill = async () => {
    if (filling) return;
    filling = true;
    try {
      while (!stopped && wanted.length > 0) {
        // Made-ahead work never goes in front of work someone waits for.
        if (!options.idle()) {
          await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS).unref());
          continue;
        }
        const locale = wanted.shift() as CodenameLocale;
        making = locale;
        try {
          const receipt = await options.make(locale);
          if (!stopped) ready[locale].push(receipt);
        } catch (error) {
          options.onError?.(error);
        } finally {
          making = undefined;
        }
      }
    } finally {
      filling = false;
    }
  };

  return {
    /** An interview began in `locale`: a receipt for it is made when the slow work is idle. */
    expect(locale: CodenameLocale): void {
      if (stopped) return;
      const coming = wanted.filter((l) => l === locale).length + (making === locale ? 1 : 0);
      if (ready[locale].length + coming >= options.max) return;
      wanted.push(locale);
      void fill();
    },
    /** A receipt made ahead and dated today, given once; undefined when none is ready. */
    take(locale: CodenameLocale): MadeReceipt | undefined {
      const today = options.today();
      for (;;) {
        const receipt = ready[locale].shift();
        if (!receipt || receipt.day === today) return receipt;
      }
    },
    get ready(): number {
      return ready.ru.length + ready.en.length;
    },
    /** Makes no more and forgets those made. */
    stop(): void {
      stopped = true;
      wanted.length = 0;
      ready.ru.length = 0;
      ready.en.length = 0;
    },
  };
}

export type ReadyReceipts = ReturnType<typeof createReadyReceipts>;
