// The languages the bot speaks (locales/*.ftl), and how Telegram's language code maps onto them.

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
