// Last in the chain: anything no feature took gets a polite, localised answer in private chats.
import { Composer } from "grammy";
import type { BotContext } from "../context.js";

export function createUnhandledFeature() {
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType("private");

  privateChat.on("callback_query", async (ctx) => {
    await ctx.answerCallbackQuery({ text: ctx.t("unhandled-button"), show_alert: true });
  });

  // Edits are not answered: a reply to each edit would be noise.
  privateChat.on("message", (ctx) => ctx.reply(ctx.t("unhandled-text")));

  return feature;
}
