// Per-user preferences (the interface language), in memory only.

import type { Locale } from "../locale.js";
import { ExpiringMap } from "./limits.js";
import { hashTelegramId } from "./sealing.js";

/**
 * The interface language a source picked with /language. Kept in memory only, for a while
 * (DESIGN §3.6): a table of everyone who ever chose a language would list the bot's users, and
 * a seized copy would answer them differently from strangers. During an interview the draft
 * remembers the language too; otherwise Telegram's language decides again after a restart.
 */
export function createPreferencesService(deps: { pepper: Uint8Array; ttlMs?: number }) {
  const hash = (userId: number) => hashTelegramId(deps.pepper, userId, "language");
  const chosen = new ExpiringMap<Locale>(deps.ttlMs ?? 24 * 3600_000);
  return {
    async savedLocale(userId: number): Promise<Locale | undefined> {
      return chosen.get(hash(userId));
    },
    async rememberLocale(userId: number, locale: Locale): Promise<void> {
      chosen.set(hash(userId), locale);
    },
    async forget(userId: number): Promise<void> {
      chosen.delete(hash(userId));
    },
  };
}

export type PreferencesService = ReturnType<typeof createPreferencesService>;
