import { Composer, InlineKeyboard } from "grammy";
import type { SubscriptionsService } from "../../services/guidance/subscriptions.js";
import { isLocale, LOCALES } from "../../services/locale.js";
import type { PreferencesService } from "../../services/sources/preferences.js";
import { createCallbackData } from "../callback-data/define.js";
import type { BotContext } from "../context.js";

/** "Русский" / "English" under /language: the data is the locale. */
export const languageChoice = createCallbackData("lang", ["locale"]);

export function languageKeyboard(ctx: BotContext) {
  const keyboard = new InlineKeyboard();
  for (const locale of LOCALES) {
    keyboard.text(ctx.t(`language-button-${locale}`), languageChoice.pack({ locale }));
  }
  return keyboard;
}

export function createLanguageFeature(deps: {
  preferences: PreferencesService;
  /** A subscriber's guidance follows their language. */
  subscriptions?: SubscriptionsService;
}) {
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType("private");

  privateChat.command("language", (ctx) =>
    ctx.reply(ctx.t("language-choose"), { reply_markup: languageKeyboard(ctx) }),
  );

  privateChat.callbackQuery(languageChoice.filter, async (ctx) => {
    const locale = languageChoice.unpack(ctx.callbackQuery.data)?.locale;
    if (!isLocale(locale)) return ctx.answerCallbackQuery();
    await deps.preferences.rememberLocale(ctx.from.id, locale);
    await deps.subscriptions?.updateLocale(ctx.chat.id, locale);
    ctx.i18n.useLocale(locale);
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(ctx.t("language-saved"));
  });

  return feature;
}
