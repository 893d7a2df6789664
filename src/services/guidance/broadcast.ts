// Broadcast of guidance to subscribers: durable, resumable, rate-limited delivery.
//
// A job is rows in the database (storage/broadcasts.repo.ts), so it survives restarts and is
// shared by every bot instance on the same PostgreSQL. The worker (broadcast-worker.ts) claims a batch, sends it
// at the configured global rate through a plain `send(chatId, message)` given by the bot layer,
// and records the outcome: 429 pauses the whole job for retry_after; 403 (blocked, deactivated)
// removes the subscriber; 5xx and network errors are retried with exponential back-off, then the
// delivery is marked failed. No grammY here: errors are read by their shape (error_code,
// parameters.retry_after), which is what the Bot API returns.
import type {
  BroadcastRow,
  BroadcastStatus,
  BroadcastsRepository,
} from "../../storage/broadcasts.repo.js";
import { isLocale, LOCALES, type Locale } from "../locale.js";
import type { Sealer } from "../sources/sealing.js";
import type { MessageContent } from "./guidance.js";
import { cleanEntities } from "./guidance.js";
import type { SubscriptionsService } from "./subscriptions.js";

/** What each language's subscribers get. A locale without a text gets the default locale's. */
export type BroadcastMessages = Partial<Record<Locale, MessageContent>>;

/** Where the admin watches a job: sealed at rest like any chat id. */
export interface ProgressTarget {
  chatId: number;
  messageId: number;
  locale: Locale;
}

/** A job as the admin's progress message shows it. */
export type BroadcastProgress = BroadcastSummary & {
  /** Messages per second this instance achieved since its last report; unknown elsewhere. */
  ratePerSecond?: number;
};

export type SendMessage = (chatId: number, message: MessageContent) => Promise<void>;
export type ReportProgress = (target: ProgressTarget, progress: BroadcastProgress) => Promise<void>;

export const PROGRESS_CONTEXT = "broadcast-progress";
/** A pause shorter than this is the job's own pacing, not Telegram telling it to wait. */
export const PAUSE_SHOWN_AFTER_MS = 2_000;

// ---------------------------------------------------------------------------------------------
// Pure rules (tested on their own)

/** The text for a subscriber of `locale`: theirs, else the default locale's, else any. */
export function messageFor(
  messages: BroadcastMessages,
  locale: string | null,
  defaultLocale: Locale,
): MessageContent | undefined {
  if (isLocale(locale) && messages[locale]) return messages[locale];
  return messages[defaultLocale] ?? LOCALES.map((l) => messages[l]).find(Boolean);
}

export function batchSize(ratePerSecond: number, batchSeconds = 1): number {
  return Math.max(1, Math.min(100, Math.round(ratePerSecond * batchSeconds)));
}

export function parseMessages(json: unknown): BroadcastMessages {
  const out: BroadcastMessages = {};
  if (!json || typeof json !== "object") return out;
  for (const [locale, value] of Object.entries(json as Record<string, unknown>)) {
    const v = value as { text?: unknown; entities?: unknown } | null;
    if (!isLocale(locale) || typeof v?.text !== "string") continue;
    out[locale] = {
      text: v.text,
      entities: cleanEntities(Array.isArray(v.entities) ? v.entities : []),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Jobs, for the admin commands

export interface BroadcastSummary {
  id: number;
  status: BroadcastStatus;
  total: number;
  sent: number;
  failed: number;
  unsubscribed: number;
  remaining: number;
  createdOn: string;
  /** Set while Telegram's retry_after holds the job. */
  pausedUntil?: Date;
}

export function summaryOf(
  row: BroadcastRow,
  remaining: number,
  pausedUntil?: Date,
): BroadcastSummary {
  return {
    id: row.id,
    status: row.status as BroadcastStatus,
    total: row.total,
    sent: row.sent,
    failed: row.failed,
    unsubscribed: row.unsubscribed,
    remaining,
    createdOn: row.createdOn,
    pausedUntil,
  };
}

export function createBroadcastService(deps: {
  repo: BroadcastsRepository;
  subscriptions: SubscriptionsService;
  sealer: Sealer;
  now?: () => Date;
  /** Called when a job was created, so the local worker starts at once. */
  onCreated?: () => void;
}) {
  const now = deps.now ?? (() => new Date());

  const summarise = async (found: BroadcastRow): Promise<BroadcastSummary> => {
    const row = (await deps.repo.withRemaining(found.id)) ?? { ...found, remaining: 0 };
    const remaining = row.status === "running" ? row.remaining : 0;
    // The send clock is always a little ahead while a job runs; only a real pause is shown.
    const ahead = (row.pausedUntil?.getTime() ?? 0) - now().getTime();
    return summaryOf(
      row,
      remaining,
      ahead > PAUSE_SHOWN_AFTER_MS ? (row.pausedUntil ?? undefined) : undefined,
    );
  };

  return {
    /** Subscribers per locale: who a broadcast started now would reach. */
    recipients(): Promise<Record<string, number>> {
      return deps.subscriptions.countByLocale();
    },
    async running(): Promise<BroadcastSummary | undefined> {
      const row = await deps.repo.nextRunning();
      return row ? summarise(row) : undefined;
    },
    /** The running job, else the most recent one. */
    async latest(): Promise<BroadcastSummary | undefined> {
      const row = (await deps.repo.nextRunning()) ?? (await deps.repo.latest());
      return row ? summarise(row) : undefined;
    },
    /**
     * Creates the job: one delivery row per subscriber at this moment. `progress` is the admin's
     * message the worker keeps up to date; its chat id is sealed like a subscriber's.
     */
    async start(messages: BroadcastMessages, progress?: ProgressTarget): Promise<BroadcastSummary> {
      const row = await deps.repo.create({
        messages,
        createdOn: now().toISOString().slice(0, 10),
        progressChatId: progress
          ? Buffer.from(
              deps.sealer.sealJson(
                { chatId: progress.chatId, locale: progress.locale },
                PROGRESS_CONTEXT,
              ),
            ).toString("base64")
          : null,
        progressMessageId: progress?.messageId ?? null,
      });
      deps.onCreated?.();
      return summarise(row);
    },
    async cancel(): Promise<BroadcastSummary | undefined> {
      const running = await deps.repo.nextRunning();
      if (!running) return undefined;
      const row = await deps.repo.cancel(running.id);
      return row ? summarise(row) : undefined;
    },
    /** The admin's progress message of a job, if any (for a final edit after a cancel). */
    progressTarget(row: Pick<BroadcastRow, "progressChatId" | "progressMessageId">) {
      return progressTargetOf(deps.sealer, row);
    },
    async find(broadcastId: number) {
      return deps.repo.find(broadcastId);
    },
  };
}

export type BroadcastService = ReturnType<typeof createBroadcastService>;

export function progressTargetOf(
  sealer: Sealer,
  row: Pick<BroadcastRow, "progressChatId" | "progressMessageId">,
): ProgressTarget | undefined {
  if (!row.progressChatId || row.progressMessageId === null) return undefined;
  try {
    const { chatId, locale } = sealer.unsealJson<{ chatId: number; locale: Locale }>(
      Buffer.from(row.progressChatId, "base64"),
      PROGRESS_CONTEXT,
    );
    return { chatId, locale, messageId: row.progressMessageId };
  } catch {
    return undefined;
  }
}
