// The editors' group chat: notices with status buttons, export, replies, purge. Only updates from
// EDITORS_CHAT_ID reach this feature; anywhere else these buttons and commands are unknown.
import { randomBytes } from "node:crypto";
import { Composer, InlineKeyboard, InputFile } from "grammy";
import type { EditorialService, SubmissionSummary } from "../../services/editorial.js";
import { isStatus } from "../../services/editorial.js";
import { archiveName, type ExportService, VOLUME_SIZE } from "../../services/export.js";
import { ExpiringMap } from "../../services/limits.js";
import type { ReplyNotices } from "../../services/reply-notices.js";
import { STATUSES } from "../../services/submissions.js";
import { splitVolumes } from "../../services/tar.js";
import type { BotContext } from "../context.js";

type Translate = (key: string, args?: Record<string, string | number>) => string;

/** Fixed wording: a number, counts and a status. Never content, never a time finer than the day. */
export function editorsNotice(t: Translate, summary: SubmissionSummary) {
  const text = t("editors-notice", {
    number: summary.number,
    version: summary.questionnaireVersion,
    answers: summary.answers,
    attachments: summary.attachments,
    followups: summary.followUps,
    replies: summary.replies,
    locale: summary.locale,
    day: summary.createdOn,
    status: t(`editors-status-${summary.status}`),
  });
  const keyboard = new InlineKeyboard();
  // Two status buttons per row: four in one row cut "опубликован" on a phone.
  const choices = STATUSES.filter((status) => status !== "new" && status !== summary.status);
  choices.forEach((status, index) => {
    if (index > 0 && index % 2 === 0) keyboard.row();
    keyboard.text(t(`editors-status-${status}`), `ed:s:${summary.number}:${status}`);
  });
  keyboard
    .row()
    .text(t("editors-button-export"), `ed:x:${summary.number}`)
    .text(t("editors-button-reply"), `ed:r:${summary.number}`);
  return { text, keyboard };
}

/** Telegram's sender id for every anonymous group admin: it names nobody. */
export const GROUP_ANONYMOUS_BOT_ID = 1087968824;
/** How long a prompt or an unconfirmed reply waits. */
const REPLY_WAIT_MS = 15 * 60_000;

/** An editor's /reply, from the prompt to Send or Cancel. Held in memory only. */
interface PendingReply {
  number: number;
  editorId: number;
  promptId: number;
  /** Set once the editor answered the prompt: the text waiting for Send, and its preview. */
  draft?: { text: string; previewId: number; token: string; timer: NodeJS.Timeout };
}

