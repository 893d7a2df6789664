// createBot(deps): composes the features. Knows nothing about SQL or OpenPGP.
import { autoRetry } from "@grammyjs/auto-retry";
import { sequentialize } from "@grammyjs/runner";
import { Bot, type BotError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Logger } from "../logger.js";
import type { InterviewService } from "../services/interview.js";
import { ExpiringMap, RateLimiter } from "../services/limits.js";
import type { Locale, PreferencesService } from "../services/preferences.js";
import type { SubmissionReceipt, SubmissionsService } from "../services/submissions.js";
import type { BotContext } from "./context.js";
import { createCodenameFeature } from "./features/codename.js";
import { createInterviewFeature, type ReceiptMemo } from "./features/interview.js";
import { createLanguageFeature } from "./features/language.js";
import { createSafetyFeature } from "./features/safety.js";
import { createStartFeature } from "./features/start.js";
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
  limits: {
    maxTextLength: number;
    maxSubmissionsPerDay: number;
    codenameAttemptsPerHour: number;
    floodMessagesPerMinute: number;
  };
  /** Skips the getMe call at start (tests, benchmarks). */
  botInfo?: UserFromGetMe;
  now?: () => Date;
}

/** Auto-retry with finite limits: a flood wait longer than this fails instead of hanging. */
export const RETRY_LIMITS = { maxRetryAttempts: 3, maxDelaySeconds: 30 };

const HOUR = 3600_000;

export function createBot(deps: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.token, {
    botInfo: deps.botInfo,
    client: { apiRoot: deps.apiRoot },
  });
  bot.api.config.use(autoRetry(RETRY_LIMITS));
  const i18n = createI18n({ defaultLocale: deps.defaultLocale, preferences: deps.preferences });

  const logError = (error: BotError<BotContext>) => {
    const log = error.ctx.log ?? deps.logger.child({ updateId: error.ctx.update.update_id });
    log.error({ err: error.error }, "update failed");
  };
  // bot.catch covers polling; the boundary also covers webhook mode, where bot.catch does not apply.
  bot.catch(logError);
  // One chat's updates are handled in order; different chats run concurrently.
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  const safe = bot.errorBoundary(logError);

  safe.use((ctx, next) => {
    ctx.log = deps.logger.child({ updateId: ctx.update.update_id });
    // The kind of update only (message, callback_query…), never its content.
    ctx.log.debug({ kind: Object.keys(ctx.update).find((k) => k !== "update_id") }, "update");
    return next();
  });
  safe.use(i18n);

  const receipts = new ExpiringMap<ReceiptMemo>(15 * 60_000);
  const notifyEditors = async (receipt: SubmissionReceipt) => {
    if (deps.editorsChatId === undefined) return;
    const today = (deps.now?.() ?? new Date()).toISOString().slice(0, 10);
    await bot.api.sendMessage(
      deps.editorsChatId,
      i18n.t(deps.defaultLocale, "editors-new-submission", {
        number: receipt.number,
        version: receipt.questionnaireVersion,
        answers: receipt.answers,
        attachments: receipt.attachments,
        locale: receipt.locale,
        day: today,
      }),
    );
  };

  safe.use(
    createSafetyFeature({
      interview: deps.interview,
      preferences: deps.preferences,
      floodLimiter: new RateLimiter(deps.limits.floodMessagesPerMinute, 60_000),
    }),
  );
  safe.use(
    createInterviewFeature({
      interview: deps.interview,
      submissions: deps.submissions,
      apiRoot: deps.apiRoot,
      maxTextLength: deps.limits.maxTextLength,
      submissionLimiter: new RateLimiter(deps.limits.maxSubmissionsPerDay, 24 * HOUR),
      receipts,
      notifyEditors,
      now: deps.now,
    }),
  );
  safe.use(
    createCodenameFeature({
      interview: deps.interview,
      submissions: deps.submissions,
      receipts,
      attemptLimiter: new RateLimiter(deps.limits.codenameAttemptsPerHour, HOUR),
      apiRoot: deps.apiRoot,
    }),
  );
  safe.use(createStartFeature());
  safe.use(createLanguageFeature({ preferences: deps.preferences }));
  safe.use(createUnhandledFeature());
  return bot;
}
