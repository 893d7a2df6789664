// Subscribing to the newsroom's guidance (/subscribe, /unsubscribe, the button under the
// briefing) and reading the current guidance (/guidance). Answers are in the reader's language.
import { type ChatTypeContext, Composer, InlineKeyboard } from "grammy";
import type { GuidanceService } from "../../services/guidance/guidance.js";
import type { SubscriptionsService } from "../../services/guidance/subscriptions.js";
import { isLocale, type Locale } from "../../services/locale.js";
import { sendContent } from "../broadcast-delivery.js";
import { subscribeButton } from "../callback-data/subscriptions.js";
import type { BotContext } from "../context.js";

export function subscribeKeyboard(ctx: BotContext) {
  return new InlineKeyboard().text(ctx.t("subscribe-button"), subscribeButton.pack({}));
}

export function createSubscriptionsFeature(deps: {
  subscriptions: SubscriptionsService;
  guidance: GuidanceService;
  defaultLocale: Locale;
}) {
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType("private");

  const localeOf = async (ctx: BotContext): Promise<Locale> => {
    const locale = await ctx.i18n.getLocale();
    return isLocale(locale) ? locale : deps.defaultLocale;
  };

  const subscribe = async (ctx: ChatTypeContext<BotContext, "private">) => {
    const locale = await localeOf(ctx);
    const language = ctx.t(`language-name-${locale}`);
    const added = await deps.subscriptions.subscribe(ctx.chat.id, locale);
    await ctx.reply(ctx.t(added ? "subscribe-done" : "subscribe-already", { language }));
  };

  privateChat.command("subscribe", subscribe);

  privateChat.callbackQuery(subscribeButton.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await subscribe(ctx);
  });

  privateChat.command("unsubscribe", async (ctx) => {
    const removed = await deps.subscriptions.unsubscribe(ctx.chat.id);
    await ctx.reply(ctx.t(removed ? "unsubscribe-done" : "unsubscribe-none"));
  });

  privateChat.command("guidance", async (ctx) => {
    const locale = await localeOf(ctx);
    const guidance = await deps.guidance.forReader(locale);
    if (!guidance) {
      await ctx.reply(ctx.t("guidance-none"));
      return;
    }
    if (guidance.locale !== locale) {
      await ctx.reply(
        ctx.t("guidance-fallback", { language: ctx.t(`language-name-${guidance.locale}`) }),
      );
    }
    const subscribed = (await deps.subscriptions.localeOf(ctx.chat.id)) !== undefined;
    await sendContent(ctx.api, ctx.chat.id, guidance, {
      reply_markup: subscribed ? undefined : subscribeKeyboard(ctx),
    });
  });

  return feature;
}
