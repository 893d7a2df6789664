// The interview in the chat: turns updates into the interview's events and its views into
// messages. What an answer means is decided in services/interview/decide.ts and carried out
// (encrypted, stored) by its runner; the draft and the part writes beside it are loaded and
// saved by the draft session (draft-session.ts), never here, and whether an update was handled
// before is decided by dedupe.ts.
import { type ChatTypeContext, Composer, type Filter, type InlineKeyboard } from "grammy";
import type { Message } from "grammy/types";
import {
  answerCounts,
  type Draft,
  type InterviewEvent,
  type InterviewService,
  type InterviewView,
  type Outcome,
} from "../../services/interview/draft-store.js";
import { getQuestion } from "../../services/interview/questionnaire.js";
import { isLocale } from "../../services/locale.js";
import { cleaningNote } from "../../services/metadata/labels.js";
import { ExpiringMap, type RateLimiter } from "../../services/sources/limits.js";
import type { PreferencesService } from "../../services/sources/preferences.js";
import type { ReplyNotices } from "../../services/sources/reply-notices.js";
import type { ReceiptMemo } from "../../services/submissions/receipts.js";

import type { BotContext } from "../context.js";
import { dedupe } from "../dedupe.js";
import { fileOf, openFileStream } from "../files.js";
import {
  interviewButtons as buttons,
  cancelConfirmation,
  chosenText,
  emptyConfirmation,
  noticeExplanation,
  questionKeyboard,
  questionText,
  reviewMessage,
  savedNote,
  skipConfirmation,
  voiceChoiceKeyboard,
} from "../interview-view.js";
import type { ChatRecord, DraftSessionData } from "../session-data.js";
import { TELEGRAM_DELETE_LIMIT_HOURS, wipeRange } from "../wipe.js";

type PrivateContext = ChatTypeContext<BotContext, "private">;
type ButtonContext = Filter<PrivateContext, "callback_query:data">;

export interface InterviewFeatureDeps {
  interview: InterviewService;
  apiRoot: string;
  /** Submissions per user per day (checked at the start, counted at submit). */
  submissionLimiter: RateLimiter;
  /** Shows the codename just issued (features/receipt.ts, wired in bot/index.ts). */
  issueReceipt: (ctx: PrivateContext, memo: ReceiptMemo) => Promise<void>;
  /** A language chosen with /language (in memory); otherwise the draft's language applies. */
  preferences: PreferencesService;
  /** "Tell me here about a reply": the chat id, in memory only. */
  replyNotices: ReplyNotices;
  /**
   * A Begin let through before the source's key exists (bot/admission.ts): the first question is
   * shown before the draft is stored, and the draft is stored once the key is there.
   */
  beginsBeforeKey?: (ctx: PrivateContext) => boolean;
  /** Other instances may serve this source too (PostgreSQL): see DRAFT_ON_ITS_WAY_MS. */
  sharedByInstances?: boolean;
  now?: () => Date;
}

/**
 * How long after it was shown a first question's draft may still be on its way: Begin shows the
 * question before the source's key exists and stores the draft once it does (a second or two in
 * a crowd: Begin's derivation goes before every newcomer's). With several instances, the answer
 * can reach one before the other stored it: it is then tried again (faults.ts), not told that
 * the interview is gone.
 */
const DRAFT_ON_ITS_WAY_MS = 30_000;

class DraftNotStoredYet extends Error {
  readonly code = "DRAFT_NOT_STORED_YET";
  readonly safeToLog = true;
  constructor() {
    super("the first question's draft is not stored yet");
    this.name = "DraftNotStoredYet";
  }
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

  // --- the chat side of a draft ---------------------------------------------------------------

  /**
   * Updates whose answer is stored but whose views were not all shown (in memory, by chat and
   * update id), with the question the interview stood at. When one is handled again (a Bot API
   * call of its first try gave up), the answer is not stored twice, but what the source should
   * have seen is shown then, unless a later update has moved the interview on and shown that.
   */
  const unshown = new ExpiringMap<{ position: string }>(15 * 60_000);
  const unshownKey = (ctx: PrivateContext) => `${ctx.chat.id}:${ctx.update.update_id}`;