/** Someone posting as the group or a channel: their messages say nothing about who wrote them. */
function isAnonymous(ctx: BotContext): boolean {
  return ctx.message?.sender_chat !== undefined || ctx.from?.id === GROUP_ANONYMOUS_BOT_ID;
}

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
}) {
  const feature = new Composer<BotContext>();
  if (deps.editorsChatId === undefined) return feature;
  const editors = feature.filter((ctx) => ctx.chat?.id === deps.editorsChatId);
  const pendingReplies = new ExpiringMap<PendingReply>(REPLY_WAIT_MS);
  const pendingKey = (ctx: BotContext) => String(ctx.from?.id);
  /** Preview token → editor, so Send and Cancel find the draft they were shown with. */
  const draftOwners = new ExpiringMap<string>(REPLY_WAIT_MS);

  /** Forgets a reply at once (so two presses cannot both send it); returns what it was. */
  const forgetReply = (key: string): PendingReply | undefined => {
    const pending = pendingReplies.get(key);
    pendingReplies.delete(key);
    if (pending?.draft) {
      clearTimeout(pending.draft.timer);
      draftOwners.delete(pending.draft.token);
    }
    return pending;
  };

  /** Deletes a forgotten reply's preview (the plaintext) and, when done, its prompt. */
  const clearReply = async (
    ctx: BotContext,
    pending: PendingReply | undefined,
    options: { prompt: boolean },
  ) => {
    const chatId = deps.editorsChatId as number;
    if (pending?.draft)
      await ctx.api.deleteMessage(chatId, pending.draft.previewId).catch(() => {});
    if (pending && options.prompt) {
      await ctx.api.deleteMessage(chatId, pending.promptId).catch(() => {});
    }
  };

  const dropReply = (ctx: BotContext, key: string, options: { prompt: boolean }) =>
    clearReply(ctx, forgetReply(key), options);

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
    await dropReply(ctx, pendingKey(ctx), { prompt: true });
    const prompt = await ctx.reply(ctx.t("editors-reply-prompt", { number }), {
      reply_markup: { force_reply: true, selective: true },
      ...(ctx.message
        ? {
            reply_parameters: {
              message_id: ctx.message.message_id,
              allow_sending_without_reply: true,
            },
          }
        : {}),
    });
    pendingReplies.set(pendingKey(ctx), {
      number,
      editorId: ctx.from.id,
      promptId: prompt.message_id,
    });
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

  // --- buttons on notices ------------------------------------------------------------------

  // "Open №12" under a batch notice: the submission's card with its buttons.
  editors.callbackQuery(/^ed:o:(\d+)$/, async (ctx) => {
    const number = Number(ctx.match[1]);
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

  editors.callbackQuery(/^ed:s:(\d+):(\w+)$/, async (ctx) => {
    const number = Number(ctx.match[1]);
    const status = ctx.match[2];
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

  editors.callbackQuery(/^ed:x:(\d+)$/, async (ctx) => {
    await ctx.answerCallbackQuery();
    await sendExport(ctx, Number(ctx.match[1]));
  });

  editors.callbackQuery(/^ed:r:(\d+)$/, async (ctx) => {
    await ctx.answerCallbackQuery();
    await askForReply(ctx, Number(ctx.match[1]));
  });

  editors.callbackQuery(/^ed:P:(\d+)$/, async (ctx) => {
    const number = Number(ctx.match[1]);
    await ctx.answerCallbackQuery();
    const purged = await deps.editorial.purge(number, deps.actorHash(ctx.from.id));
    await ctx.editMessageText(
      purged ? ctx.t("editors-purged", { number }) : ctx.t("editors-not-found", { number }),
    );
  });

  editors.callbackQuery("ed:keep", async (ctx) => {
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
    const updated = await deps.editorial.setStatus(
      number,
      status,
      deps.actorHash(ctx.from?.id as number),
      noteText || undefined,
    );
    if (!updated) return notFound(ctx, number);
    // The note is for the source and stored encrypted; the plaintext leaves the editors' chat.
    if (noteText) await ctx.deleteMessage().catch(() => {});
    await ctx.reply(
      ctx.t("editors-status-set", { number, status: ctx.t(`editors-status-${status}`) }),
    );
  });

  editors.command("reply", async (ctx) => {
    const number = parseNumber(ctx.match);
    if (number === undefined) return ctx.reply(ctx.t("editors-usage-reply"));
    await askForReply(ctx, number);
  });

  editors.command("cancel", async (ctx) => {
    await dropReply(ctx, pendingKey(ctx), { prompt: true });
    await ctx.reply(ctx.t("editors-reply-cancelled"));
  });

  editors.command("purge", async (ctx) => {
    const number = parseNumber(ctx.match);
    if (number === undefined) return ctx.reply(ctx.t("editors-usage-purge"));
    if (!(await deps.editorial.find(number))) return notFound(ctx, number);
    await ctx.reply(ctx.t("editors-purge-confirm", { number }), {
      reply_markup: new InlineKeyboard()
        .text(ctx.t("editors-button-purge"), `ed:P:${number}`)
        .row()
        .text(ctx.t("editors-button-keep"), "ed:keep"),
    });
  });

  // --- the reply itself: an answer to the prompt, shown back, sent only on "Send" -------------

  editors.on("message", async (ctx, next) => {
    const key = pendingKey(ctx);
    const pending = pendingReplies.get(key);
    // Only the editor who asked, answering the prompt itself: a stray remark is never a reply.
    if (
      !pending ||
      isAnonymous(ctx) ||
      ctx.from.id !== pending.editorId ||
      ctx.message.reply_to_message?.message_id !== pending.promptId
    ) {
      return next();
    }
    // The plaintext leaves the editors' chat whatever happens next.
    const deleted = await ctx.deleteMessage().then(
      () => true,
      () => false,
    );
    if (!ctx.message.text) {
      await ctx.reply(ctx.t("editors-reply-text-only"));
      return;
    }
    if (pending.draft) await clearReply(ctx, forgetReply(key), { prompt: false });
    const token = randomBytes(9).toString("base64url");
    const preview = await ctx.reply(
      [
        ctx.t("editors-reply-confirm", { number: pending.number }),
        "",
        ctx.message.text,
        ...(deleted ? [] : ["", ctx.t("editors-reply-not-deleted")]),
      ].join("\n"),
      {
        reply_markup: new InlineKeyboard()
          .text(ctx.t("editors-button-send"), `ed:rs:${token}`)
          .text(ctx.t("editors-button-cancel-reply"), `ed:rc:${token}`),
      },
    );
    // Unconfirmed, the preview (plaintext) does not stay in the chat.
    const chatId = ctx.chat.id;
    const timer = setTimeout(() => {
      void dropReply(ctx, key, { prompt: true });
      void ctx.api.deleteMessage(chatId, preview.message_id).catch(() => {});
    }, REPLY_WAIT_MS);
    timer.unref();
    pendingReplies.set(key, {
      ...pending,
      draft: { text: ctx.message.text, previewId: preview.message_id, token, timer },
    });
    draftOwners.set(token, key);
  });

  /**
   * The draft behind a Send/Cancel button, if it is still waiting and this editor wrote it; it is
   * forgotten before the first await, so it is used once.
   */
  const claimDraft = async (ctx: BotContext, token: string) => {
    const key = draftOwners.get(token);
    const pending = key ? pendingReplies.get(key) : undefined;
    if (!key || !pending?.draft || pending.draft.token !== token) {
      await ctx.answerCallbackQuery({ text: ctx.t("editors-reply-expired"), show_alert: true });
      await ctx.deleteMessage().catch(() => {});
      return undefined;
    }
    if (ctx.from?.id !== pending.editorId) {
      await ctx.answerCallbackQuery({ text: ctx.t("editors-reply-not-yours"), show_alert: true });
      return undefined;
    }
    forgetReply(key);
    return { pending, text: pending.draft.text };
  };

  editors.callbackQuery(/^ed:rc:([\w-]+)$/, async (ctx) => {
    const found = await claimDraft(ctx, ctx.match[1] as string);
    if (!found) return;
    await clearReply(ctx, found.pending, { prompt: true });
    await ctx.answerCallbackQuery();
    await ctx.reply(ctx.t("editors-reply-cancelled"));
  });

  editors.callbackQuery(/^ed:rs:([\w-]+)$/, async (ctx) => {
    const found = await claimDraft(ctx, ctx.match[1] as string);
    if (!found) return;
    const { number } = found.pending;
    await clearReply(ctx, found.pending, { prompt: true });
    await ctx.answerCallbackQuery();
    const result = await deps.editorial.reply(number, found.text, deps.actorHash(ctx.from.id));
    if (!result.stored) return notFound(ctx, number);
    await ctx.reply(ctx.t("editors-reply-stored", { number }));
    const noticeChatId = deps.replyNotices.take(result.submissionId);
    if (noticeChatId !== undefined) {
      const row = await deps.editorial.find(number);
      await deps.noticeToSource(noticeChatId, row?.locale ?? "ru").catch(() => {});
    }
  });

  return feature;
}
