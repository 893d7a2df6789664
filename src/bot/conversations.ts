// The conversations plugin for the short wizards (an admin's /guidance_set and /broadcast, an
// editor's /reply). Their state is in memory only and expires: nothing of them is at rest, so a
// restart, or another instance behind the same webhook, does not know a wizard begun here and
// says "start again". The interview keeps its own engine (raw updates must not be at rest).
import { type ConversationData, conversations, type VersionedState } from "@grammyjs/conversations";
import type { Context, StorageAdapter } from "grammy";
import { ExpiringMap } from "../services/sources/limits.js";
import { API_RETRY, type ApiRetryOptions, apiRetry } from "./api-retry.js";
import type { BotContext } from "./context.js";

/** Translates for one locale, e.g. the locale of whoever started a wizard. */
export type Translate = (key: string, vars?: Record<string, string | number>) => string;
/** Translates into any locale (the bot's i18n); inside a conversation, ctx.t is not available. */
export type Translator = (
  locale: string,
  key: string,
  vars?: Record<string, string | number>,
) => string;

/**
 * The plugin for one feature's composer, keyed by chat, forgetting a chat's wizards `expiresMs`
 * after its last update. The Bot API retries are installed on the API inside conversations too:
 * they build their own API object per update, which transformers on bot.api do not reach.
 */
export function wizardConversations(expiresMs: number, retry: ApiRetryOptions = API_RETRY) {
  return conversations<BotContext, Context>({
    storage: {
      type: "key",
      adapter: expiringWizardStorage<VersionedState<ConversationData>>(expiresMs),
    },
    plugins: [
      (ctx, next) => {
        ctx.api.config.use(apiRetry(retry));
        return next();
      },
    ],
  });
}

/**
 * A wizard's state in memory, gone `expiresMs` after its last write even if the chat never
 * writes again (grammY's MemorySessionStorage forgets an entry only when it is read).
 */
export function expiringWizardStorage<T>(expiresMs: number): StorageAdapter<T> & { size: number } {
  const states = new ExpiringMap<T>(expiresMs);
  return {
    read: (key) => states.get(key),
    write: (key, value) => states.set(key, value),
    delete: (key) => states.delete(key),
    get size() {
      return states.size;
    },
  };
}
