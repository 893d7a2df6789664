// How the interview looks in the chat: question messages, keyboards, the review.
import { InlineKeyboard } from "grammy";
import type { Draft } from "../services/interview.js";
import {
  helpKey,
  optionKey,
  optionsOf,
  type Question,
  type Questionnaire,
  questionKey,
  visibleQuestions,
} from "../services/questionnaire.js";
import { createCallbackData } from "./callback-data.js";
import type { BotContext } from "./context.js";

/** Every button of the interview: built here, parsed by the interview feature. */
export const interviewButtons = {
  begin: createCallbackData("iv:begin"),
  answer: createCallbackData("iv:a", ["question", "option"]),
  toggle: createCallbackData("iv:t", ["question", "option"]),
  next: createCallbackData("iv:next", ["question"]),
  skip: createCallbackData("iv:skip", ["question"]),
  back: createCallbackData("iv:back", ["question"]),
  redo: createCallbackData("iv:redo", ["question"]),
  cancel: createCallbackData("iv:cancel"),
  cancelYes: createCallbackData("iv:cancel:yes"),
  cancelNo: createCallbackData("iv:cancel:no"),
  notice: createCallbackData("iv:notice"),
  voice: createCallbackData("iv:voice"),
  voiceAtReview: createCallbackData("iv:voice:review"),
  submit: createCallbackData("iv:submit"),
};
const buttons = interviewButtons;

type Translate = BotContext["t"];

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function questionText(
  t: Translate,
  questionnaire: Questionnaire,
  question: Question,
  answered: boolean,
): string {
  const number = questionNumber(questionnaire, question);
  const lines = [
    `<b>${number}/${questionnaire.questions.length}.</b> ${escapeHtml(t(questionKey(question.id)))}`,
    "",
    `<i>${escapeHtml(t(helpKey(question.id)))}</i>`,
  ];
  if (question.type === "multi") lines.push("", t("interview-multi-hint"));
  if (question.type === "text" || question.type === "text_or_media") {
    lines.push("", t("interview-text-hint"));
  }
  if (question.type === "media") lines.push("", t("interview-media-hint"));
  if (question.type === "year") lines.push("", t("interview-year-hint"));
  if (answered) lines.push("", t("interview-already-answered"));
  return lines.join("\n");
}

export function questionKeyboard(
  t: Translate,
  draft: Draft,
  question: Question,
  isFirst: boolean,
): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  const chosen = draft.state.choices[question.id] ?? [];
  if (question.type === "choice" || question.type === "yesno") {
    for (const option of optionsOf(question)) {
      const mark = chosen.includes(option) ? "● " : "";
      keyboard.text(
        `${mark}${t(optionKey(question.id, option))}`,
        buttons.answer.pack({ question: question.id, option }),
      );
      keyboard.row();
    }
  }
  if (question.type === "multi") {
    const selecting = draft.state.selecting ?? chosen;
    for (const option of optionsOf(question)) {
      const mark = selecting.includes(option) ? "☑ " : "☐ ";
      keyboard.text(
        `${mark}${t(optionKey(question.id, option))}`,
        buttons.toggle.pack({ question: question.id, option }),
      );
      keyboard.row();
    }
    keyboard.text(t("interview-button-done"), buttons.next.pack({ question: question.id })).row();
  }
  if (!isFirst)
    keyboard.text(t("interview-button-back"), buttons.back.pack({ question: question.id }));
  if (!question.required)
    keyboard.text(t("interview-button-skip"), buttons.skip.pack({ question: question.id }));
  keyboard.text(t("interview-button-cancel"), buttons.cancel.pack({}));
  return keyboard;
}

/** The note under a multi-message answer: how much is stored, and the Next button. */
/** Asks whether to delete everything; "no" keeps the interview as it is. */
export function cancelConfirmation(t: Translate) {
  const keyboard = new InlineKeyboard()
    .text(t("interview-button-cancel-yes"), buttons.cancelYes.pack({}))
    .row()
    .text(t("interview-button-cancel-no"), buttons.cancelNo.pack({}));
  return { text: t("interview-cancel-confirm"), keyboard };
}

export function savedNote(
  t: Translate,
  question: Question,
  counts: { parts: number; files: number },
) {
  const text = t("interview-saved", { parts: counts.parts, files: counts.files });
  const keyboard = new InlineKeyboard()
    .text(t("interview-button-next"), buttons.next.pack({ question: question.id }))
    .row()
    .text(t("interview-button-back"), buttons.back.pack({ question: question.id }))
    .text(t("interview-button-cancel"), buttons.cancel.pack({}));
  return { text, keyboard };
}

/** The review: every shown question with answered / skipped / files, and redo buttons. */
export function reviewMessage(
  t: Translate,
  questionnaire: Questionnaire,
  draft: Draft,
  counts: Record<string, { parts: number; files: number }>,
) {
  const visible = visibleQuestions(questionnaire, draft.state.choices);
  const lines = [t("interview-review-title"), ""];
  const keyboard = new InlineKeyboard();
  visible.forEach((question, index) => {
    const number = questionNumber(questionnaire, question);
    const status = answerStatus(t, counts[question.id]);
    lines.push(`${number}. ${escapeHtml(shorten(t(questionKey(question.id))))} — ${status}`);
    keyboard.text(String(number), buttons.redo.pack({ question: question.id }));
    if ((index + 1) % 6 === 0) keyboard.row();
  });
  lines.push("", t("interview-review-hint"), "", t("interview-review-notice-explained"));
  keyboard
    .row()
    .text(
      t(draft.state.notifyReplies ? "interview-button-notice-on" : "interview-button-notice-off"),
      buttons.notice.pack({}),
    )
    .row();
  if (draft.state.voiceExplained) {
    const key = draft.state.keepRealVoice
      ? "interview-button-voice-real"
      : "interview-button-voice-disguised";
    keyboard.text(t(key), buttons.voiceAtReview.pack({})).row();
  }
  keyboard
    .text(t("interview-button-submit"), buttons.submit.pack({}))
    .row()
    .text(t("interview-button-cancel"), buttons.cancel.pack({}));
  return { text: lines.join("\n"), keyboard };
}

/** The voice choice's button under a message about it: the way to the other choice. */
export function voiceChoiceKeyboard(t: Translate, keepReal: boolean): InlineKeyboard {
  const key = keepReal ? "interview-button-voice-disguise" : "interview-button-voice-keep-real";
  return new InlineKeyboard().text(t(key), buttons.voice.pack({}));
}

/**
 * A question's number is its place in the whole questionnaire, and the total is fixed: a branch
 * not taken counts as passed, so the counter never jumps back or grows as branches open.
 */
function questionNumber(questionnaire: Questionnaire, question: Question): number {
  return questionnaire.questions.findIndex((q) => q.id === question.id) + 1;
}

function answerStatus(t: Translate, count: { parts: number; files: number } | undefined): string {
  if (!count) return t("interview-review-skipped");
  if (count.files > 0 && count.parts > 0) {
    return t("interview-review-text-files", { files: count.files });
  }
  if (count.files > 0) return t("interview-review-files", { files: count.files });
  return t("interview-review-answered");
}

function shorten(text: string, max = 48): string {
  const firstLine = text.split("\n")[0] ?? "";
  return firstLine.length <= max ? firstLine : `${firstLine.slice(0, max - 1).trimEnd()}…`;
}

export { escapeHtml };
