// createBot(deps): composes the features. Knows nothing about SQL or OpenPGP.
import { sequentialize } from "@grammyjs/runner";
import { Bot, type BotError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { classify } from "../faults.js";
import { type Logger, updateFields } from "../logger.js";
import type { KeySetService } from "../services/crypto/key-set.js";
import type { AdminService } from "../services/guidance/admin.js";
import type { BroadcastService } from "../services/guidance/broadcast.js";
import type { GuidanceService } from "../services/guidance/guidance.js";
import type { SubscriptionsService } from "../services/guidance/subscriptions.js";
import type { InterviewService } from "../services/interview/draft-store.js";
import type { Locale } from "../services/locale.js";
import type { DerivationQueue } from "../services/sources/derivation-queue.js";
import type { SourceKeys } from "../services/sources/keys.js";
import type { SourceLimits } from "../services/sources/limits.js";
import { SourceBusyError } from "../services/sources/locks.js";
import type { PreferencesService } from "../services/sources/preferences.js";
import type { ReplyNotices } from "../services/sources/reply-notices.js";
import type { EditorialService } from "../services/submissions/editorial.js";
import type { ExportService } from "../services/submissions/export.js";
import type { QuotaService } from "../services/submissions/quotas.js";
import {
  createCodenameWaits,
  createReceipts,
  createSubmissionLimiter,
} from "../services/submissions/receipts.js";
import type { SubmissionsService } from "../services/submissions/submit.js";
import { type Admission, createAdmission } from "./admission.js";
import { type ApiRetryOptions, apiRetry, lenientCallbackAnswers } from "./api-retry.js";
import type { BotContext } from "./context.js";
import type { Translator } from "./conversations.js";
import { draftSession, type SourceLock } from "./draft-session.js";
import { createAdminFallbackFeature, createAdminFeature } from "./features/admin/index.js";
import { createCodenameFeature } from "./features/codename.js";
import { createEditorKeysFeature } from "./features/editor-keys.js";
import { createEditorsFeature } from "./features/editors/index.js";
import { createInterviewFeature } from "./features/interview.js";
import { createLanguageFeature } from "./features/language.js";
import { createReceiptFeature } from "./features/receipt.js";
import { createSafetyFeature } from "./features/safety.js";
import { createStartFeature } from "./features/start.js";
import { createSubscriptionsFeature } from "./features/subscriptions.js";
import { createUnhandledFeature } from "./features/unhandled.js";
import { createI18n } from "./i18n.js";
import { interviewStorage } from "./interview-storage.js";
import { createOutageLog, handleWithRetries, type UpdateRetryOptions } from "./update-retry.js";

export interface BotDeps {
  token: string;
  apiRoot: string;
  defaultLocale: Locale;
  editorsChatId?: number;
  /** The one language of the editors' chat: notices, cards, confirmations, whoever presses. */
  editorsLocale?: Locale;
  logger: Logger;
  preferences: PreferencesService;
  interview: InterviewService;
  submissions: SubmissionsService;
  /** Per-testimony limits on additions, and the storage limit. */
  quotas: QuotaService;
  editorial: EditorialService;
  exporter: ExportService;
  /** The editors' key set: /keys and confirming an added key (features/editor-keys.ts). */
  keySet: KeySetService;
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
  sourceLimits: Pick<SourceLimits, "flood" | "floodWarning" | "codenameAttempts" | "shared">;
  /** "Tell me here about a reply": chat ids kept in memory only. */
  replyNotices: ReplyNotices;
  /** Holds one source's updates apart across instances (PostgreSQL); none: this process only. */
  sourceLock?: SourceLock;
  /** How long Bot API calls and whole updates keep being tried (tests make them short). */
  apiRetry?: ApiRetryOptions;
  updateRetry?: UpdateRetryOptions;
  /** A safer way to reach the newsroom, per language (SAFER_CHANNEL_TEXT_*); unset: not shown. */
  saferChannel?: Partial<Record<Locale, string | undefined>>;
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
  bot.api.config.use(apiRetry(deps.apiRetry), lenientCallbackAnswers);
  const i18n = createI18n({
    defaultLocale: deps.defaultLocale,
    preferences: deps.preferences,
    editorsChat:
      deps.editorsChatId === undefined
        ? undefined
        : { id: deps.editorsChatId, locale: deps.editorsLocale ?? deps.defaultLocale },
  });
  const translate: Translator = (locale, key, vars) => i18n.t(locale, key, vars);

  const debugging = deps.logger.isLevelEnabled("debug");
  const logFor = (update: { update_id: number }) =>
    debugging ? deps.logger.child({ updateId: updateFields(update).updateId }) : deps.logger;
  // The boundary: a failure that will pass (faults.ts) goes on up, so the update is handled
  // again (update-retry.ts) and nothing of it is lost; a busy source and a full disk are said to
  // the source; any other failure is logged and the update is done with, so it is not delivered
  // forever.
  const onError = async (error: BotError<BotContext>) => {
    const { ctx } = error;
    const log = ctx.log ?? logFor(ctx.update);
    let failure = error.error;
    if (failure instanceof SourceBusyError) {
      // The source's previous update is still being handled (here or on another instance) and
      // the bounded wait ran out: nothing of this one was kept (draft-session.ts), and the
      // source is asked to send it again. Not tried again here: the source decides.
      log.warn("source busy: update not handled");
      try {
        await tellSource(ctx, "interview-busy");
        return;
      } catch (answerFailed) {
        // Telling them failed (Telegram away, the chat blocked): sorted like any other failure.
        failure = answerFailed;
      }
    }
    const fault = classify(failure);
    if (fault.class === "transient") throw failure;
    if (fault.class === "disk-full") {
      log.error({ err: failure }, "disk full: the update was not stored");
      await tellSource(ctx, "safety-disk-full").catch(() => {});
      return;
    }
    log.error({ err: failure }, "update failed");
  };
  // Long polling, after the retries: the update is given up, and the line says why.
  bot.catch((error) => {
    const log = error.ctx.log ?? logFor(error.ctx.update);
    const transient = classify(error.error).class === "transient";
    log.error({ err: error.error }, transient ? "update given up after retries" : "update failed");
  });
  // Both ways in (the runner and the webhook) call bot.handleUpdate.
  bot.handleUpdate = handleWithRetries(bot.handleUpdate.bind(bot), {
    outages: createOutageLog(deps.logger),
    logger: deps.logger,
    options: deps.updateRetry,
  });
  // One chat's updates are handled in order; different chats run concurrently.
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  const safe = bot.errorBoundary(onError);

  safe.use((ctx, next) => {
    ctx.log = logFor(ctx.update);
    const { kind } = updateFields(ctx.update);
    ctx.log.debug({ kind }, "update");
    return next();
  });
  safe.use(i18n);

  const receipts = createReceipts();
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
      awaitsCodename: (ctx) =>
        codenameWaits.get(deps.interview.memoryKey(ctx.from?.id as number)) !== undefined,
      onError: (error) => deps.logger.error({ err: error }, "waiting update failed"),
    });
  if (admission) safe.use(admission.middleware);
  // The only place drafts are loaded and saved (see draft-session.ts). Drafts exist in private
  // chats only; an update admission.ts answered from memory finds none, and nothing is written.
  safe.use(
    draftSession({
      storage: interviewStorage(deps.interview),
      lock: deps.sourceLock,
      getSessionKey: (ctx) =>
        ctx.chat?.type === "private" && !admission?.answeredFromMemory(ctx)
          ? ctx.from?.id
          : undefined,
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
  const receipt = createReceiptFeature({
    interview: deps.interview,
    receipts,
    awaiting: codenameWaits,
    attempts: deps.sourceLimits.codenameAttempts,
  });
  safe.use(
    createInterviewFeature({
      interview: deps.interview,
      apiRoot: deps.apiRoot,
      submissionLimiter: createSubmissionLimiter(deps.limits.maxSubmissionsPerDay),
      issueReceipt: receipt.issue,
      preferences: deps.preferences,
      replyNotices: deps.replyNotices,
      beginsBeforeKey: admission?.beginsBeforeKey,
      sharedByInstances: deps.sourceLimits.shared,
      now: deps.now,
    }),
  );
  safe.use(receipt.feature);
  safe.use(
    createCodenameFeature({
      interview: deps.interview,
      submissions: deps.submissions,
      attempts: deps.sourceLimits.codenameAttempts,
      apiRoot: deps.apiRoot,
      quotas: deps.quotas,
      awaiting: codenameWaits,
    }),
  );
  // Before the editors' feature: its /keys answers here, with each key's state.
  safe.use(
    createEditorKeysFeature({
      editorsChatId: deps.editorsChatId,
      keySet: deps.keySet,
      actorHash: deps.actorHash,
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
  safe.use(
    createStartFeature({
      saferChannel: deps.saferChannel ?? {},
      isSubscribed: async (chatId) => (await deps.subscriptions.localeOf(chatId)) !== undefined,
    }),
  );
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

/**
 * Nothing of the update was kept (a full disk, a busy source): the source hears so, calmly, and
 * may send it again later. A button press is answered with an alert.
 */
async function tellSource(ctx: BotContext, key: "safety-disk-full" | "interview-busy") {
  if (ctx.chat?.type !== "private") return;
  const text = ctx.t(key);
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text, show_alert: true });
  else await ctx.reply(text);
}
