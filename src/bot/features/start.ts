import { Composer, InlineKeyboard } from "grammy";
import type { BotContext } from "../context.js";
import { interviewButtons } from "../interview-view.js";
import { codenameButtons } from "./codename.js";
import { subscribeButton } from "./subscriptions.js";

export function createStartFeature() {
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType("private");

  privateChat.command("start", async (ctx) => {
    await ctx.reply(`${ctx.t("start-briefing")}\n\n${ctx.t("start-choose-language")}`, {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      reply_markup: new InlineKeyboard()
        .text(ctx.t("start-button-begin"), interviewButtons.begin.pack({}))
        .row()
        .text(ctx.t("start-button-codename"), codenameButtons.start.pack({}))
        .row()
        .text(ctx.t("subscribe-button"), subscribeButton.pack({})),
    });
  });

  privateChat.command("help", (ctx) => ctx.reply(ctx.t("help-text")));

  privateChat.command("privacy", (ctx) => ctx.reply(ctx.t("privacy-text"), { parse_mode: "HTML" }));

  return feature;
}
