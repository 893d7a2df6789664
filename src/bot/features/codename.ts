// Coming back with the codename (/codename): reading editors' replies, adding to the testimony.
// The receipt's typed-back check is features/receipt.ts. Sessions live in memory only: nothing at rest links this
// chat to a submission.
import { type ChatTypeContext, Composer, InlineKeyboard } from "grammy";
import { prepareAttachment } from "../../services/interview/attachments.js";
import type { InterviewService } from "../../services/interview/draft-store.js";
import { cleaningNote } from "../../services/metadata/labels.js";
import { ExpiringMap, type SourceLimit } from "../../services/sources/limits.js";
import { looksLikeCodename } from "../../services/submissions/codename.js";
import type { QuotaService } from "../../services/submissions/quotas.js";
import { type CodenameWaits, createCodenameWaits } from "../../services/submissions/receipts.js";
import type { SubmissionsService } from "../../services/submissions/submit.js";
import { codenameButtons } from "../callback-data/codename.js";
import { promptForCodename } from "../codename-prompt.js";
import type { BotContext } from "../context.js";
import { FileTooBigError, fileOf, openFileStream } from "../files.js";
import { escapeHtml } from "../interview-view.js";
import { wipeIds } from "../wipe.js";

interface Session {
  submissionId: string;
  /** Every message of this visit, wiped when the source is done. */
  messageIds: number[];
  adding: boolean;
}

const SESSION_MS = 30 * 60_000;

type PrivateContext = ChatTypeContext<BotContext, "private">;

/** Telegram takes up to 4096 characters per message; stay below it, markup included. */
const MESSAGE_LIMIT = 4000;

