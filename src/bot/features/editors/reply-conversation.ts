// An editor's /reply, from the prompt to Send or Cancel: a conversation held in memory only. Only
// the editor who asked, answering the prompt itself, writes the reply, and nothing reaches the
// source before that editor presses Send under the preview; an unconfirmed preview (plaintext)
// leaves the chat after a while even if nobody writes.
import { randomBytes } from "node:crypto";
import type { Conversation } from "@grammyjs/conversations";
import { type Api, type Context, InlineKeyboard } from "grammy";
import type { ReplyNotices } from "../../../services/sources/reply-notices.js";
import type { EditorialService } from "../../../services/submissions/editorial.js";
import { editorsButtons } from "../../callback-data/editors.js";
import type { BotContext } from "../../context.js";
import type { Translate, Translator } from "../../conversations.js";

/** Telegram's sender id for every anonymous group admin: it names nobody. */
export const GROUP_ANONYMOUS_BOT_ID = 1087968824;
/** How long a prompt or an unconfirmed reply waits. */
export const REPLY_WAIT_MS = 15 * 60_000;

/** An editor's /reply: which submission, who asked, in which language. */
export interface ReplyArgs {
  number: number;
  editorId: number;
  locale: string;
  /** The /reply command the prompt answers (none when the Reply button was pressed). */
  commandId?: number;
}

/** Someone posting as the group or a channel: their messages say nothing about who wrote them. */
export function isAnonymous(ctx: Context): boolean {
  return ctx.message?.sender_chat !== undefined || ctx.from?.id === GROUP_ANONYMOUS_BOT_ID;
}

export function createReplyConversation(deps: {
  editorsChatId: number;
  editorial: EditorialService;
  actorHash: (userId: number) => string;
  replyNotices: ReplyNotices;
  noticeToSource: (chatId: number, locale: string) => Promise<void>;
  translate: Translator;
}) {
  const { editorsChatId } = deps;
  /** Unconfirmed previews (plaintext) leave the chat after a while even if nobody writes. */
  const expiries = new Map<string, NodeJS.Timeout>();
  const deleteAll = async (api: Api, ids: number[]) => {
    for (const id of ids) await api.deleteMessage(editorsChatId, id).catch(() => {});
  };
  const scheduleExpiry = (api: Api, token: string, ids: number[]) => {
    const timer = setTimeout(() => {
      expiries.delete(token);
      void deleteAll(api, ids);
    }, REPLY_WAIT_MS);
    timer.unref();
    expiries.set(token, timer);
  };
  const cancelExpiry = (token: string) => {
    clearTimeout(expiries.get(token));
    expiries.delete(token);
  };

  /**
   * From the prompt to Send or Cancel, held in memory only. Only the editor who asked, answering
   * the prompt itself, writes the reply: a stray remark is never one, and nothing reaches the
   * source before that editor presses Send under the preview.
   */
  async function replyConversation(
    conversation: Conversation<BotContext, Context>,
    ctx: Context,
    args: ReplyArgs,
  ) {
    const t: Translate = (key, vars) => deps.translate(args.locale, key, vars);
    const { number } = args;
    const prompt = await ctx.reply(t("editors-reply-prompt", { number }), {
      reply_markup: { force_reply: true, selective: true },
      ...(args.commandId === undefined
        ? {}
        : {
            reply_parameters: { message_id: args.commandId, allow_sending_without_reply: true },
          }),
    });
    /** The text waiting for Send, and its preview. */
    let draft: { text: string; previewId: number; token: string } | undefined;
    /** Deletes the preview (the plaintext) and, when done, the prompt. */
    const clear = async (api: Api, options: { prompt: boolean }) => {
      const ids = draft ? [draft.previewId] : [];
      if (options.prompt) ids.push(prompt.message_id);
      const token = draft?.token;
      if (token) await conversation.external(() => cancelExpiry(token));
      draft = undefined;
      await deleteAll(api, ids);
    };

    for (;;) {
      const next = await conversation.wait();
      const byEditor = next.from?.id === args.editorId && !isAnonymous(next);
      // A new /reply (or Reply button) or /cancel from the same editor ends this one.
      const data = next.callbackQuery?.data;
      if (
        byEditor &&
        (next.hasCommand(["reply", "cancel"]) || editorsButtons.reply.filter.test(data ?? ""))
      ) {
        await clear(next.api, { prompt: true });
        return await conversation.halt({ next: true });
      }

      const message = next.message;
      if (message?.reply_to_message?.message_id === prompt.message_id) {
        // Someone else answering this prompt: never a reply, and not theirs to cancel.
        if (!byEditor) return await conversation.skip({ next: false });
        // The plaintext leaves the editors' chat whatever happens next.
        const deleted = await next.deleteMessage().then(
          () => true,
          () => false,
        );
        if (message.text === undefined) {
          await next.reply(t("editors-reply-text-only"));
          continue;
        }
        await clear(next.api, { prompt: false });
        const token = await conversation.external(() => randomBytes(9).toString("base64url"));
        const preview = await next.reply(
          [
            t("editors-reply-confirm", { number }),
            "",
            message.text,
            ...(deleted ? [] : ["", t("editors-reply-not-deleted")]),
          ].join("\n"),
          {
            reply_markup: new InlineKeyboard()
              .text(t("editors-button-send"), editorsButtons.send.pack({ token }))
              .text(t("editors-button-cancel-reply"), editorsButtons.cancelReply.pack({ token })),
          },
        );
        draft = { text: message.text, previewId: preview.message_id, token };
        const ids = [preview.message_id, prompt.message_id];
        await conversation.external((outer) => scheduleExpiry(outer.api, token, ids));
        continue;
      }

      const pressed = editorsButtons.send.unpack(data) ?? editorsButtons.cancelReply.unpack(data);
      if (!draft || pressed?.token !== draft.token) return await conversation.skip();
      if (next.from?.id !== args.editorId) {
        await next.answerCallbackQuery({ text: t("editors-reply-not-yours"), show_alert: true });
        continue;
      }
      const text = draft.text;
      await clear(next.api, { prompt: true });
      await next.answerCallbackQuery();
      if (editorsButtons.cancelReply.filter.test(data ?? "")) {
        await next.reply(t("editors-reply-cancelled"));
        return;
      }
      const result = await conversation.external(() =>
        deps.editorial.reply(number, text, deps.actorHash(args.editorId)),
      );
      if (!result.stored) {
        await next.reply(t("editors-not-found", { number }));
        return;
      }
      await next.reply(t("editors-reply-stored", { number }));
      await conversation.external(async () => {
        const noticeChatId = deps.replyNotices.take(result.submissionId);
        if (noticeChatId === undefined) return;
        const row = await deps.editorial.find(number);
        await deps.noticeToSource(noticeChatId, row?.locale ?? "ru").catch(() => {});
      });
      return;
    }
  }

  return replyConversation;
}
