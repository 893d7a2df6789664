// The composition root: builds services from storage, keys and secrets, and the bot from those.
// main.ts, the tests and the benchmarks all assemble the bot here, the same way; the editors'
// services come from wiring.ts, which the editor tool and the desk use too.
import type { UserFromGetMe } from "grammy/types";
import { createBroadcastDelivery } from "./bot/broadcast-delivery.js";
import { keyChangeMessage } from "./bot/features/editor-keys.js";
import { createEditorsNoticeDelivery } from "./bot/features/editors/notice-card.js";
import { type BotDeps, createBot } from "./bot/index.js";

import { type Config, DEFAULTS } from "./config.js";
import type { Logger } from "./logger.js";
import {
  type EditorKeyring,
  formatFingerprint,
  liveKeyring,
} from "./services/crypto/editor-keys.js";
import { createKeySetService } from "./services/crypto/key-set.js";
import { createAdminService } from "./services/guidance/admin.js";
import { createBroadcastService } from "./services/guidance/broadcast.js";
import {
  type BroadcastWorkerOptions,
  createBroadcastWorker,
} from "./services/guidance/broadcast-worker.js";
import { createGuidanceService } from "./services/guidance/guidance.js";
import { createSubscriptionsService } from "./services/guidance/subscriptions.js";
import { createInterviewService } from "./services/interview/draft-store.js";
import {
  DEFAULT_QUESTIONNAIRE_PATH,
  loadQuestionnaire,
} from "./services/interview/questionnaire.js";
import {
  createDerivationQueue,
  derivationConcurrency,
} from "./services/sources/derivation-queue.js";
import { createSourceKeys, type deriveSourceKey } from "./services/sources/keys.js";
import { createSourceLimits } from "./services/sources/limits.js";
import { createSourceLocks, holdLock } from "./services/sources/locks.js";
import { createPreferencesService } from "./services/sources/preferences.js";
import { createReplyNotices } from "./services/sources/reply-notices.js";
import { createScrubber } from "./services/sources/scrubber.js";
import { createSealer, hashTelegramId } from "./services/sources/sealing.js";
import { createSlowWork, SLOW_WORK_CONCURRENCY } from "./services/sources/slow-work.js";
import { createNoticeBatcher, type NoticeBatch } from "./services/submissions/editors-notices.js";
import { createQuotaService } from "./services/submissions/quotas.js";
import { createSubmissionsService } from "./services/submissions/submit.js";

import { translate } from "./services/texts.js";
import { createVoiceDisguiser } from "./services/voice/index.js";
import { createBroadcastsRepository } from "./storage/broadcasts.repo.js";
import type { Db } from "./storage/db.js";
import { createDraftsRepository } from "./storage/drafts.repo.js";
import { createEditorKeysRepository } from "./storage/editor-keys.repo.js";
import { createGuidanceRepository } from "./storage/guidance.repo.js";
import { createRateLimitsRepository } from "./storage/rate-limits.repo.js";
import type { Secrets } from "./storage/secrets.js";
import { createSourceLocksRepository } from "./storage/source-locks.repo.js";
import { createSubscribersRepository } from "./storage/subscribers.repo.js";
import { createUsageRepository } from "./storage/usage.repo.js";
import { createEditorServices } from "./wiring.js";

export type AppConfig = Pick<
  Config,
  | "BOT_TOKEN"
  | "TELEGRAM_API_ROOT"
  | "DEFAULT_LOCALE"
  | "EDITORS_LOCALE"
  | "EDITORS_CHAT_ID"
  | "DRAFT_TTL_HOURS"
  | "MAX_TEXT_LENGTH"
  | "MAX_ATTACHMENTS"
  | "VOICE_WORKERS"
  | "MAX_SUBMISSIONS_PER_DAY"
  | "CODENAME_ATTEMPTS_PER_HOUR"
  | "FLOOD_MESSAGES_PER_MINUTE"
  | "ADDITION_FILES_MAX"
  | "ADDITION_MB_MAX"
  | "ADDITION_MESSAGES_PER_DAY"
  | "STORAGE_LIMIT_GB"
  | "ADMIN_IDS"
  | "BROADCAST_RATE_PER_SECOND"
  | "NOTIFY_WINDOW_MINUTES"
  | "SAFER_CHANNEL_TEXT_RU"
  | "SAFER_CHANNEL_TEXT_EN"
>;

/** The configuration's defaults (config.ts), for tests and benchmarks that build the app. */
export const APP_DEFAULTS = DEFAULTS satisfies Partial<AppConfig>;

