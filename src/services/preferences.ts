// Per-user preferences (the interface language), remembered under the hashed user id.
import type { PreferencesRepository } from "../storage/preferences.repo.js";
import { ExpiringMap } from "./limits.js";
import { hashTelegramId } from "./sealing.js";

export const LOCALES = ["ru", "en"] as const;
export type Locale = (typeof LOCALES)[number];

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** Telegram's language_code → one of ours; Russian for ru and the languages of its neighbours. */
export function localeFromTelegram(languageCode: string | undefined, fallback: Locale): Locale {
  if (!languageCode) return fallback;
  const base = languageCode.toLowerCase().split("-")[0] ?? "";
  if (["ru", "uk", "be", "kk", "ky", "hy", "ka", "uz", "tg", "az"].includes(base)) return "ru";
  if (base === "en") return "en";
  return fallback;
}

export function createPreferencesService(deps: {
  repo: PreferencesRepository;
  pepper: Uint8Array;
}) {
  const hash = (userId: number) => hashTelegramId(deps.pepper, userId);
  // Every update needs the language: a short-lived cache saves a query per update. Short, so a
  // change made through another instance (webhook mode) shows within a minute.
  const cache = new ExpiringMap<Locale | "none">(60_000);
  return {
    async savedLocale(userId: number): Promise<Locale | undefined> {
      const key = hash(userId);
      const cached = cache.get(key);
      if (cached !== undefined) return cached === "none" ? undefined : cached;
      const saved = await deps.repo.findLocale(key);
      const locale = isLocale(saved) ? saved : undefined;
      cache.set(key, locale ?? "none");
      return locale;
    },
    async rememberLocale(userId: number, locale: Locale): Promise<void> {
      await deps.repo.saveLocale(hash(userId), locale);
      cache.set(hash(userId), locale);
    },
    async forget(userId: number): Promise<void> {
      await deps.repo.forget(hash(userId));
      cache.delete(hash(userId));
    },
  };
}

export type PreferencesService = ReturnType<typeof createPreferencesService>;