  /** Widens the wipe range to a message of this interview. */
  const track = (chat: ChatRecord, messageId: number | undefined) => {
    if (messageId === undefined) return;
    chat.firstMessageId ??= messageId;
    chat.lastMessageId = Math.max(chat.lastMessageId ?? 0, messageId);
  };

  const send = async (
    ctx: PrivateContext,
    chat: ChatRecord,
    text: string,
    keyboard?: InlineKeyboard,
  ): Promise<Message.TextMessage> => {
    const sent = await ctx.reply(text, {
      parse_mode: "HTML",
      reply_markup: keyboard,
      link_preview_options: { is_disabled: true },
    });
    track(chat, sent.message_id);
    return sent;
  };

  /** The draft this update belongs to (loaded by the guard below before any handler runs). */
  const sessionOf = async (ctx: PrivateContext): Promise<DraftSessionData> => {
    const session = await ctx.draftSession.load();
    if (!session) throw new Error("interview handler without a draft");
    return session;
  };

  /**
   * Wipes the interview from the chat: from its first message up to `upTo` (the message just
   * before the closing one, so answers sent by other features, e.g. a location warning, go too).
   */
  const wipe = async (ctx: PrivateContext, chat: ChatRecord, upTo: number) => {
    const first = chat.firstMessageId ?? upTo;
    const last = Math.max(chat.lastMessageId ?? 0, upTo);
    if (first > 0) await wipeRange(ctx.api, ctx.chat.id, first, last);
  };

  const olderThanTelegramAllows = (draft: Draft) => {
    const started = Date.parse(`${draft.createdOn}T00:00:00Z`);
    return now().getTime() - started > TELEGRAM_DELETE_LIMIT_HOURS * 3600_000;
  };

  const staleButton = async (ctx: PrivateContext) => {
    await ctx.answerCallbackQuery({ text: ctx.t("interview-stale-button"), show_alert: true });
  };

  // --- views ------------------------------------------------------------------------------------

  /** Keeps the new draft and its writes and shows the views; an ended interview is closed here. */
  const apply = async (ctx: PrivateContext, session: DraftSessionData, outcome: Outcome) => {
    const { chat } = session;
    if (outcome.ended) return close(ctx, session, outcome);
    const draft = outcome.draft ?? session.draft;
    ctx.draftSession.set({ draft, chat }, outcome.writes);
    unshown.set(unshownKey(ctx), { position: draft.position });
    // What the bot shows is stored first (an answer, a new position, the update's id): if a
    // later write fails and the update is handled again, it is recognised as handled and the
    // source never sees a question twice, nor answers one the draft does not stand at.
    await ctx.draftSession.save();
    for (const view of outcome.views) await show(ctx, draft, chat, view);
    unshown.delete(unshownKey(ctx));
  };

  /**
   * What an update handled before should have shown: the note under the answer it stored, or
   * the question the interview stands at (a button's effect).
   */
  const showAgain = async (
    ctx: PrivateContext,
    session: DraftSessionData,
    pending: { position: string },
  ) => {
    ctx.draftSession.set(session);
    // Retried after a later update of this chat moved on: that one showed where things stand.
    if (session.draft.position !== pending.position) {
      unshown.delete(unshownKey(ctx));
      return;
    }
    const question = getQuestion(questionnaire, session.draft.position);
    const counts = question && answerCounts(session.draft)[question.id];
    if (ctx.message && question && counts) {
      await showSavedNote(ctx, session.chat, savedNote(ctx.t, question, counts));
    } else {
      await handle(ctx, { type: "resume" });
    }
    unshown.delete(unshownKey(ctx));
  };