export function createApp(options: {
  config: AppConfig;
  db: Db;
  /** Storage's VACUUM of dead row versions (DESIGN §3.6); tests may leave it out. */
  scrub?: () => Promise<void>;
  /** The same for the drafts table only, run before a source is told "sent". */
  scrubDrafts?: () => Promise<void>;
  keyring: EditorKeyring;
  secrets: Secrets;
  logger: Logger;
  questionnairePath?: string;
  botInfo?: UserFromGetMe;
  now?: () => Date;
  /**
   * Only this process uses the database (embedded PGlite): see BroadcastWorkerOptions. Otherwise
   * other instances may share it, and the per-source lock and the flood and codename limits are
   * kept in the database too.
   */
  exclusiveStorage?: boolean;
  /** Timings of the broadcast worker (tests make them short). */
  broadcastWorker?: Partial<Omit<BroadcastWorkerOptions, "ratePerSecond" | "defaultLocale">>;
  /** How long an update waits for the source's previous one (tests make it short). */
  sourceLockWaitMs?: number;
  /** The embedded database's disk, for the storage notice and refusing files on a full disk. */
  disk?: () => { totalBytes: number; freeBytes: number } | undefined;
  /** How long Bot API calls and failed updates keep being tried (tests make it short). */
  retry?: Pick<BotDeps, "apiRetry" | "updateRetry">;
  /** Source-key derivations at once, and newcomers' line (defaults: derivation-queue.ts). */
  derivationConcurrency?: number;
  newcomersWaitingMax?: number;
  /** The source-key derivation (tests hold it back to see what waits for it). */
  deriveSourceKey?: typeof deriveSourceKey;
}) {
  const { config, db, secrets, now } = options;
  // Everything encrypts to the keys in use: an added key only once an editor confirmed it, and
  // none before keys.announce() has compared the set with the last start's (fails closed).
  const live = liveKeyring(options.keyring, []);
  const keyring = live.keyring;
  const editorsLocale = config.EDITORS_LOCALE ?? config.DEFAULT_LOCALE;
  const questionnaire = loadQuestionnaire(options.questionnairePath ?? DEFAULT_QUESTIONNAIRE_PATH);
  const drafts = createDraftsRepository({ db });
  const {
    parts,
    submissions: submissionsRepo,
    audit,
    editorial,
    exporter,
  } = createEditorServices({ db, keyring, now });
  const keySet = createKeySetService({
    repo: createEditorKeysRepository({ db }),
    audit,
    live,
    now,
  });

  const preferences = createPreferencesService({ pepper: secrets.pepper });
  const scrubber = createScrubber({
    scrub: options.scrub ?? (async () => {}),
    scrubDrafts: options.scrubDrafts,
    onError: (error) => options.logger.warn({ err: error }, "scrub failed"),
  });
  // Source keys are derived in a queue of their own, so a session's first step does not wait
  // behind a burst of submissions (those share `slowWork` below); sources go before newcomers,
  // and the bot's admission step keeps newcomers' line bounded (derivation-queue.ts).
  const derivations = createDerivationQueue({
    concurrency: options.derivationConcurrency ?? derivationConcurrency(),
    newcomersMax: options.newcomersWaitingMax,
  });
  const sourceKeys = createSourceKeys({
    pepper: secrets.pepper,
    queue: derivations,
    derive: options.deriveSourceKey,
  });
  // Several instances may share PostgreSQL: one update of a source at a time across all of them,
  // and the flood and wrong-codename limits counted for all of them.
  const shared = !options.exclusiveStorage;
  const sourceLocks = createSourceLocks({
    repo: shared ? createSourceLocksRepository({ db }) : undefined,
    waitMs: options.sourceLockWaitMs,
    onLeaseLost: (error) => options.logger.warn({ err: error }, "source lease lost"),
  });
  const sourceLimits = createSourceLimits({
    repo: shared ? createRateLimitsRepository({ db }) : undefined,
    sourceKeys,
    pepper: secrets.pepper,
    floodMessagesPerMinute: config.FLOOD_MESSAGES_PER_MINUTE,
    codenameAttemptsPerHour: config.CODENAME_ATTEMPTS_PER_HOUR,
  });
  // Leases of instances that died, and counters whose window is over, go every minute. A stop
  // waits for a sweep under way: its deletes must come before the stop's scrub, not beside it,
  // or their dead row versions stay in the files.
  let sweeping: Promise<void> | undefined;
  const sweepShared = () =>
    (sweeping ??= (async () => {
      try {
        await sourceLocks.sweep();
        await sourceLimits.sweep();
      } catch (error) {
        options.logger.warn({ err: error }, "sweep of shared limits failed");
      } finally {
        sweeping = undefined;
      }
    })());
  let sharedSweep: NodeJS.Timeout | undefined;
  const voice = createVoiceDisguiser({ workers: config.VOICE_WORKERS });
  const interview = createInterviewService({
    drafts,
    parts,
    keyring,
    voice,
    sealer: createSealer(secrets.serverKey),
    pepper: secrets.pepper,
    sourceKeys,
    onEnded: () => scrubber.schedule(),
    onBegun: (locale) => submissions.expectSubmission(locale),
    submit: (draft) => submissions.submit(draft),
    questionnaire,
    limits: {
      draftTtlHours: config.DRAFT_TTL_HOURS,
      maxTextLength: config.MAX_TEXT_LENGTH,
      maxAttachmentsPerSubmission: config.MAX_ATTACHMENTS,
    },
    now,
  });
  // Its delivery needs the bot's API: wired once the bot exists.
  let deliverNotices: (batch: NoticeBatch) => Promise<void> = async () => {};
  const notices = createNoticeBatcher({
    submissions: submissionsRepo,
    windowMs: config.NOTIFY_WINDOW_MINUTES * 60_000,
    deliver: (batch) => deliverNotices(batch),
    onError: (error) => options.logger.warn({ err: error }, "editors' notice failed"),
  });
  // One queue for every memory-hard derivation of this process (see slow-work.ts).
  const slowWork = createSlowWork({ concurrency: SLOW_WORK_CONCURRENCY });
  const submissions = createSubmissionsService({
    drafts,
    parts,
    submissions: submissionsRepo,
    keyring,
    pepper: secrets.pepper,
    slowWork,
    derivationsIdle: () =>
      derivations.running === 0 &&
      derivations.waiting.source === 0 &&
      derivations.waiting.newcomer === 0,
    onError: (error) => options.logger.warn({ err: error }, "receipt made ahead failed"),
    now,
    scrubDrafts: () => scrubber.drafts(),
    onNews: () => notices.poke(),
  });

  const quotas = createQuotaService({
    usage: createUsageRepository({ db }),
    additions: {
      files: config.ADDITION_FILES_MAX,
      megabytes: config.ADDITION_MB_MAX,
      messagesPerDay: config.ADDITION_MESSAGES_PER_DAY,
    },
    storageLimitGb: config.STORAGE_LIMIT_GB,
    disk: options.disk,
    onStorageWarning: async (warning) => {
      if (config.EDITORS_CHAT_ID === undefined) return;
      const text = translate(editorsLocale, "editors-storage-warning", {
        percent: warning.percent,
        used: warning.usedGb,
        limit: warning.limitGb,
      });
      await bot.api.sendMessage(config.EDITORS_CHAT_ID, text);
    },
    now,
  });

  const sealer = createSealer(secrets.serverKey);

  // Guidance and broadcasts (subscribers are sealed with the server key; never linked to drafts).
  const subscribersRepo = createSubscribersRepository({ db });
  const broadcastsRepo = createBroadcastsRepository({ db });
  const subscriptions = createSubscriptionsService({
    repo: subscribersRepo,
    sealer,
    pepper: secrets.pepper,
  });
  const guidance = createGuidanceService({
    repo: createGuidanceRepository({ db }),
    defaultLocale: config.DEFAULT_LOCALE,
    now,
  });
  const delivery = createBroadcastDelivery({
    token: config.BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    defaultLocale: config.DEFAULT_LOCALE,
  });
  const broadcastWorker = createBroadcastWorker(
    {
      repo: broadcastsRepo,
      subscriptions,
      sealer,
      send: delivery.send,
      report: delivery.report,
      audit,
      onError: (error) => options.logger.warn({ err: error }, "broadcast worker"),
    },
    {
      ratePerSecond: config.BROADCAST_RATE_PER_SECOND,
      defaultLocale: config.DEFAULT_LOCALE,
      exclusive: options.exclusiveStorage,
      ...options.broadcastWorker,
    },
  );
  const broadcasts = createBroadcastService({
    repo: broadcastsRepo,
    subscriptions,
    sealer,
    now,
    onCreated: () => broadcastWorker.wake(),
  });
  const admin = createAdminService({
    audit,
    submissions: submissionsRepo,
    drafts,
    subscribers: subscribersRepo,
    broadcasts: broadcastsRepo,
    pepper: secrets.pepper,
    now,
  });

  const services = {
    preferences,
    interview,
    submissions,
    quotas,
    editorial,
    exporter,
    subscriptions,
    guidance,
    broadcasts,
    admin,
    keySet,
  };
  const replyNotices = createReplyNotices();
  const bot = createBot({
    ...services,
    token: config.BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    defaultLocale: config.DEFAULT_LOCALE,
    editorsChatId: config.EDITORS_CHAT_ID,
    editorsLocale,
    logger: options.logger,
    fingerprints: options.keyring.fingerprints.map(formatFingerprint),
    actorHash: (userId) => hashTelegramId(secrets.pepper, userId, "staff"),
    adminIds: config.ADMIN_IDS,
    limits: {
      maxTextLength: config.MAX_TEXT_LENGTH,
      maxSubmissionsPerDay: config.MAX_SUBMISSIONS_PER_DAY,
    },
    sourceLimits,
    // The draft session holds the source's lock from loading the draft until it is saved.
    sourceLock: async (userId: number) =>
      holdLock(sourceLocks, (await sourceKeys.get(userId)).lockKey),
    admission: { keys: sourceKeys, queue: derivations },
    botInfo: options.botInfo,
    saferChannel: { ru: config.SAFER_CHANNEL_TEXT_RU, en: config.SAFER_CHANNEL_TEXT_EN },
    replyNotices,
    now,
    ...options.retry,
  });
  const editorsNotices = createEditorsNoticeDelivery({
    api: bot.api,
    editorsChatId: config.EDITORS_CHAT_ID,
    editorial,
    t: (key, args) => translate(editorsLocale, key, args),
  });
  deliverNotices = editorsNotices.deliver;
  let keyRefresh: NodeJS.Timeout | undefined;

  return {
    bot,
    services: {
      ...services,
      /** One update of a source at a time, across instances (see source-locks.ts). */
      sourceLocks,
      sourceLimits,
      /** Source-key derivations running and waiting (derivation-queue.ts). */
      derivations,
    },
    repositories: {
      drafts,
      parts,
      submissions: submissionsRepo,
      subscribers: subscribersRepo,
      broadcasts: broadcastsRepo,
    },
    /** Delivers broadcasts: start it with the bot, stop it before storage closes. */
    broadcastWorker,
    /** Editors' notices, one batch per window. */
    notices,
    /**
     * The editors' key set. announce() runs before the bot takes any update: it compares
     * EDITOR_KEYS with the set of the last start, puts the confirmed keys in use, and tells the
     * editors' chat about any change (KeySetError: no confirmed key left).
     */
    keys: {
      async announce() {
        const change = await keySet.reconcile();
        if (change.added.length + change.removed.length + change.pending.length === 0) return;
        if (config.EDITORS_CHAT_ID === undefined) {
          options.logger.warn(
            { added: change.added.length, removed: change.removed.length },
            "editor keys changed; without EDITORS_CHAT_ID no editor can confirm an added key",
          );
          return;
        }
        const message = keyChangeMessage(change, (key, args) =>
          translate(editorsLocale, key, args),
        );
        await bot.api.sendMessage(config.EDITORS_CHAT_ID, message.text, {
          reply_markup: message.replyMarkup,
        });
      },
    },
    /** VACUUM of ended interviews' rows; flushed at a clean stop. */
    scrubber,
    /** Background work that runs beside the bot: start with it, stop before storage closes. */
    background: {
      start() {
        broadcastWorker.start();
        notices.start();
        if (shared && !sharedSweep) {
          sharedSweep = setInterval(sweepShared, 60_000);
          sharedSweep.unref();
        }
        // A key confirmed through another instance is used here within a minute.
        if (shared && !keyRefresh) {
          keyRefresh = setInterval(() => {
            keySet.refresh().catch((error) => options.logger.warn({ err: error }, "key set"));
          }, 60_000);
          keyRefresh.unref();
        }
      },
      async stop() {
        clearInterval(sharedSweep);
        sharedSweep = undefined;
        await sweeping;
        clearInterval(keyRefresh);
        keyRefresh = undefined;
        await broadcastWorker.stop();
        await notices.stop();
        await scrubber.stop();
        submissions.stop();
        await sourceLimits
          .forgetAll()
          .catch((error) => options.logger.warn({ err: error }, "clearing shared limits failed"));
        await voice.close();
      },
    },
  };
}

export type App = ReturnType<typeof createApp>;
