// The first call to Telegram at start (getMe), made without auto-retry so that a rejected token
// stops the start with one line, and an unreachable API root is said out loud while retrying.
import { Api, GrammyError, HttpError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Logger } from "../logger.js";

/** Telegram answered, and refused the token: nothing to retry. */
export class TokenRejectedError extends Error {
  override readonly name = "TokenRejectedError";
  readonly safeToLog = true;

  constructor(readonly code: number) {
    super(`Telegram rejected BOT_TOKEN (${code}): check it with @BotFather`);
  }
}

export interface TelegramCheckOptions {
  token: string;
  apiRoot: string;
  logger: Logger;
  /** First wait between attempts; it doubles up to maxDelayMs. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * getMe until Telegram answers. A 401 or 404 (unknown or malformed token) throws
 * TokenRejectedError; a network error, a 5xx or a 429 is logged (address, error class, attempt)
 * and retried.
 */
export async function waitForTelegram(options: TelegramCheckOptions): Promise<UserFromGetMe> {
  const api = new Api(options.token, { apiRoot: options.apiRoot });
  let delay = options.firstDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await api.getMe();
    } catch (error) {
      if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
        throw new TokenRejectedError(error.error_code);
      }
      const busy =
        error instanceof GrammyError && (error.error_code >= 500 || error.error_code === 429);
      if (!(error instanceof HttpError) && !busy) throw error;
      // Only the class of the network error: its message may quote the URL, which holds the token.
      const why =
        error instanceof HttpError ? networkErrorClass(error) : `HTTP ${error.error_code}`;
      options.logger.warn(
        { apiRoot: options.apiRoot, reason: why, attempt, retryInMs: delay },
        `cannot reach TELEGRAM_API_ROOT (${options.apiRoot}): ${why}; retrying`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, options.maxDelayMs ?? 60_000);
    }
  }
}

function networkErrorClass(error: HttpError): string {
  const cause = error.error as { code?: unknown; name?: unknown } | undefined;
  if (typeof cause?.code === "string" && /^[A-Z_]+$/.test(cause.code)) return cause.code;
  if (typeof cause?.name === "string") return cause.name;
  return "network error";
}
