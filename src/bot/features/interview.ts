// The interview: one handler per incoming answer, state in the drafts table (position + sealed
// navigation state), every answer encrypted in the handler that receives it.
import { Composer, type Filter, InlineKeyboard } from "grammy";
import type { Message } from "grammy/types";
import { prepareAttachment } from "../../services/attachments.js";
import { type Draft, type InterviewService, LimitError, REVIEW } from "../../services/interview.js";
import type { ExpiringMap, RateLimiter } from "../../services/limits.js";
import { isLocale, type PreferencesService } from "../../services/preferences.js";
import {
  acceptsMedia,
  CONSENT_ID,
  firstQuestion,
  getQuestion,
  isChoiceOption,
  nextQuestion,
  openedFollowUp,
  previousQuestion,
  type Question,
  validateText,
  validateYear,
} from "../../services/questionnaire.js";
import type { ReplyNotices } from "../../services/reply-notices.js";
import type { SubmissionsService } from "../../services/submissions.js";
import type { BotContext } from "../context.js";
import { FileTooBigError, fileOf, openFileStream } from "../files.js";
import { questionKeyboard, questionText, reviewMessage, savedNote } from "../interview-view.js";
import { TELEGRAM_DELETE_LIMIT_HOURS, wipeRange } from "../wipe.js";

type PrivateContext = Filter<BotContext, "message" | "callback_query" | "edited_message">;

export interface ReceiptMemo {
  codename: string;
  finalMessageId: number;
  /** The final message as sent (HTML), so the check can add to it without losing a note. */
  finalText: string;
}

export interface InterviewFeatureDeps {
  interview: InterviewService;
  submissions: SubmissionsService;
  apiRoot: string;
  maxTextLength: number;
  /** Submissions per user per day (checked at the start, counted at submit). */
  submissionLimiter: RateLimiter;
  /** Codenames just issued, in memory only, so "show it again" works for a few minutes. */
  receipts: ExpiringMap<ReceiptMemo>;
  /** A language chosen with /language (in memory); otherwise the draft's language applies. */
  preferences: PreferencesService;
  /** "Tell me here about a reply": the chat id, in memory only. */
  replyNotices: ReplyNotices;
  now?: () => Date;
}

/** Commands that keep working in the middle of an interview (handled by their own features). */
const PASS_THROUGH_COMMANDS = new Set([
  "language",
  "privacy",
  "forget",
  "codename",
  "subscribe",
  "unsubscribe",
  "guidance",
]);