export function createCodenameFeature(deps: {
  interview: InterviewService;
  submissions: SubmissionsService;
  /** Wrong codenames per hour (shared by the instances on PostgreSQL). */
  attempts: SourceLimit;
  apiRoot: string;
  quotas: QuotaService;
  awaiting?: CodenameWaits;
}) {
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType("private");
  const awaiting = deps.awaiting ?? createCodenameWaits();
  const sessions = new ExpiringMap<Session>(SESSION_MS);
  const keyOf = (ctx: PrivateContext) => deps.interview.memoryKey(ctx.from.id);

  const prompt = (ctx: PrivateContext, mode: "open", commandId?: number) =>
    promptForCodename(ctx, awaiting, keyOf(ctx), mode, commandId);

  privateChat.command("codename", (ctx) => prompt(ctx, "open", ctx.message.message_id));
  privateChat.callbackQuery(codenameButtons.start.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await prompt(ctx, "open");
  });

  privateChat.callbackQuery(codenameButtons.add.filter, async (ctx) => {
    const session = sessions.get(keyOf(ctx));
    if (!session) return expired(ctx);
    await ctx.answerCallbackQuery();
    session.adding = true;
    const sent = await ctx.reply(ctx.t("codename-add-prompt"), {
      reply_markup: new InlineKeyboard().text(
        ctx.t("codename-button-done"),
        codenameButtons.done.pack({}),
      ),
    });
    session.messageIds.push(sent.message_id);
    sessions.set(keyOf(ctx), session);
  });

  privateChat.callbackQuery(codenameButtons.done.filter, async (ctx) => {
    const session = sessions.get(keyOf(ctx));
    if (!session) return expired(ctx);
    await ctx.answerCallbackQuery();
    sessions.delete(keyOf(ctx));
    await wipeIds(ctx.api, ctx.chat.id, [
      ...session.messageIds,
      ctx.callbackQuery.message?.message_id ?? 0,
    ]);
    await ctx.reply(ctx.t("codename-session-closed"));
  });

  // Additions to the testimony while a session is open.
  privateChat.on("message", async (ctx, next) => {
    const session = sessions.get(keyOf(ctx));
    if (!session?.adding) return next();
    session.messageIds.push(ctx.message.message_id);
    sessions.set(keyOf(ctx), session);
    const file = fileOf(ctx.message);
    const isText = ctx.message.text !== undefined && !ctx.message.text.startsWith("/");
    if (!isText && !file) return next();
    // Per-testimony limits, counted from what is stored (files, megabytes, messages a day).
    const refused = await deps.quotas.additionRefused(
      session.submissionId,
      file ? (file.meta.size ?? 0) : undefined,
    );
    if (refused) {
      const sent = await ctx.reply(
        ctx.t(`codename-limit-${refused.limit}`, { limit: refused.value }),
        {
          reply_markup: new InlineKeyboard().text(
            ctx.t("codename-button-done"),
            codenameButtons.done.pack({}),
          ),
        },
      );
      session.messageIds.push(sent.message_id);
      return;
    }
    let cleaned: string | undefined;
    if (ctx.message.text && isText) {
      await deps.submissions.addFollowUp(session.submissionId, ctx.message.text);
    } else if (file) {
      try {
        const { body, meta } = await prepareAttachment(
          await openFileStream(ctx.api, deps.apiRoot, file),
          file.meta,
          { keepOriginal: false },
        );
        await deps.submissions.addFollowUpAttachment(session.submissionId, meta, body);
        cleaned = cleaningNote(meta.cleaning, ctx.t);
      } catch (error) {
        if (!(error instanceof FileTooBigError)) throw error;
        const sent = await ctx.reply(ctx.t("interview-file-too-big"));
        session.messageIds.push(sent.message_id);
        return;
      }
    }
    const added = cleaned ? `${cleaned}\n\n${ctx.t("codename-added")}` : ctx.t("codename-added");
    const sent = await ctx.reply(added, {
      reply_markup: new InlineKeyboard().text(
        ctx.t("codename-button-done"),
        codenameButtons.done.pack({}),
      ),
    });
    session.messageIds.push(sent.message_id);
  });

  // A codename typed in: after a prompt, or any message that looks like one.
  privateChat.on("message:text", async (ctx, next) => {
    const key = keyOf(ctx);
    const waiting = awaiting.get(key);
    const text = ctx.message.text;
    if (!waiting && !looksLikeCodename(text)) return next();
    if (text.startsWith("/")) return next();
    // The codename must not stay in the chat.
    await ctx.deleteMessage().catch(() => {});
    // Only wrong attempts count (README: "wrong-codename attempts per account").
    if (!(await deps.attempts.check(ctx.from.id))) {
      await ctx.reply(ctx.t("codename-too-many-attempts"));
      return;
    }
    /** A wrong codename counts against the (shared) attempt limit. */
    const notFound = async () => {
      await deps.attempts.take(ctx.from.id);
      const sent = await ctx.reply(ctx.t("codename-not-found"));
      if (waiting) {
        waiting.messageIds.push(sent.message_id);
        awaiting.set(key, waiting);
      }
    };
    const done = async () => {
      awaiting.delete(key);
      if (waiting) await wipeIds(ctx.api, ctx.chat.id, waiting.messageIds);
    };

    const view = await deps.submissions.openWithCodename(text);
    if (!view) {
      await notFound();
      return;
    }
    await done();

    const status = [
      ctx.t("codename-status", { status: ctx.t(`status-${view.status}`), day: view.createdOn }),
    ];
    if (view.statusNote) {
      status.push(ctx.t("codename-status-note", { note: escapeHtml(view.statusNote) }));
    }
    const blocks = [status.join("\n")];
    if (view.replies.length === 0) blocks.push(ctx.t("codename-no-replies"));
    for (const reply of view.replies) {
      const [first = "", ...rest] = splitEscaped(reply, MESSAGE_LIMIT - 100);
      blocks.push(`${ctx.t("codename-reply")}\n${first}`, ...rest);
    }
    // Many or long replies do not fit into one message: send as many as needed.
    const messages = packBlocks(blocks, MESSAGE_LIMIT);
    const messageIds: number[] = [];
    for (const [index, text] of messages.entries()) {
      const last = index === messages.length - 1;
      const sent = await ctx.reply(text, {
        parse_mode: "HTML",
        reply_markup: last
          ? new InlineKeyboard()
              .text(ctx.t("codename-button-add"), codenameButtons.add.pack({}))
              .row()
              .text(ctx.t("codename-button-done"), codenameButtons.done.pack({}))
          : undefined,
      });
      messageIds.push(sent.message_id);
    }
    sessions.set(key, { submissionId: view.submissionId, messageIds, adding: false });
  });

  async function expired(ctx: BotContext) {
    await ctx.answerCallbackQuery({ text: ctx.t("codename-session-expired"), show_alert: true });
  }

  return feature;
}

/** HTML-escapes `text` in pieces of at most `max` characters each (never splitting an escape). */
function splitEscaped(text: string, max: number): string[] {
  const pieces: string[] = [];
  let current = "";
  for (const char of text) {
    const escaped = escapeHtml(char);
    if (current.length + escaped.length > max) {
      pieces.push(current);
      current = "";
    }
    current += escaped;
  }
  pieces.push(current);
  return pieces;
}

/** Joins blocks with blank lines into as few messages of at most `max` characters as fit. */
function packBlocks(blocks: string[], max: number): string[] {
  const messages: string[] = [];
  let current = "";
  for (const block of blocks) {
    if (current && current.length + 2 + block.length > max) {
      messages.push(current);
      current = "";
    }
    current = current ? `${current}\n\n${block}` : block;
  }
  if (current) messages.push(current);
  return messages;
}
