// The editors' group chat: notices with status buttons, export, replies, purge. Only updates from
// EDITORS_CHAT_ID reach this feature; anywhere else these buttons and commands are unknown.
import { createConversation } from "@grammyjs/conversations";
import { Composer, InlineKeyboard, InputFile } from "grammy";
import { LOCALES } from "../../../services/locale.js";
import type { ReplyNotices } from "../../../services/sources/reply-notices.js";
import type { EditorialService } from "../../../services/submissions/editorial.js";
import { isStatus } from "../../../services/submissions/editorial.js";
import {
  archiveName,
  type ExportService,
  VOLUME_SIZE,
} from "../../../services/submissions/export.js";
import { STATUSES } from "../../../services/submissions/submit.js";
import { splitVolumes } from "../../../services/submissions/tar.js";
import { editorsButtons } from "../../callback-data/editors.js";
import type { BotContext } from "../../context.js";
import { type Translator, wizardConversations } from "../../conversations.js";
import { editorsNotice } from "./notice-card.js";
import {
  createReplyConversation,
  isAnonymous,
  REPLY_WAIT_MS,
  type ReplyArgs,
} from "./reply-conversation.js";

export function createEditorsFeature(deps: {
  editorsChatId: number | undefined;
  editorial: EditorialService;
  exporter: ExportService;
  fingerprints: readonly string[];
  actorHash: (userId: number) => string;
  /** Chats of sources who asked to be told about a reply (in memory only). */
  replyNotices: ReplyNotices;
  /** Tells a source who asked for it that there is a reply (no content). */
  noticeToSource: (chatId: number, locale: string) => Promise<void>;
  translate: Translator;
}) {
  const feature = new Composer<BotContext>();
  const { editorsChatId } = deps;
  if (editorsChatId === undefined) return feature;
  // A group chat: the admin feature has its own conversations in private chats.
  const editors = feature.filter(
    (ctx) => ctx.chat?.id === editorsChatId && ctx.chat.type !== "private",
  );
  const replyConversation = createReplyConversation({ ...deps, editorsChatId });

  editors.use(wizardConversations(REPLY_WAIT_MS));
  // Parallel: several editors may each have a reply under way in the one chat.
  editors.use(
    createConversation(replyConversation, {
      id: "reply",
      parallel: true,
      maxMillisecondsToWait: REPLY_WAIT_MS,
    }),
  );

  const notFound = (ctx: BotContext, number: number) =>
    ctx.reply(ctx.t("editors-not-found", { number }));

  const parseNumber = (text: string | undefined) => {
    const match = /^#?№?(\d{1,9})$/.exec((text ?? "").trim());
    return match ? Number(match[1]) : undefined;
  };

  const askForReply = async (ctx: BotContext, number: number) => {
    // Anonymous admins all share one sender id: their reply could be anyone's.
    if (isAnonymous(ctx) || !ctx.from) return ctx.reply(ctx.t("editors-reply-anonymous"));
    if (!(await deps.editorial.find(number))) return notFound(ctx, number);
    const args: ReplyArgs = {
      number,
      editorId: ctx.from.id,
      locale: await ctx.i18n.getLocale(),
      commandId: ctx.message?.message_id,
    };
    await ctx.conversation.enter("reply", args);
  };

  const sendExport = async (ctx: BotContext, number: number) => {
    const row = await deps.editorial.find(number);
    if (!row) return notFound(ctx, number);
    const volumes: Uint8Array[] = [];
    for await (const volume of splitVolumes(deps.exporter.archive(row), VOLUME_SIZE)) {
      volumes.push(volume);
    }
    const name = archiveName(number);
    for (const [index, volume] of volumes.entries()) {
      const fileName =
        volumes.length === 1 ? name : `${name}.${String(index + 1).padStart(3, "0")}`;
      await ctx.replyWithDocument(new InputFile(volume, fileName), {
        caption:
          index === 0
            ? ctx.t("editors-export-caption", { number, volumes: volumes.length })
            : undefined,
      });
    }
  };

  const showNotice = async (ctx: BotContext, number: number) => {
    const summary = await deps.editorial.summary(number);
    if (!summary) return;
    const notice = editorsNotice(ctx.t, summary);
    await ctx
      .editMessageText(notice.text, { reply_markup: notice.keyboard })
      .catch(() => ctx.reply(notice.text, { reply_markup: notice.keyboard }));
  };

  /** The card posted for a testimony, edited in place after a change made by a command. */
  const refreshCard = async (ctx: BotContext, number: number) => {
    const row = await deps.editorial.find(number);
    const summary = await deps.editorial.summary(number);
    if (!row?.noticeMessageId || !summary) return;
    const card = editorsNotice(ctx.t, summary);
    await ctx.api
      .editMessageText(editorsChatId, row.noticeMessageId, card.text, {
        reply_markup: card.keyboard,
      })
      .catch(() => {}); // deleted, or already up to date
  };

  // --- buttons on notices ------------------------------------------------------------------

  // "Open №12" under a batch notice: the submission's card with its buttons.
  editors.callbackQuery(editorsButtons.open.filter, async (ctx) => {
    const number = Number(editorsButtons.open.unpack(ctx.callbackQuery.data)?.number);
    const summary = await deps.editorial.summary(number);
    if (!summary) {
      await ctx.answerCallbackQuery({
        text: ctx.t("editors-not-found", { number }),
        show_alert: true,
      });
      return;
    }
    await ctx.answerCallbackQuery();
    const card = editorsNotice(ctx.t, summary);
    const sent = await ctx.reply(card.text, { reply_markup: card.keyboard });
    await deps.editorial.rememberNotice(number, sent.message_id);
  });

  editors.callbackQuery(editorsButtons.status.filter, async (ctx) => {
    const values = editorsButtons.status.unpack(ctx.callbackQuery.data);
    const number = Number(values?.number);
    const status = values?.status;
    if (!isStatus(status)) return ctx.answerCallbackQuery();
    const updated = await deps.editorial.setStatus(number, status, deps.actorHash(ctx.from.id));
    if (!updated) {
      await ctx.answerCallbackQuery({
        text: ctx.t("editors-not-found", { number }),
        show_alert: true,
      });
      return;
    }
    await ctx.answerCallbackQuery({
      text: ctx.t("editors-status-set", { number, status: ctx.t(`editors-status-${status}`) }),
    });
    await showNotice(ctx, number);
  });

  editors.callbackQuery(editorsButtons.export.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await sendExport(ctx, Number(editorsButtons.export.unpack(ctx.callbackQuery.data)?.number));
  });

  editors.callbackQuery(editorsButtons.reply.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await askForReply(ctx, Number(editorsButtons.reply.unpack(ctx.callbackQuery.data)?.number));
  });

  editors.callbackQuery(editorsButtons.purge.filter, async (ctx) => {
    const number = Number(editorsButtons.purge.unpack(ctx.callbackQuery.data)?.number);
    await ctx.answerCallbackQuery();
    const purged = await deps.editorial.purge(number, deps.actorHash(ctx.from.id));
    await ctx.editMessageText(
      purged ? ctx.t("editors-purged", { number }) : ctx.t("editors-not-found", { number }),
    );
  });

  editors.callbackQuery(editorsButtons.keep.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.deleteMessage().catch(() => {});
  });

  // --- commands -----------------------------------------------------------------------------

  editors.command("help", (ctx) => ctx.reply(ctx.t("editors-help")));

  editors.command("keys", (ctx) =>
    ctx.reply(
      [ctx.t("editors-keys", { count: deps.fingerprints.length }), ...deps.fingerprints].join("\n"),
    ),
  );

  editors.command("list", async (ctx) => {
    const filter = ctx.match.trim();
    if (filter && !isStatus(filter)) {
      return ctx.reply(ctx.t("editors-unknown-status", { statuses: STATUSES.join(", ") }));
    }
    const rows = await deps.editorial.list(isStatus(filter) ? filter : undefined);
    if (rows.length === 0) return ctx.reply(ctx.t("editors-list-empty"));
    const lines = rows.map((row) =>
      ctx.t("editors-list-line", {
        number: row.number,
        day: row.createdOn,
        status: ctx.t(`editors-status-${row.status}`),
        answers: row.answers,
        attachments: row.attachments,
        followups: row.followUps,
        replies: row.replies,
      }),
    );
    await ctx.reply(lines.join("\n"));
  });

  editors.command("export", async (ctx) => {
    const number = parseNumber(ctx.match);
    if (number === undefined) return ctx.reply(ctx.t("editors-usage-export"));
    await sendExport(ctx, number);
  });

  editors.command("status", async (ctx) => {
    const [numberText, status, ...note] = ctx.match.trim().split(/\s+/);
    const number = parseNumber(numberText);
    if (number === undefined || !isStatus(status)) {
      return ctx.reply(ctx.t("editors-usage-status", { statuses: STATUSES.join(", ") }));
    }
    const noteText = note.join(" ").trim();
    const editor = ctx.from;
    if (!editor) return;
    const updated = await deps.editorial.setStatus(
      number,
      status,
      deps.actorHash(editor.id),
      noteText || undefined,
    );
    if (!updated) return notFound(ctx, number);
    // The note is for the source and stored encrypted; the plaintext leaves the editors' chat.
    if (noteText) await ctx.deleteMessage().catch(() => {});
    const statusName = ctx.t(`editors-status-${status}`);
    await ctx.reply(
      noteText
        ? ctx.t("editors-status-set-note", { number, status: statusName })
        : ctx.t("editors-status-set", { number, status: statusName }),
    );
    await refreshCard(ctx, number);
  });

  editors.command("reply", async (ctx) => {
    const number = parseNumber(ctx.match);
    if (number === undefined) return ctx.reply(ctx.t("editors-usage-reply"));
    await askForReply(ctx, number);
  });

  // The editor's reply under way (if this instance has it) ended itself before this answer.
  editors.command("cancel", (ctx) => ctx.reply(ctx.t("editors-reply-cancelled")));

  editors.command("purge", async (ctx) => {
    const number = parseNumber(ctx.match);
    if (number === undefined) return ctx.reply(ctx.t("editors-usage-purge"));
    if (!(await deps.editorial.find(number))) return notFound(ctx, number);
    await ctx.reply(ctx.t("editors-purge-confirm", { number }), {
      reply_markup: new InlineKeyboard()
        .text(ctx.t("editors-button-purge"), editorsButtons.purge.pack({ number }))
        .row()
        .text(ctx.t("editors-button-keep"), editorsButtons.keep.pack({})),
    });
  });

  // --- a reply this instance does not know: ended, expired, or begun before a restart or on
  // another instance behind the same webhook. Nothing goes to the source; the editor is told.

  const prompts = replyPromptMatcher(deps.translate);

  editors.on("message", async (ctx, next) => {
    const replied = ctx.message.reply_to_message;
    if (replied?.from?.id !== ctx.me.id) return next();
    const number = prompts(replied.text);
    if (number === undefined) return next();
    await ctx.reply(ctx.t("editors-reply-elsewhere", { number }), {
      reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true },
    });
  });

  editors.callbackQuery(
    [editorsButtons.send.filter, editorsButtons.cancelReply.filter],
    async (ctx) => {
      await ctx.answerCallbackQuery({ text: ctx.t("editors-reply-expired"), show_alert: true });
      await ctx.deleteMessage().catch(() => {});
    },
  );

  return feature;
}

/**
 * The submission number in the text of a /reply prompt, in any locale; undefined for any other
 * text. The prompt is how an instance that does not know a reply still recognises an answer to it.
 */
function replyPromptMatcher(translate: Translator) {
  const marker = "\u0000";
  const shapes = LOCALES.map((locale) => {
    const [prefix = "", suffix = ""] = translate(locale, "editors-reply-prompt", {
      number: marker,
    }).split(marker);
    return { prefix, suffix };
  });
  return (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    for (const { prefix, suffix } of shapes) {
      if (!text.startsWith(prefix) || !text.endsWith(suffix)) continue;
      const middle = text.slice(prefix.length, text.length - suffix.length);
      if (/^\d{1,9}$/.test(middle)) return Number(middle);
    }
    return undefined;
  };
}
