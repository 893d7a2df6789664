// The composition root: builds services from storage, keys and secrets, and the bot from those.
// main.ts, the tests and the benchmarks all assemble the bot here, the same way.
import type { UserFromGetMe } from "grammy/types";
import { createBroadcastDelivery } from "./bot/broadcast-delivery.js";
import { createBot } from "./bot/index.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { createAdminService } from "./services/admin.js";
import {
  type BroadcastWorkerOptions,
  createBroadcastService,
  createBroadcastWorker,
} from "./services/broadcast.js";
import { createEditorialService } from "./services/editorial.js";
import { type EditorKeyring, formatFingerprint } from "./services/encryption.js";
import { createExportService } from "./services/export.js";
import { createGuidanceService } from "./services/guidance.js";
import { createInterviewService } from "./services/interview.js";
import { createPreferencesService } from "./services/preferences.js";
import { DEFAULT_QUESTIONNAIRE_PATH, loadQuestionnaire } from "./services/questionnaire.js";
import { createSealer, hashTelegramId } from "./services/sealing.js";
import { createSlowWork, SLOW_WORK_CONCURRENCY } from "./services/slow-work.js";
import { createSubmissionsService } from "./services/submissions.js";
import { createSubscriptionsService } from "./services/subscriptions.js";
import { createAuditRepository } from "./storage/audit.repo.js";
import { createBroadcastsRepository } from "./storage/broadcasts.repo.js";
import type { Db } from "./storage/db.js";
import { createDraftsRepository } from "./storage/drafts.repo.js";
import { createGuidanceRepository } from "./storage/guidance.repo.js";
import { createPartsRepository } from "./storage/parts.repo.js";
import { createPreferencesRepository } from "./storage/preferences.repo.js";
import type { Secrets } from "./storage/secrets.js";
import { createSubmissionsRepository } from "./storage/submissions.repo.js";
import { createSubscribersRepository } from "./storage/subscribers.repo.js";

export type AppConfig = Pick<
  Config,
  | "BOT_TOKEN"
  | "TELEGRAM_API_ROOT"
  | "DEFAULT_LOCALE"
  | "EDITORS_CHAT_ID"
  | "DRAFT_TTL_HOURS"
  | "MAX_TEXT_LENGTH"
  | "MAX_ATTACHMENTS"
  | "MAX_SUBMISSIONS_PER_DAY"
  | "CODENAME_ATTEMPTS_PER_HOUR"
  | "FLOOD_MESSAGES_PER_MINUTE"
  | "ADMIN_IDS"
  | "BROADCAST_RATE_PER_SECOND"
>;

export const APP_DEFAULTS = {
  TELEGRAM_API_ROOT: "https://api.telegram.org",
  DEFAULT_LOCALE: "ru",
  DRAFT_TTL_HOURS: 72,
  MAX_TEXT_LENGTH: 20_000,
  MAX_ATTACHMENTS: 30,
  MAX_SUBMISSIONS_PER_DAY: 3,
  CODENAME_ATTEMPTS_PER_HOUR: 5,
  FLOOD_MESSAGES_PER_MINUTE: 40,
  ADMIN_IDS: [] as number[],
  BROADCAST_RATE_PER_SECOND: 25,
} as const satisfies Partial<AppConfig>;

export function createApp(options: {
  config: AppConfig;
  db: Db;
  keyring: EditorKeyring;
  secrets: Secrets;
  logger: Logger;
  questionnairePath?: string;
  botInfo?: UserFromGetMe;
  now?: () => Date;
  /** Only this process uses the database (embedded PGlite): see BroadcastWorkerOptions. */
  exclusiveStorage?: boolean;
  /** Timings of the broadcast worker (tests make them short). */
  broadcastWorker?: Partial<Omit<BroadcastWorkerOptions, "ratePerSecond" | "defaultLocale">>;
}) {
  const { config, db, keyring, secrets, now } = options;
  const questionnaire = loadQuestionnaire(options.questionnairePath ?? DEFAULT_QUESTIONNAIRE_PATH);
  const drafts = createDraftsRepository({ db });
  const parts = createPartsRepository({ db });
  const submissionsRepo = createSubmissionsRepository({ db });

  const preferences = createPreferencesService({
    repo: createPreferencesRepository({ db }),
    pepper: secrets.pepper,
  });
  const interview = createInterviewService({
    drafts,
    parts,
    keyring,
    sealer: createSealer(secrets.serverKey),
    pepper: secrets.pepper,
    questionnaire,
    limits: {
      draftTtlHours: config.DRAFT_TTL_HOURS,
      maxTextLength: config.MAX_TEXT_LENGTH,
      maxAttachmentsPerSubmission: config.MAX_ATTACHMENTS,
    },
    now,
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
    now,
    sealer: createSealer(secrets.serverKey),
  });

  const sealer = createSealer(secrets.serverKey);
  const editorial = createEditorialService({
    db,
    submissions: submissionsRepo,
    parts,
    audit: createAuditRepository({ db }),
    keyring,
    sealer,
    now,
  });
  const exporter = createExportService({ parts });

  // Guidance and broadcasts (subscribers are sealed with the server key; never linked to drafts).
  const audit = createAuditRepository({ db });
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

  const bot = createBot({
    token: config.BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    defaultLocale: config.DEFAULT_LOCALE,
    editorsChatId: config.EDITORS_CHAT_ID,
    logger: options.logger,
    preferences,
    interview,
    submissions,
    editorial,
    exporter,
    fingerprints: keyring.fingerprints.map(formatFingerprint),
    actorHash: (userId) => hashTelegramId(secrets.pepper, userId, "staff"),
    adminIds: config.ADMIN_IDS,
    subscriptions,
    guidance,
    broadcasts,
    admin,
    limits: {
      maxTextLength: config.MAX_TEXT_LENGTH,
      maxSubmissionsPerDay: config.MAX_SUBMISSIONS_PER_DAY,
      codenameAttemptsPerHour: config.CODENAME_ATTEMPTS_PER_HOUR,
      floodMessagesPerMinute: config.FLOOD_MESSAGES_PER_MINUTE,
    },
    botInfo: options.botInfo,
    now,
  });

  return {
    bot,
    services: {
      preferences,
      interview,
      submissions,
      editorial,
      exporter,
      subscriptions,
      guidance,
      broadcasts,
      admin,
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
  };
}

export type App = ReturnType<typeof createApp>;
