// "Type your codename": asked by the receipt (the typed-back check) and by /codename (a lookup).
// One prompt at a time per source: an earlier one, with its "not found" answers, leaves the chat.
import { type ChatTypeContext, InlineKeyboard } from "grammy";
import type { CodenameWait, CodenameWaits } from "../services/submissions/receipts.js";
import { receiptButtons } from "./callback-data/receipt.js";
import type { BotContext } from "./context.js";
import { wipeIds } from "./wipe.js";

export async function promptForCodename(
  ctx: ChatTypeContext<BotContext, "private">,
  awaiting: CodenameWaits,
  key: string,
  mode: CodenameWait["mode"],
  commandId?: number,
) {
  const previous = awaiting.get(key);
  if (previous) await wipeIds(ctx.api, ctx.chat.id, previous.messageIds);
  const text = mode === "check" ? ctx.t("receipt-check-prompt") : ctx.t("codename-prompt");
  const keyboard =
    mode === "check"
      ? new InlineKeyboard().text(
          ctx.t("receipt-button-skip-check"),
          receiptButtons.skipCheck.pack({}),
        )
      : undefined;
  const sent = await ctx.reply(text, { reply_markup: keyboard });
  const messageIds = commandId === undefined ? [] : [commandId];
  awaiting.set(key, { mode, messageIds: [...messageIds, sent.message_id] });
}