export function createInterviewFeature(deps: InterviewFeatureDeps) {
  const { interview } = deps;
  const questionnaire = interview.questionnaire;
  const now = deps.now ?? (() => new Date());
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType("private");

  // --- helpers -------------------------------------------------------------------------------

  const userIdOf = (ctx: BotContext) => ctx.from?.id as number;

  const track = (draft: Draft, messageId: number | undefined) => {
    if (messageId === undefined) return;
    draft.state.firstMessageId ??= messageId;
    draft.state.lastMessageId = Math.max(draft.state.lastMessageId ?? 0, messageId);
  };

  const send = async (
    ctx: BotContext,
    draft: Draft,
    text: string,
    keyboard?: InlineKeyboard,
  ): Promise<Message.TextMessage> => {
    const sent = await ctx.reply(text, {
      parse_mode: "HTML",
      reply_markup: keyboard,
      link_preview_options: { is_disabled: true },
    });
    track(draft, sent.message_id);
    return sent;
  };

  /** `resume`: back at the question the source was on; what they add goes on the same answer. */
  const ask = async (ctx: BotContext, draft: Draft, question: Question, resume = false) => {
    const counts = await interview.answerCounts(draft);
    const continuing = resume && draft.state.replacing === question.id;
    draft.position = question.id;
    draft.locale = await ctx.i18n.getLocale();
    if (!continuing) draft.state.replacing = undefined;
    draft.state.selecting = undefined;
    draft.state.noteMessageId = undefined;
    if (question.type === "media" && question.mediaWarning) {
      await send(ctx, draft, ctx.t("interview-media-warning"));
    }
    const isFirst = !previousQuestion(questionnaire, question.id, draft.state.choices);
    const answered = Boolean(counts[question.id]) && question.type !== "choice" && !continuing;
    await send(
      ctx,
      draft,
      questionText(ctx.t, questionnaire, question, answered),
      questionKeyboard(ctx.t, draft, question, isFirst),
    );
    await interview.save(userIdOf(ctx), draft);
  };

  const showReview = async (ctx: BotContext, draft: Draft) => {
    draft.position = REVIEW;
    draft.state.fromReview = false;
    draft.state.replacing = undefined;
    draft.state.noteMessageId = undefined;
    const review = reviewMessage(ctx.t, questionnaire, draft, await interview.answerCounts(draft));
    await send(ctx, draft, review.text, review.keyboard);
    await interview.save(userIdOf(ctx), draft);
  };

  /** From the review, only a follow-up that the new answer opened is asked; then the review. */
  const advance = async (ctx: BotContext, draft: Draft) => {
    const next = draft.state.fromReview
      ? openedFollowUp(
          questionnaire,
          draft.position,
          draft.state.choices,
          await settledQuestions(draft),
        )
      : nextQuestion(questionnaire, draft.position, draft.state.choices);
    if (next) await ask(ctx, draft, next);
    else await showReview(ctx, draft);
  };

  /** Questions the source has answered or skipped. */
  const settledQuestions = async (draft: Draft) =>
    new Set([...Object.keys(await interview.answerCounts(draft)), ...draft.state.skipped]);

  const updateSavedNote = async (ctx: BotContext, draft: Draft, question: Question) => {
    const known = draft.state.textParts?.[question.id];
    const counts =
      known !== undefined
        ? { parts: known, files: draft.state.attachments[question.id] ?? 0 }
        : ((await interview.answerCounts(draft))[question.id] ?? { parts: 0, files: 0 });
    const note = savedNote(ctx.t, question, counts);
    const chatId = ctx.chat?.id as number;
    if (draft.state.noteMessageId) {
      try {
        await ctx.api.editMessageText(chatId, draft.state.noteMessageId, note.text, {
          reply_markup: note.keyboard,
        });
        return;
      } catch {
        // The note was deleted or is too old to edit: send a new one.
      }
    }
    const sent = await send(ctx, draft, note.text, note.keyboard);
    draft.state.noteMessageId = sent.message_id;
  };

  /**
   * Wipes the interview from the chat: from its first message up to `upTo` (the message just
   * before the closing one, so answers sent by other features, e.g. a location warning, go too).
   */
  const wipe = async (ctx: BotContext, draft: Draft, upTo?: number) => {
    const chatId = ctx.chat?.id as number;
    const first = draft.state.firstMessageId ?? upTo ?? 0;
    const last = Math.max(draft.state.lastMessageId ?? 0, upTo ?? 0);
    if (first > 0) await wipeRange(ctx.api, chatId, first, last);
  };

  const olderThanTelegramAllows = (draft: Draft) => {
    const started = Date.parse(`${draft.createdOn}T00:00:00Z`);
    return now().getTime() - started > TELEGRAM_DELETE_LIMIT_HOURS * 3600_000;
  };

  const currentQuestion = (draft: Draft) => getQuestion(questionnaire, draft.position);

  /** Answers a button that belongs to another question than the current one. */
  const staleButton = async (ctx: BotContext) => {
    await ctx.answerCallbackQuery({ text: ctx.t("interview-stale-button"), show_alert: true });
  };

  // --- start ---------------------------------------------------------------------------------

  privateChat.callbackQuery("iv:begin", async (ctx) => {
    await ctx.answerCallbackQuery();
    const userId = ctx.from.id;
    const existing = await interview.find(userId);
    if (existing) {
      const question = currentQuestion(existing);
      if (question) await ask(ctx, existing, question, true);
      else await showReview(ctx, existing);
      return;
    }
    if (!deps.submissionLimiter.check(interview.memoryKey(userId))) {
      await ctx.reply(ctx.t("interview-limit-submissions"));
      return;
    }
    const briefingId = ctx.callbackQuery.message?.message_id;
    const first = firstQuestion(questionnaire);
    const draft = await interview.start(userId, await ctx.i18n.getLocale(), first.id, {
      choices: {},
      skipped: [],
      textLength: {},
      attachments: {},
      // The /start command usually sits right above the briefing: wipe it too.
      firstMessageId: briefingId ? Math.max(1, briefingId - 1) : undefined,
      lastMessageId: briefingId,
      lastUpdateId: ctx.update.update_id,
    });
    await ask(ctx, draft, first);
  });

  // --- everything below needs a draft ----------------------------------------------------------

  const inDraft = new Composer<BotContext & { draft: Draft }>();

  privateChat.use(async (ctx, next) => {
    // Buttons of other features (language, codename) keep working during an interview.
    const data = ctx.callbackQuery?.data;
    if (data !== undefined && !data.startsWith("iv:")) return next();
    const draft = await interview.find(ctx.from.id);
    if (!draft) return next();
    // Telegram may deliver an update again after a crash: handle each one once.
    if (
      draft.state.lastUpdateId !== undefined &&
      ctx.update.update_id <= draft.state.lastUpdateId
    ) {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery();
      return;
    }
    draft.state.lastUpdateId = ctx.update.update_id;
    track(draft, ctx.msg?.message_id);
    // After a restart the language chosen with /language is forgotten; the draft remembers it.
    if (isLocale(draft.locale) && !(await deps.preferences.savedLocale(ctx.from.id))) {
      ctx.i18n.useLocale(draft.locale);
    }
    const command = ctx.message?.text?.match(/^\/(\w+)/)?.[1];
    if (command && PASS_THROUGH_COMMANDS.has(command)) {
      await interview.save(ctx.from.id, draft);
      return next();
    }
    Object.assign(ctx, { draft });
    await inDraft.middleware()(ctx as BotContext & { draft: Draft }, async () => {});
  });

  inDraft.command("start", async (ctx) => {
    await send(ctx, ctx.draft, ctx.t("interview-resuming"));
    const question = currentQuestion(ctx.draft);
    if (question) await ask(ctx, ctx.draft, question, true);
    else await showReview(ctx, ctx.draft);
  });

  inDraft.command("help", async (ctx) => {
    await send(ctx, ctx.draft, `${ctx.t("help-text")}\n\n${ctx.t("interview-help-in-progress")}`);
    await interview.save(userIdOf(ctx), ctx.draft);
  });

  inDraft.command("cancel", (ctx) => confirmCancel(ctx, ctx.draft));

  inDraft.on("message:text", async (ctx, next) => {
    if (ctx.message.text.startsWith("/")) {
      await send(ctx, ctx.draft, ctx.t("interview-command-unknown"));
      await interview.save(userIdOf(ctx), ctx.draft);
      return;
    }
    return next();
  });

  // Text answers.
  inDraft.on("message:text", async (ctx) => {
    const { draft } = ctx;
    const userId = ctx.from.id;
    const question = currentQuestion(draft);
    if (!question) {
      await send(ctx, draft, ctx.t("interview-use-buttons"));
      return interview.save(userId, draft);
    }
    if (question.type === "year") {
      const year = validateYear(ctx.message.text, now());
      if (!year.ok) {
        await send(ctx, draft, ctx.t(`interview-error-${year.error}`));
        return interview.save(userId, draft);
      }
      await interview.addText(userId, draft, question.id, String(year.value));
      return advance(ctx, draft);
    }
    const text = validateText(question, ctx.message.text, { maxTextLength: deps.maxTextLength });
    if (!text.ok) {
      const key =
        text.error !== "text-not-expected"
          ? `interview-error-${text.error}`
          : question.type === "media"
            ? "interview-media-text-not-expected"
            : "interview-use-buttons";
      await send(ctx, draft, ctx.t(key));
      return interview.save(userId, draft);
    }
    try {
      await interview.addText(userId, draft, question.id, text.value);
    } catch (error) {
      if (!(error instanceof LimitError)) throw error;
      await send(ctx, draft, ctx.t(`interview-error-${error.limit}`));
      return interview.save(userId, draft);
    }
    await updateSavedNote(ctx, draft, question);
    await interview.save(userId, draft);
  });

  // Files: voice, audio, video, video notes, photos, documents.
  inDraft.on(
    [
      "message:voice",
      "message:audio",
      "message:video",
      "message:video_note",
      "message:photo",
      "message:document",
    ],
    async (ctx, next) => {
      // A GIF also carries a document field: it is not an answer ("please answer" below).
      if (ctx.message.animation) return next();
      const { draft } = ctx;
      const userId = ctx.from.id;
      const question = currentQuestion(draft);
      const file = fileOf(ctx.message);
      if (!question || !file || !acceptsMedia(question, file.meta.kind)) {
        await send(ctx, draft, ctx.t("interview-media-not-expected"));
        return interview.save(userId, draft);
      }
      try {
        // Hidden data (GPS, camera, author) goes before encryption, except where originals are asked for.
        const { body, meta } = await prepareAttachment(
          await openFileStream(ctx.api, deps.apiRoot, file),
          file.meta,
          { keepOriginal: question.evidence },
        );
        await interview.addAttachment(
          userId,
          draft,
          question.id,
          meta,
          body,
          question.maxAttachments,
        );
      } catch (error) {
        if (error instanceof FileTooBigError) {
          await send(ctx, draft, ctx.t("interview-file-too-big"));
          return interview.save(userId, draft);
        }
        if (error instanceof LimitError) {
          await send(ctx, draft, ctx.t(`interview-error-${error.limit}`));
          return interview.save(userId, draft);
        }
        throw error;
      }
      await updateSavedNote(ctx, draft, question);
      await interview.save(userId, draft);
    },
  );

  inDraft.on("edited_message", async (ctx) => {
    await send(ctx, ctx.draft, ctx.t("interview-edit-ignored"));
    await interview.save(userIdOf(ctx), ctx.draft);
  });

  // --- buttons --------------------------------------------------------------------------------

  inDraft.callbackQuery(/^iv:a:(\w+):(\w+)$/, async (ctx) => {
    const { draft } = ctx;
    const [, questionId, option] = ctx.match;
    const question = currentQuestion(draft);
    if (!question || question.id !== questionId || !isChoiceOption(question, option as string)) {
      return staleButton(ctx);
    }
    await ctx.answerCallbackQuery();
    await ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => {});
    if (question.id === CONSENT_ID && option === "no") {
      await interview.discard(ctx.from.id);
      const declined = await ctx.reply(ctx.t("interview-consent-declined"));
      await wipe(ctx, draft, declined.message_id - 1);
      return;
    }
    await interview.setChoice(ctx.from.id, draft, question.id, [option as string]);
    await advance(ctx, draft);
  });

  inDraft.callbackQuery(/^iv:t:(\w+):(\w+)$/, async (ctx) => {
    const { draft } = ctx;
    const [, questionId, option] = ctx.match;
    const question = currentQuestion(draft);
    if (!question || question.id !== questionId || !isChoiceOption(question, option as string)) {
      return staleButton(ctx);
    }
    const selecting = new Set(draft.state.selecting ?? draft.state.choices[question.id] ?? []);
    if (selecting.has(option as string)) selecting.delete(option as string);
    else selecting.add(option as string);
    draft.state.selecting = [...selecting];
    await ctx.answerCallbackQuery();
    const isFirst = !previousQuestion(questionnaire, question.id, draft.state.choices);
    await ctx
      .editMessageReplyMarkup({ reply_markup: questionKeyboard(ctx.t, draft, question, isFirst) })
      .catch(() => {});
    await interview.save(ctx.from.id, draft);
  });

  inDraft.callbackQuery(/^iv:next:(\w+)$/, async (ctx) => {
    const { draft } = ctx;
    const question = currentQuestion(draft);
    if (!question || question.id !== ctx.match[1]) return staleButton(ctx);
    await ctx.answerCallbackQuery();
    await ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => {});
    if (question.type === "multi" && draft.state.selecting) {
      if (draft.state.selecting.length > 0) {
        await interview.setChoice(ctx.from.id, draft, question.id, draft.state.selecting);
      } else {
        await interview.skip(ctx.from.id, draft, question.id);
      }
    }
    await advance(ctx, draft);
  });

  inDraft.callbackQuery(/^iv:skip:(\w+)$/, async (ctx) => {
    const { draft } = ctx;
    const question = currentQuestion(draft);
    if (!question || question.id !== ctx.match[1] || question.required) return staleButton(ctx);
    await ctx.answerCallbackQuery();
    await ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => {});
    await interview.skip(ctx.from.id, draft, question.id);
    await advance(ctx, draft);
  });

  inDraft.callbackQuery(/^iv:back:(\w+)$/, async (ctx) => {
    const { draft } = ctx;
    const question = currentQuestion(draft);
    if (!question || question.id !== ctx.match[1]) return staleButton(ctx);
    await ctx.answerCallbackQuery();
    await ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => {});
    const previous = previousQuestion(questionnaire, question.id, draft.state.choices);
    draft.state.fromReview = false;
    await ask(ctx, draft, previous ?? question);
  });

  inDraft.callbackQuery(/^iv:redo:(\w+)$/, async (ctx) => {
    const { draft } = ctx;
    const question = getQuestion(questionnaire, ctx.match[1] as string);
    if (draft.position !== REVIEW || !question) return staleButton(ctx);
    await ctx.answerCallbackQuery();
    await ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => {});
    draft.state.fromReview = true;
    await ask(ctx, draft, question);
  });

  inDraft.callbackQuery("iv:cancel", async (ctx) => {
    await ctx.answerCallbackQuery();
    await confirmCancel(ctx, ctx.draft);
  });

  inDraft.callbackQuery("iv:cancel:yes", async (ctx) => {
    await ctx.answerCallbackQuery();
    const { draft } = ctx;
    await interview.discard(ctx.from.id);
    const cancelled = await ctx.reply(ctx.t("interview-cancelled"));
    await wipe(ctx, draft, cancelled.message_id - 1);
  });

  inDraft.callbackQuery("iv:cancel:no", async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.deleteMessage().catch(() => {});
    await interview.save(ctx.from.id, ctx.draft);
  });

  inDraft.callbackQuery("iv:notice", async (ctx) => {
    const { draft } = ctx;
    if (draft.position !== REVIEW) return staleButton(ctx);
    draft.state.notifyReplies = !draft.state.notifyReplies;
    await ctx.answerCallbackQuery();
    const review = reviewMessage(ctx.t, questionnaire, draft, await interview.answerCounts(draft));
    await ctx.editMessageReplyMarkup({ reply_markup: review.keyboard }).catch(() => {});
    await interview.save(ctx.from.id, draft);
  });

  inDraft.callbackQuery("iv:submit", async (ctx) => {
    const { draft } = ctx;
    if (draft.position !== REVIEW) return staleButton(ctx);
    await ctx.answerCallbackQuery();
    const userId = ctx.from.id;
    deps.submissionLimiter.take(interview.memoryKey(userId));
    const receipt = await deps.submissions.submit(draft);
    interview.ended(userId);
    const chatId = ctx.chat?.id;
    if (draft.state.notifyReplies && chatId !== undefined) {
      deps.replyNotices.remember(receipt.submissionId, chatId);
    }

    const final = [ctx.t("receipt-final")];
    if (olderThanTelegramAllows(draft)) final.push(ctx.t("receipt-old-messages"));
    const finalText = final.join("\n\n");
    // No Subscribe button here: a subscription made right after a submission would sit next to
    // it in the database (adjacent rows and transaction ids). /subscribe and the briefing offer it.
    const finalMessage = await ctx.reply(finalText, { parse_mode: "HTML" });
    await wipe(ctx, draft, finalMessage.message_id - 1);
    // The codename comes last, so deleting it leaves only the final message.
    await ctx.reply(ctx.t("receipt-codename", { codename: receipt.codename }), {
      parse_mode: "HTML",
      reply_markup: new InlineKeyboard().text(ctx.t("receipt-button-written"), "cn:hide"),
    });
    deps.receipts.set(interview.memoryKey(userId), {
      codename: receipt.codename,
      finalMessageId: finalMessage.message_id,
      finalText,
    });
  });

  // Any other button with our prefix belongs to a state that is gone.
  inDraft.callbackQuery(/^iv:/, staleButton);

  inDraft.on("callback_query", async (ctx) => {
    await ctx.answerCallbackQuery({ text: ctx.t("interview-stale-button"), show_alert: true });
  });

  // Stickers, GIFs, polls, dice and anything else: ask for an answer, store nothing.
  inDraft.on("message", async (ctx) => {
    await send(ctx, ctx.draft, ctx.t("interview-please-answer"));
    await interview.save(userIdOf(ctx), ctx.draft);
  });

  async function confirmCancel(ctx: BotContext, draft: Draft) {
    const keyboard = new InlineKeyboard()
      .text(ctx.t("interview-button-cancel-yes"), "iv:cancel:yes")
      .row()
      .text(ctx.t("interview-button-cancel-no"), "iv:cancel:no");
    await send(ctx, draft, ctx.t("interview-cancel-confirm"), keyboard);
    await interview.save(userIdOf(ctx), draft);
  }

  return feature;
}

export type { PrivateContext };
