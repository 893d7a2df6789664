// The editors' group chat: notices with status buttons, export, replies, purge. Only updates from
// EDITORS_CHAT_ID reach this feature; anywhere else these buttons and commands are unknown.
import { Composer, InlineKeyboard, InputFile } from "grammy";
import type { EditorialService, SubmissionSummary } from "../../services/editorial.js";
import { isStatus } from "../../services/editorial.js";
import { archiveName, type ExportService, VOLUME_SIZE } from "../../services/export.js";
import { ExpiringMap } from "../../services/limits.js";
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

interface PendingReply {
  number: number;
  promptId: number;
}

export function createEditorsFeature(deps: {
  editorsChatId: number | undefined;
  editorial: EditorialService;
  exporter: ExportService;
  fingerprints: readonly string[];
  actorHash: (userId: number) => string;
  /** Tells a source who asked for it that there is a reply (no content). */
  noticeToSource: (chatId: number, locale: string) => Promise<void>;
}) {
  const feature = new Composer<BotContext>();
  if (deps.editorsChatId === undefined) return feature;
  const editors = feature.filter((ctx) => ctx.chat?.id === deps.editorsChatId);
  const pendingReplies = new ExpiringMap<PendingReply>(15 * 60_000);
  const pendingKey = (ctx: BotContext) => String(ctx.from?.id);

  const notFound = (ctx: BotContext, number: number) =>
    ctx.reply(ctx.t("editors-not-found", { number }));

  const parseNumber = (text: string | undefined) => {
    const match = /^#?№?(\d{1,9})$/.exec((text ?? "").trim());
    return match ? Number(match[1]) : undefined;
  };

  const askForReply = async (ctx: BotContext, number: number) => {
    if (!(await deps.editorial.find(number))) return notFound(ctx, number);
    const prompt = await ctx.reply(ctx.t("editors-reply-prompt", { number }), {
      reply_markup: { force_reply: true, selective: true },
    });
    pendingReplies.set(pendingKey(ctx), { number, promptId: prompt.message_id });
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
    pendingReplies.delete(pendingKey(ctx));
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

  // --- the reply itself: the editor's next message --------------------------------------------

  editors.on("message", async (ctx, next) => {
    const pending = pendingReplies.get(pendingKey(ctx));
    if (!pending || ctx.message.text?.startsWith("/")) return next();
    if (!ctx.message.text) {
      await ctx.reply(ctx.t("editors-reply-text-only"));
      return;
    }
    pendingReplies.delete(pendingKey(ctx));
    const result = await deps.editorial.reply(
      pending.number,
      ctx.message.text,
      deps.actorHash(ctx.from.id),
    );
    if (!result.stored) return notFound(ctx, pending.number);
    // The plaintext must not stay in the editors' chat.
    const deleted = await ctx.deleteMessage().then(
      () => true,
      () => false,
    );
    await ctx.api.deleteMessage(ctx.chat.id, pending.promptId).catch(() => {});
    await ctx.reply(
      [
        ctx.t("editors-reply-stored", { number: pending.number }),
        ...(deleted ? [] : [ctx.t("editors-reply-not-deleted")]),
      ].join("\n\n"),
    );
    if (result.noticeChatId !== undefined) {
      const row = await deps.editorial.find(pending.number);
      await deps.noticeToSource(result.noticeChatId, row?.locale ?? "ru").catch(() => {});
    }
  });

  return feature;
}