  const show = async (ctx: PrivateContext, draft: Draft, chat: ChatRecord, view: InterviewView) => {
    switch (view.type) {
      case "question": {
        chat.noteMessageId = undefined;
        const { question } = view;
        if (question.type === "media" && question.mediaWarning) {
          await send(ctx, chat, ctx.t("interview-media-warning"));
        }
        const text = questionText(ctx.t, questionnaire, draft, question, view.answered);
        await send(ctx, chat, text, questionKeyboard(ctx.t, draft, question, view));
        return;
      }
      case "review": {
        chat.noteMessageId = undefined;
        const review = reviewMessage(ctx.t, questionnaire, draft, view.counts);
        await send(ctx, chat, review.text, review.keyboard);
        return;
      }
      case "saved": {
        // What the cleaner did with the file just sent: one line on top of the note.
        const note = savedNote(ctx.t, view.question, view.counts);
        const cleaned = cleaningNote(view.cleaning, ctx.t);
        if (cleaned) note.text = `${cleaned}\n\n${note.text}`;
        return showSavedNote(ctx, chat, note);
      }
      case "selection": {
        const keyboard = questionKeyboard(ctx.t, draft, view.question, view);
        await ctx.editMessageReplyMarkup({ reply_markup: keyboard }).catch(() => {});
        return;
      }
      case "review-changed": {
        const { keyboard } = reviewMessage(ctx.t, questionnaire, draft, view.counts);
        await ctx.editMessageReplyMarkup({ reply_markup: keyboard }).catch(() => {});
        return;
      }
      case "confirm-skip": {
        const { text, keyboard } = skipConfirmation(ctx.t, view.question);
        await send(ctx, chat, text, keyboard);
        return;
      }
      case "confirm-empty": {
        const { text, keyboard } = emptyConfirmation(ctx.t);
        await send(ctx, chat, text, keyboard);
        return;
      }
      case "problem":
        await send(ctx, chat, ctx.t(`interview-${view.problem}`));
        return;
      case "voice": {
        const { label } = view;
        if (label.reason === "could-not-decode") {
          await send(ctx, chat, ctx.t("interview-voice-not-disguised"));
        }
        if (label.reason === "too-long") await send(ctx, chat, ctx.t("interview-voice-too-long"));
        if (label.reason === "video-note")
          await send(ctx, chat, ctx.t("interview-voice-video-note"));
        if (view.first) {
          const keyboard = voiceChoiceKeyboard(ctx.t, view.keepReal);
          await send(ctx, chat, ctx.t("interview-voice-explained"), keyboard);
        }
        return;
      }
      case "voice-choice": {
        await ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => {});
        const key = view.keepReal
          ? "interview-voice-real-chosen"
          : "interview-voice-disguise-chosen";
        await send(ctx, chat, ctx.t(key), voiceChoiceKeyboard(ctx.t, view.keepReal));
        return;
      }
      case "stale":
        if (ctx.callbackQuery) await staleButton(ctx);
        return;
      case "declined":
      case "cancelled":
      case "submitted":
        return; // closed in close()
    }
  };

  /**
   * The note under a multi-message answer, with its Next button, stays the last message: each new
   * part gets a new note, and the old one goes once the new one is there.
   */
  const showSavedNote = async (
    ctx: PrivateContext,
    chat: ChatRecord,
    note: { text: string; keyboard: InlineKeyboard },
  ) => {
    const previous = chat.noteMessageId;
    const sent = await send(ctx, chat, note.text, note.keyboard);
    chat.noteMessageId = sent.message_id;
    if (previous) await ctx.api.deleteMessage(ctx.chat.id, previous).catch(() => {});
  };

  const close = async (ctx: PrivateContext, session: DraftSessionData, outcome: Outcome) => {
    const { draft, chat } = session;
    const [view] = outcome.views;
    if (view?.type !== "submitted") {
      await ctx.draftSession.end("discarded");
      const key = view?.type === "declined" ? "interview-consent-declined" : "interview-cancelled";
      const closing = await ctx.reply(ctx.t(key));
      await wipe(ctx, chat, closing.message_id - 1);
      return;
    }
    const userId = ctx.from.id;
    // The submission took the draft away (services/submissions).
    await ctx.draftSession.end("moved");
    deps.submissionLimiter.take(interview.memoryKey(userId));
    if (draft.state.notifyReplies)
      deps.replyNotices.remember(view.receipt.submissionId, ctx.chat.id);

    const final = [ctx.t("receipt-final")];
    if (olderThanTelegramAllows(draft)) final.push(ctx.t("receipt-old-messages"));
    const finalText = final.join("\n\n");
    // No Subscribe button here: a subscription made right after a submission would sit next to
    // it in the database (adjacent rows and transaction ids). /subscribe and the briefing offer it.
    const finalMessage = await ctx.reply(finalText, { parse_mode: "HTML" });
    await wipe(ctx, chat, finalMessage.message_id - 1);
    await deps.issueReceipt(ctx, {
      codename: view.receipt.codename,
      finalMessageId: finalMessage.message_id,
      finalText,
    });
  };

  /** Hands an event to the interview and shows the outcome. */
  const handle = async (ctx: PrivateContext, event: InterviewEvent) => {
    const session = await sessionOf(ctx);
    const outcome = await interview.handle(session.draft, event, await ctx.i18n.getLocale());
    await apply(ctx, session, outcome);
  };

  /**
   * A button: a stale one (another question's, or from a state that is gone) changes nothing;
   * otherwise its message is settled (`settle`), unless the view redraws it (selections, the
   * review's switch).
   */
  const onButton =
    (toEvent: (data: string) => InterviewEvent | undefined, keepKeyboard = false) =>
    async (ctx: ButtonContext) => {
      const session = await sessionOf(ctx);
      const event = toEvent(ctx.callbackQuery.data);
      const outcome =
        event && (await interview.handle(session.draft, event, await ctx.i18n.getLocale()));
      if (!event || !outcome || outcome.views.some((view) => view.type === "stale")) {
        return staleButton(ctx);
      }
      await ctx.answerCallbackQuery();
      if (!keepKeyboard) await settle(ctx, event, outcome);
      await apply(ctx, session, outcome);
    };

  /**
   * The pressed message loses its buttons; a question answered by a button shows what was chosen,
   * and "Delete your answer?" says what became of the answer.
   */
  const settle = async (ctx: ButtonContext, event: InterviewEvent, outcome: Outcome) => {
    const draft = outcome.draft;
    const question =
      "question" in event
        ? questionnaire.questions.find((q) => q.id === event.question)
        : undefined;
    const echoes =
      draft &&
      question &&
      (event.type === "choose" || (event.type === "next" && question.type === "multi"));
    let text: string | undefined;
    if (echoes) text = chosenText(ctx.t, questionnaire, draft, question);
    if (ctx.callbackQuery.data.startsWith("iv:keepit:")) text = ctx.t("interview-skip-kept");
    if (ctx.callbackQuery.data.startsWith("iv:drop:")) text = ctx.t("interview-skip-dropped");
    const edited =
      text !== undefined &&
      (await ctx.editMessageText(text, { parse_mode: "HTML" }).then(
        () => true,
        () => false,
      ));
    if (!edited) await ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => {});
  };

  // --- start -----------------------------------------------------------------------------------

  /** Loads the draft and marks an update handled before (`ctx.redelivered`). */
  const handledBefore = dedupe();

  /**
   * A new interview from the briefing's Begin and the chat record beside it; undefined (the
   * source told so) when today's submissions are used up.
   */
  const newInterview = async (ctx: ButtonContext) => {
    if (!deps.submissionLimiter.check(interview.memoryKey(ctx.from.id))) {
      await ctx.reply(ctx.t("interview-limit-submissions"));
      return undefined;
    }
    const briefingId = ctx.callbackQuery.message?.message_id;
    const chat: ChatRecord = {
      // The /start command usually sits right above the briefing: wipe it too.
      firstMessageId: briefingId ? Math.max(1, briefingId - 1) : undefined,
      lastMessageId: briefingId,
      recentUpdates: [ctx.update.update_id],
    };
    return { chat, outcome: interview.start(await ctx.i18n.getLocale()) };
  };

  /**
   * Begin before the source's key exists. The draft is stored under that key and sealed with
   * it, so storing it waits for the derivation; the first question does not, because a new
   * interview's first question needs nothing stored. It is shown at once, and the draft is
   * stored once the key is there, before this update ends: the source's next update (its answer)
   * comes after it (one chat's updates are handled in order). If storing fails, the question
   * shown goes again, and Begin is handled again with nothing shown twice. A draft this process
   * did not know of (after a restart) is found only then: the question shown goes, and the draft
   * resumes.
   */
  const beginBeforeKey = async (ctx: ButtonContext) => {
    const begun = await newInterview(ctx);
    const draft = begun?.outcome.draft;
    if (!begun || !draft) return;
    const { chat, outcome } = begun;
    const shownAfter = chat.lastMessageId ?? 0;
    const unshow = async () => {
      const last = chat.lastMessageId ?? 0;
      if (last > shownAfter) await wipeRange(ctx.api, ctx.chat.id, shownAfter + 1, last);
    };
    for (const view of outcome.views) await show(ctx, draft, chat, view);
    try {
      const existing = await ctx.draftSession.load();
      if (existing) {
        await unshow();
        return handle(ctx, { type: "resume" });
      }
      ctx.draftSession.set({ draft, chat }, outcome.writes);
      await ctx.draftSession.save();
    } catch (error) {
      await unshow().catch(() => {});
      throw error;
    }
  };

  const begin = async (ctx: ButtonContext) => {
    const existing = await ctx.draftSession.load();
    if (existing) {
      // Begin handled before, its last write lost (the database went away): the interview it
      // started stands, and only what it did not show yet is shown.
      if (ctx.redelivered) {
        const pending = unshown.get(unshownKey(ctx));
        if (pending) await showAgain(ctx, existing, pending);
        return;
      }
      return handle(ctx, { type: "resume" });
    }
    const begun = await newInterview(ctx);
    const draft = begun?.outcome.draft;
    if (begun && draft) await apply(ctx, { draft, chat: begun.chat }, begun.outcome);
  };

  /** A press on a first question shown moments ago: its draft may still be on its way. */
  const draftOnItsWay = (ctx: PrivateContext, data: string) => {
    const first = questionnaire.questions[0]?.id;
    const shownAt = (ctx.callbackQuery?.message?.date ?? 0) * 1000;
    return (
      deps.sharedByInstances === true &&
      first !== undefined &&
      buttons.answer.unpack(data)?.question === first &&
      now().getTime() - shownAt < DRAFT_ON_ITS_WAY_MS
    );
  };

  privateChat.callbackQuery(
    buttons.begin.filter,
    // Answered before the draft is looked for: that may wait for the source's lock.
    async (ctx, next) => {
      await ctx.answerCallbackQuery();
      await (deps.beginsBeforeKey?.(ctx) ? beginBeforeKey(ctx) : next());
    },
    handledBefore,
    begin,
  );

  // --- everything below needs a draft ----------------------------------------------------------

  const inDraft = new Composer<PrivateContext>();

  // Buttons of other features (language, codename) keep working during an interview, without
  // the draft being looked for.
  const forInterview = privateChat.filter((ctx) => {
    const data = ctx.callbackQuery?.data;
    return data === undefined || data.startsWith("iv:");
  });
  forInterview.use(handledBefore, async (ctx, next) => {
    const data = ctx.callbackQuery?.data;
    const session = await ctx.draftSession.load();
    // A button of an interview whose draft is gone: expired, or lost with the unlogged tables
    // when the database stopped uncleanly (README: what survives a restart).
    if (!session && data !== undefined) {
      if (draftOnItsWay(ctx, data)) throw new DraftNotStoredYet();
      await ctx.answerCallbackQuery({ text: ctx.t("interview-gone"), show_alert: true });
      return;
    }
    if (!session) return next();
    // Telegram may deliver an update again after a crash: handle each one once.
    if (ctx.redelivered) {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery();
      const pending = unshown.get(unshownKey(ctx));
      if (pending) await showAgain(ctx, session, pending);
      return;
    }
    // The draft session writes the draft and its record after this update, whatever runs next
    // (dedupe.ts set it, with this update's id).
    track(session.chat, ctx.msg?.message_id);
    // After a restart the language chosen with /language is forgotten; the draft remembers it.
    const { locale } = session.draft;
    if (isLocale(locale) && !(await deps.preferences.savedLocale(ctx.from.id))) {
      ctx.i18n.useLocale(locale);
    }
    const command = ctx.message?.text?.match(/^\/(\w+)/)?.[1];
    if (command && PASS_THROUGH_COMMANDS.has(command)) return next();
    await inDraft.middleware()(ctx, async () => {});
  });

  inDraft.command("start", async (ctx) => {
    await send(ctx, (await sessionOf(ctx)).chat, ctx.t("interview-resuming"));
    await handle(ctx, { type: "resume" });
  });

  inDraft.command("help", async (ctx) => {
    const text = `${ctx.t("help-text")}\n\n${ctx.t("interview-help-in-progress")}`;
    await send(ctx, (await sessionOf(ctx)).chat, text);
  });

  inDraft.command("cancel", (ctx) => confirmCancel(ctx));

  inDraft.on("message:text", async (ctx) => {
    if (ctx.message.text.startsWith("/")) {
      await send(ctx, (await sessionOf(ctx)).chat, ctx.t("interview-command-unknown"));
      return;
    }
    await handle(ctx, { type: "text", text: ctx.message.text });
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
      const file = fileOf(ctx.message);
      // A GIF also carries a document field: it is not an answer ("please answer" below).
      if (!file) return ctx.message.animation ? next() : undefined;
      await handle(ctx, {
        type: "file",
        file: { meta: file.meta, open: () => openFileStream(ctx.api, deps.apiRoot, file) },
      });
    },
  );

  inDraft.on("edited_message", async (ctx) => {
    await send(ctx, (await sessionOf(ctx)).chat, ctx.t("interview-edit-ignored"));
  });

  // --- buttons --------------------------------------------------------------------------------

  const choice =
    (type: "choose" | "toggle", definition: typeof buttons.answer) => (data: string) => {
      const parsed = definition.unpack(data);
      return parsed && { type, question: parsed.question, option: parsed.option };
    };
  const onQuestion =
    (type: "next" | "skip" | "back" | "redo" | "keep", definition: typeof buttons.next) =>
    (data: string) => {
      const parsed = definition.unpack(data);
      return parsed && { type, question: parsed.question };
    };

  inDraft.callbackQuery(buttons.answer.filter, onButton(choice("choose", buttons.answer)));
  inDraft.callbackQuery(buttons.toggle.filter, onButton(choice("toggle", buttons.toggle), true));
  inDraft.callbackQuery(buttons.next.filter, onButton(onQuestion("next", buttons.next)));
  inDraft.callbackQuery(buttons.skip.filter, onButton(onQuestion("skip", buttons.skip)));
  inDraft.callbackQuery(buttons.back.filter, onButton(onQuestion("back", buttons.back)));
  inDraft.callbackQuery(buttons.redo.filter, onButton(onQuestion("redo", buttons.redo)));
  inDraft.callbackQuery(buttons.keep.filter, onButton(onQuestion("keep", buttons.keep)));
  inDraft.callbackQuery(buttons.keepIt.filter, onButton(onQuestion("keep", buttons.keepIt)));
  inDraft.callbackQuery(
    buttons.drop.filter,
    onButton((data) => {
      const parsed = buttons.drop.unpack(data);
      return parsed && { type: "skip", question: parsed.question, confirmed: true };
    }),
  );
  inDraft.callbackQuery(
    buttons.notice.filter,
    onButton(() => ({ type: "toggle-notify" }), true),
  );
  // Keep my real voice / change it again: from the message about it, or the review.
  inDraft.callbackQuery(
    buttons.voice.filter,
    onButton(() => ({ type: "toggle-voice" }), true),
  );
  inDraft.callbackQuery(
    buttons.voiceAtReview.filter,
    onButton(() => ({ type: "toggle-voice", fromReview: true }), true),
  );
  inDraft.callbackQuery(
    buttons.submit.filter,
    onButton(() => ({ type: "submit" }), true),
  );
  inDraft.callbackQuery(
    buttons.submitEmpty.filter,
    onButton(() => ({ type: "submit", confirmed: true }), true),
  );

  inDraft.callbackQuery(buttons.noticeInfo.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    const { text, keyboard } = noticeExplanation(ctx.t);
    await send(ctx, (await sessionOf(ctx)).chat, text, keyboard);
  });

  inDraft.callbackQuery(buttons.dismiss.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.deleteMessage().catch(() => {});
  });

  inDraft.callbackQuery(buttons.cancel.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await confirmCancel(ctx);
  });

  inDraft.callbackQuery(buttons.cancelYes.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await handle(ctx, { type: "cancel" });
  });

  inDraft.callbackQuery(buttons.cancelNo.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.deleteMessage().catch(() => {});
  });

  // Any other button belongs to a state that is gone.
  inDraft.on("callback_query", staleButton);

  // Stickers, GIFs, polls, dice and anything else: ask for an answer, store nothing.
  inDraft.on("message", async (ctx) => {
    await send(ctx, (await sessionOf(ctx)).chat, ctx.t("interview-please-answer"));
  });

  async function confirmCancel(ctx: PrivateContext) {
    const { text, keyboard } = cancelConfirmation(ctx.t);
    await send(ctx, (await sessionOf(ctx)).chat, text, keyboard);
  }

  return feature;
}
