// Fluent translations from locales/*.ftl; the language is the user's saved choice, else their
// Telegram language, else DEFAULT_LOCALE.
import { fileURLToPath } from "node:url";
import { I18n } from "@grammyjs/i18n";
import {
  type Locale,
  localeFromTelegram,
  type PreferencesService,
} from "../services/sources/preferences.js";
import type { BotContext } from "./context.js";

export const LOCALES_DIR = fileURLToPath(new URL("../../locales", import.meta.url));

export function createI18n(deps: { defaultLocale: Locale; preferences?: PreferencesService }) {
  return new I18n<BotContext>({
    defaultLocale: deps.defaultLocale,
    directory: LOCALES_DIR,
    // Isolation marks would end up inside codenames and commands that people copy.
    fluentBundleOptions: { useIsolating: false },
    localeNegotiator: async (ctx) => {
      const from = ctx.from;
      if (!from) return deps.defaultLocale;
      const saved = await deps.preferences?.savedLocale(from.id);
      return saved ?? localeFromTelegram(from.language_code, deps.defaultLocale);
    },
  });
}
