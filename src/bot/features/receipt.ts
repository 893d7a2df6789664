// The receipt after a submission: the codename shown once, "Written down, delete it", "Show it
// again", and the typed-back check that the source really wrote it down. The codename is held in
// memory for a few minutes only (services/submissions/receipts.ts); nothing at rest links this chat
// to the submission.
import { type ChatTypeContext, Composer, InlineKeyboard } from "grammy";
import type { InterviewService } from "../../services/interview/draft-store.js";
import type { SourceLimit } from "../../services/sources/limits.js";
import { normaliseCodename } from "../../services/submissions/codename.js";
import type { CodenameWaits, ReceiptMemo, Receipts } from "../../services/submissions/receipts.js";
import { receiptButtons } from "../callback-data/receipt.js";
import { promptForCodename } from "../codename-prompt.js";
import type { BotContext } from "../context.js";
import { wipeIds } from "../wipe.js";

type PrivateContext = ChatTypeContext<BotContext, "private">;

export function createReceiptFeature(deps: {
  interview: Pick<InterviewService, "memoryKey">;
  receipts: Receipts;
  /** Shared with the codename lookup: one "type your codename" prompt at a time. */
  awaiting: CodenameWaits;
  /** Wrong codenames per hour: a source over it is not checked either. */
  attempts: SourceLimit;
}) {
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType("private");
  const keyOf = (ctx: PrivateContext) => deps.interview.memoryKey(ctx.from.id);

  /** Shows the codename just issued; it comes last, so deleting it leaves the final message. */
  const issue = async (ctx: PrivateContext, memo: ReceiptMemo) => {
    await ctx.reply(ctx.t("receipt-codename", { codename: memo.codename }), {
      parse_mode: "HTML",
      reply_markup: new InlineKeyboard().text(
        ctx.t("receipt-button-written"),
        receiptButtons.hide.pack({}),
      ),
    });
    deps.receipts.set(keyOf(ctx), memo);
  };

  // "Written down, delete it": the codename leaves the chat; then a check from the source's notes.
  privateChat.callbackQuery(receiptButtons.hide.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.deleteMessage().catch(() => {});
    await promptForCodename(ctx, deps.awaiting, keyOf(ctx), "check");
  });

  privateChat.callbackQuery(receiptButtons.show.filter, async (ctx) => {
    const memo = deps.receipts.get(keyOf(ctx));
    if (!memo) {
      await ctx.answerCallbackQuery({ text: ctx.t("receipt-gone"), show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await ctx.deleteMessage().catch(() => {});
    await ctx.reply(ctx.t("receipt-codename", { codename: memo.codename }), {
      parse_mode: "HTML",
      reply_markup: new InlineKeyboard().text(
        ctx.t("receipt-button-written"),
        receiptButtons.hide.pack({}),
      ),
    });
  });

  privateChat.callbackQuery(receiptButtons.skipCheck.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    const waiting = deps.awaiting.get(keyOf(ctx));
    deps.awaiting.delete(keyOf(ctx));
    deps.receipts.delete(keyOf(ctx));
    await ctx.deleteMessage().catch(() => {});
    if (waiting) await wipeIds(ctx.api, ctx.chat.id, waiting.messageIds);
  });

  // The typed-back check; without a receipt in memory the codename lookup takes the text.
  privateChat.on("message:text", async (ctx, next) => {
    const key = keyOf(ctx);
    const waiting = deps.awaiting.get(key);
    const memo = waiting?.mode === "check" ? deps.receipts.get(key) : undefined;
    const text = ctx.message.text;
    if (!waiting || !memo || text.startsWith("/")) return next();
    // The codename must not stay in the chat.
    await ctx.deleteMessage().catch(() => {});
    if (!(await deps.attempts.check(ctx.from.id))) {
      await ctx.reply(ctx.t("codename-too-many-attempts"));
      return;
    }
    // Compared with the codename just issued, held in memory: hashing it again would protect
    // nothing and cost a memory-hard derivation. A slip is not counted against the attempt limit:
    // there is nothing to guess at, and a counter row would say this account just sent a testimony.
    if (normaliseCodename(text) !== normaliseCodename(memo.codename)) {
      const sent = await ctx.reply(ctx.t("codename-not-found"), {
        reply_markup: new InlineKeyboard().text(
          ctx.t("receipt-button-show-again"),
          receiptButtons.show.pack({}),
        ),
      });
      waiting.messageIds.push(sent.message_id);
      deps.awaiting.set(key, waiting);
      return;
    }
    deps.awaiting.delete(key);
    await wipeIds(ctx.api, ctx.chat.id, waiting.messageIds);
    // Leave only the final message, now saying that the codename was checked.
    deps.receipts.delete(key);
    await ctx.api
      .editMessageText(
        ctx.chat.id,
        memo.finalMessageId,
        `${memo.finalText}\n\n${ctx.t("receipt-checked")}`,
        { parse_mode: "HTML" },
      )
      .catch(() => ctx.reply(ctx.t("receipt-checked")));
  });

  return { feature, issue };
}
