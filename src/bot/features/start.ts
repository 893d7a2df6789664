// The briefing (/start), /help and /privacy: what is kept, what Telegram sees, how to stay safer,
// and where the most exposed sources can reach the newsroom outside Telegram (when set).
import { Composer, InlineKeyboard } from "grammy";
import { isLocale, type Locale } from "../../services/locale.js";
import { codenameButtons } from "../callback-data/codename.js";
import { subscribeButton } from "../callback-data/subscriptions.js";
import type { BotContext } from "../context.js";
import { escapeHtml, interviewButtons } from "../interview-view.js";

export interface StartFeatureDeps {
  /** SAFER_CHANNEL_TEXT_* per language: shown as given (escaped), nothing when unset. */
  saferChannel: Partial<Record<Locale, string | undefined>>;
  /** A subscriber is not offered "Subscribe to guidance" again. */
  isSubscribed: (chatId: number) => Promise<boolean>;
}

export function createStartFeature(deps: StartFeatureDeps) {
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType("private");

  const saferChannelOf = async (ctx: BotContext) => {
    const locale = await ctx.i18n.getLocale();
    const text = isLocale(locale) ? deps.saferChannel[locale] : undefined;
    return text ? escapeHtml(text) : undefined;
  };

  privateChat.command("start", async (ctx) => {
    const channel = await saferChannelOf(ctx);
    const saferChannels = channel
      ? ctx.t("start-safer-channels-set", { channel })
      : ctx.t("start-safer-channels");
    const keyboard = new InlineKeyboard()
      .text(ctx.t("start-button-begin"), interviewButtons.begin.pack({}))
      .row()
      .text(ctx.t("start-button-codename"), codenameButtons.start.pack({}));
    if (!(await deps.isSubscribed(ctx.chat.id))) {
      keyboard.row().text(ctx.t("subscribe-button"), subscribeButton.pack({}));
    }
    const text = [ctx.t("start-briefing"), saferChannels, ctx.t("start-choose-language")];
    await ctx.reply(text.join("\n\n"), {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      reply_markup: keyboard,
    });
  });

  privateChat.command("help", (ctx) => ctx.reply(ctx.t("help-text")));

  privateChat.command("privacy", async (ctx) => {
    const channel = await saferChannelOf(ctx);
    const text = [ctx.t("privacy-text")];
    if (channel) text.push(ctx.t("privacy-safer-channel", { channel }));
    await ctx.reply(text.join("\n\n"), {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
    });
  });

  return feature;
}
