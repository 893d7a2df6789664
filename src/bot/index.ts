// createBot(deps): composes the features. Knows nothing about SQL or OpenPGP.
import { autoRetry } from "@grammyjs/auto-retry";
import { sequentialize } from "@grammyjs/runner";
import { Bot, type BotError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { type Logger, updateFields } from "../logger.js";
import type { AdminService } from "../services/admin.js";
import type { BroadcastService } from "../services/broadcast.js";
import type { DerivationQueue } from "../services/derivation-queue.js";
import type { EditorialService } from "../services/editorial.js";
import type { ExportService } from "../services/export.js";
import type { GuidanceService } from "../services/guidance.js";
import type { InterviewService } from "../services/interview.js";
import { ExpiringMap, HOUR, RateLimiter, type SourceLimits } from "../services/limits.js";
import type { Locale, PreferencesService } from "../services/preferences.js";
import type { QuotaService } from "../services/quotas.js";
import type { ReplyNotices } from "../services/reply-notices.js";
import type { SourceKeys } from "../services/source-keys.js";
import type { SubmissionsService } from "../services/submissions.js";
import type { SubscriptionsService } from "../services/subscriptions.js";
import { type Admission, createAdmission } from "./admission.js";
import type { BotContext } from "./context.js";
import { RETRY_LIMITS, type Translator } from "./conversations.js";
import { draftSession, type SourceLock } from "./draft-session.js";
import { createAdminFallbackFeature, createAdminFeature } from "./features/admin.js";
import { createCodenameFeature, createCodenameWaits } from "./features/codename.js";
import { createEditorsFeature } from "./features/editors.js";
import { createInterviewFeature, type ReceiptMemo } from "./features/interview.js";
import { createLanguageFeature } from "./features/language.js";
import { createSafetyFeature } from "./features/safety.js";
import { createStartFeature } from "./features/start.js";
import { createSubscriptionsFeature } from "./features/subscriptions.js";
import { createUnhandledFeature } from "./features/unhandled.js";
import { createI18n } from "./i18n.js";

export interface BotDeps {
  token: string;
  apiRoot: string;
  defaultLocale: Locale;
  editorsChatId?: number;
  logger: Logger;
  preferences: PreferencesService;
  interview: InterviewService;
  submissions: SubmissionsService;
  /** Per-testimony limits on additions, and the storage limit. */
  quotas: QuotaService;
  editorial: EditorialService;
  exporter: ExportService;
  /** Fingerprints of the editor keys in use (shown by /keys in the editors' chat). */
  fingerprints: readonly string[];
  /** HMAC of an editor's or admin's Telegram id, for the audit table. */
  actorHash: (userId: number) => string;
  /** Telegram user ids allowed to use the admin commands (ADMIN_IDS). */
  adminIds: readonly number[];
  subscriptions: SubscriptionsService;
  guidance: GuidanceService;
  broadcasts: BroadcastService;
  admin: AdminService;
  limits: {
    maxTextLength: number;
    maxSubmissionsPerDay: number;
  };
  /** Flood and wrong-codename limits (shared by the instances on PostgreSQL). */
  sourceLimits: Pick<SourceLimits, "flood" | "floodWarning" | "codenameAttempts">;
  /** "Tell me here about a reply": chat ids kept in memory only. */
  replyNotices: ReplyNotices;
  /** Holds one source's updates apart across instances (PostgreSQL); none: this process only. */
  sourceLock?: SourceLock;
  /**
   * Derived source keys and their queue: the admission step (admission.ts) answers what needs
   * no draft without waiting for a derivation. Without them every update loads its draft.
   */
  admission?: {
    keys: SourceKeys;
    queue: Pick<DerivationQueue, "hasRoom" | "whenRoom">;
  };
  /** Skips the getMe call at start (tests, benchmarks). */
  botInfo?: UserFromGetMe;
  now?: () => Date;
}

/** The bot, and its admission step's state (what waits for room: tests, benchmarks). */
export type TestimonyBot = Bot<BotContext> & { readonly admission?: Admission };

export function createBot(deps: BotDeps): TestimonyBot {
  const bot = new Bot<BotContext>(deps.token, {
    botInfo: deps.botInfo,
    client: { apiRoot: deps.apiRoot },
  });
  bot.api.config.use(autoRetry(RETRY_LIMITS));
  const i18n = createI18n({ defaultLocale: deps.defaultLocale, preferences: deps.preferences });
  const translate: Translator = (locale, key, vars) => i18n.t(locale, key, vars);

  const debugging = deps.logger.isLevelEnabled("debug");
  const logFor = (update: { update_id: number }) =>
    debugging ? deps.logger.child({ updateId: updateFields(update).updateId }) : deps.logger;
  const logError = (error: BotError<BotContext>) => {
    const log = error.ctx.log ?? logFor(error.ctx.update);
    log.error({ err: error.error }, "update failed");
  };
  // bot.catch covers polling; the boundary also covers webhook mode, where bot.catch does not apply.
  bot.catch(logError);
  // One chat's updates are handled in order; different chats run concurrently.
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  const safe = bot.errorBoundary(logError);

  safe.use((ctx, next) => {
    ctx.log = logFor(ctx.update);
    const { kind } = updateFields(ctx.update);
    ctx.log.debug({ kind }, "update");
    return next();
  });
  safe.use(i18n);

  const receipts = new ExpiringMap<ReceiptMemo>(15 * 60_000);
  const codenameWaits = createCodenameWaits();

  // Before the draft is loaded: nothing a person sees first waits for a derivation.
  const admission =
    deps.admission &&
    createAdmission({
      ...deps.admission,
      replay: (update) => bot.handleUpdate(update),
      isExpected: (ctx) => {
        const id = ctx.from?.id as number;
        const key = deps.interview.memoryKey(id);
        return (
          deps.adminIds.includes(id) ||
          codenameWaits.get(key) !== undefined ||
          receipts.get(key) !== undefined
        );
      },
      onError: (error) => deps.logger.error({ err: error }, "waiting update failed"),
    });
  if (admission) safe.use(admission.middleware);
  // The only place drafts are loaded and saved (see draft-session.ts).
  safe.use(
    draftSession({
      store: deps.interview,
      lock: deps.sourceLock,
      withoutDraft: admission?.answeredFromMemory,
    }),
  );
  safe.use(
    createSafetyFeature({
      interview: deps.interview,
      preferences: deps.preferences,
      flood: deps.sourceLimits.flood,
      floodWarning: deps.sourceLimits.floodWarning,
      subscriptions: deps.subscriptions,
      quotas: deps.quotas,
      expectsCodename: (userHash) => codenameWaits.get(userHash) !== undefined,
    }),
  );
  // Before the interview, so an admin's wizard gets the admin's next message; for anyone else
  // the admin feature lets every update pass untouched.
  safe.use(
    createAdminFeature({
      adminIds: deps.adminIds,
      guidance: deps.guidance,
      broadcasts: deps.broadcasts,
      admin: deps.admin,
      defaultLocale: deps.defaultLocale,
      translate,
    }),
  );
  safe.use(
    createInterviewFeature({
      interview: deps.interview,
      apiRoot: deps.apiRoot,
      submissionLimiter: new RateLimiter(deps.limits.maxSubmissionsPerDay, 24 * HOUR),
      receipts,
      preferences: deps.preferences,
      replyNotices: deps.replyNotices,
      now: deps.now,
    }),
  );
  safe.use(
    createCodenameFeature({
      interview: deps.interview,
      submissions: deps.submissions,
      receipts,
      attempts: deps.sourceLimits.codenameAttempts,
      apiRoot: deps.apiRoot,
      quotas: deps.quotas,
      awaiting: codenameWaits,
    }),
  );
  safe.use(
    createEditorsFeature({
      editorsChatId: deps.editorsChatId,
      editorial: deps.editorial,
      exporter: deps.exporter,
      fingerprints: deps.fingerprints,
      actorHash: deps.actorHash,
      replyNotices: deps.replyNotices,
      noticeToSource: async (chatId, locale) => {
        await bot.api.sendMessage(chatId, i18n.t(locale, "source-reply-notice"));
      },
      translate,
    }),
  );
  safe.use(createStartFeature());
  safe.use(
    createSubscriptionsFeature({
      subscriptions: deps.subscriptions,
      guidance: deps.guidance,
      defaultLocale: deps.defaultLocale,
    }),
  );
  safe.use(
    createLanguageFeature({ preferences: deps.preferences, subscriptions: deps.subscriptions }),
  );
  safe.use(createAdminFallbackFeature({ adminIds: deps.adminIds }));
  safe.use(createUnhandledFeature());
  return Object.assign(bot, { admission });
}
