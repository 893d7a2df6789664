// Fluent translations from locales/*.ftl; the language is the user's saved choice, else their
// Telegram language, else DEFAULT_LOCALE. The editors' chat has one language of its own
// (EDITORS_LOCALE), whoever writes there, so a card never changes language with the presser.
import { fileURLToPath } from "node:url";
import { I18n } from "@grammyjs/i18n";
import { type Locale, localeFromTelegram } from "../services/locale.js";
import type { PreferencesService } from "../services/sources/preferences.js";
import type { BotContext } from "./context.js";

export const LOCALES_DIR = fileURLToPath(new URL("../../locales", import.meta.url));

export function createI18n(deps: {
  defaultLocale: Locale;
  preferences?: PreferencesService;
  editorsChat?: { id: number; locale: Locale };
}) {
  return new I18n<BotContext>({
    defaultLocale: deps.defaultLocale,
    directory: LOCALES_DIR,
    // Isolation marks would end up inside codenames and commands that people copy.
    fluentBundleOptions: { useIsolating: false },
    localeNegotiator: async (ctx) => {
      const chat = ctx.chat;
      if (deps.editorsChat && chat?.id === deps.editorsChat.id && chat.type !== "private") {
        return deps.editorsChat.locale;
      }
      const from = ctx.from;
      if (!from) return deps.defaultLocale;
      const saved = await deps.preferences?.savedLocale(from.id);
      return saved ?? localeFromTelegram(from.language_code, deps.defaultLocale);
    },
  });
}
