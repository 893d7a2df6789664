// createBot(deps): composes the features. Knows nothing about SQL or OpenPGP.
import { autoRetry } from "@grammyjs/auto-retry";
import { Bot, type BotError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Logger } from "../logger.js";
import type { Locale, PreferencesService } from "../services/preferences.js";
import type { BotContext } from "./context.js";
import { createLanguageFeature } from "./features/language.js";
import { createStartFeature } from "./features/start.js";
import { createUnhandledFeature } from "./features/unhandled.js";
import { createI18n } from "./i18n.js";

export interface BotDeps {
  token: string;
  apiRoot: string;
  defaultLocale: Locale;
  logger: Logger;
  preferences: PreferencesService;
  /** Skips the getMe call at start (tests, benchmarks). */
  botInfo?: UserFromGetMe;
}

/** Auto-retry with finite limits: a flood wait longer than this fails instead of hanging. */
export const RETRY_LIMITS = { maxRetryAttempts: 3, maxDelaySeconds: 30 };

export function createBot(deps: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.token, {
    botInfo: deps.botInfo,
    client: { apiRoot: deps.apiRoot },
  });
  bot.api.config.use(autoRetry(RETRY_LIMITS));

  const logError = (error: BotError<BotContext>) => {
    const log = error.ctx.log ?? deps.logger.child({ updateId: error.ctx.update.update_id });
    log.error({ err: error.error }, "update failed");
  };
  // bot.catch covers polling; the boundary also covers webhook mode, where bot.catch does not apply.
  bot.catch(logError);
  const safe = bot.errorBoundary(logError);

  safe.use((ctx, next) => {
    ctx.log = deps.logger.child({ updateId: ctx.update.update_id });
    return next();
  });
  safe.use(createI18n({ defaultLocale: deps.defaultLocale, preferences: deps.preferences }));

  safe.use(createStartFeature());
  safe.use(createLanguageFeature({ preferences: deps.preferences }));
  safe.use(createUnhandledFeature());
  return bot;
}
