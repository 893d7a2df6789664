// How the interview looks in the chat: question messages, keyboards, the review.
import { InlineKeyboard } from "grammy";
import type { Draft } from "../services/interview/draft-store.js";
import {
  helpKey,
  optionKey,
  optionsOf,
  type Question,
  type Questionnaire,
  questionKey,
  shortKey,
  visibleQuestions,
} from "../services/interview/questionnaire.js";
import { createCallbackData } from "./callback-data/define.js";
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
  /** "Keep my answer →" (and "No, keep it" when Skip asks): on, the answer untouched. */
  keep: createCallbackData("iv:keep", ["question"]),
  /** "No, keep it" under "Delete your answer?": as keep, and the question says it was kept. */
  keepIt: createCallbackData("iv:keepit", ["question"]),
  /** "Yes, delete my answer": the confirmed Skip of an answered question. */
  drop: createCallbackData("iv:drop", ["question"]),
  /** Closes a message the bot put in between (a question it asked, an explanation). */
  dismiss: createCallbackData("iv:dismiss"),
  cancel: createCallbackData("iv:cancel"),
  cancelYes: createCallbackData("iv:cancel:yes"),
  cancelNo: createCallbackData("iv:cancel:no"),
  notice: createCallbackData("iv:notice"),
  noticeInfo: createCallbackData("iv:notice:info"),
  voice: createCallbackData("iv:voice"),
  voiceAtReview: createCallbackData("iv:voice:review"),
  submit: createCallbackData("iv:submit"),
  /** "Send anyway" when every question was skipped. */
  submitEmpty: createCallbackData("iv:submit:empty"),
};
const buttons = interviewButtons;

type Translate = BotContext["t"];
type Button = ReturnType<typeof InlineKeyboard.text>;

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * A question's place among the questions this source will be asked (branches not taken are not
 * counted), so the counter never jumps; the total changes only when the source's own choice
 * opens or closes a follow-up.
 */
export function questionProgress(
  questionnaire: Questionnaire,
  draft: Draft,
  question: Question,
): { number: number; total: number } {
  const visible = visibleQuestions(questionnaire, draft.state.choices);
  const index = visible.findIndex((q) => q.id === question.id);
  if (index === -1) {
    return {
      number: questionnaire.questions.findIndex((q) => q.id === question.id) + 1,
      total: questionnaire.questions.length,
    };
  }
  return { number: index + 1, total: visible.length };
}

function questionTitle(
  t: Translate,
  questionnaire: Questionnaire,
  draft: Draft,
  question: Question,
): string {
  const { number, total } = questionProgress(questionnaire, draft, question);
  return `<b>${number}/${total}.</b> ${escapeHtml(t(questionKey(question.id)))}`;
}

export function questionText(
  t: Translate,
  questionnaire: Questionnaire,
  draft: Draft,
  question: Question,
  answered: boolean,
): string {
  const lines = [
    questionTitle(t, questionnaire, draft, question),
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

/** The question once a button answered it: the question and, under it, what was chosen. */
export function chosenText(
  t: Translate,
  questionnaire: Questionnaire,
  draft: Draft,
  question: Question,
): string {
  const chosen = draft.state.choices[question.id] ?? [];
  const answer =
    chosen.length > 0
      ? `✓ ${chosen.map((option) => escapeHtml(t(optionKey(question.id, option)))).join(", ")}`
      : t("interview-chosen-none");
  return `${questionTitle(t, questionnaire, draft, question)}\n\n${answer}`;
}

export function questionKeyboard(
  t: Translate,
  draft: Draft,
  question: Question,
  view: { isFirst: boolean; answered: boolean },
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
  // Back, then Skip, must never cost an answer: the way on that keeps it comes first.
  if (view.answered) {
    keyboard.text(t("interview-button-keep"), buttons.keep.pack({ question: question.id })).row();
  }
  if (!view.isFirst)
    keyboard.text(t("interview-button-back"), buttons.back.pack({ question: question.id }));
  if (!question.required)
    keyboard.text(t("interview-button-skip"), buttons.skip.pack({ question: question.id }));
  keyboard.text(t("interview-button-cancel"), buttons.cancel.pack({}));
  return keyboard;
}

/** Skip on an answered question: deleting the answer takes a second, explicit press. */
export function skipConfirmation(t: Translate, question: Question) {
  const keyboard = new InlineKeyboard()
    .text(t("interview-button-keep-it"), buttons.keepIt.pack({ question: question.id }))
    .row()
    .text(t("interview-button-drop"), buttons.drop.pack({ question: question.id }));
  return { text: t("interview-skip-confirm"), keyboard };
}

/** Submit with every question skipped: asked once. */
export function emptyConfirmation(t: Translate) {
  const keyboard = new InlineKeyboard()
    .text(t("interview-button-submit-empty"), buttons.submitEmpty.pack({}))
    .row()
    .text(t("interview-button-back-to-review"), buttons.dismiss.pack({}));
  return { text: t("interview-empty-confirm"), keyboard };
}

/** Asks whether to delete everything; "no" keeps the interview as it is. */
export function cancelConfirmation(t: Translate) {
  const keyboard = new InlineKeyboard()
    .text(t("interview-button-cancel-yes"), buttons.cancelYes.pack({}))
    .row()
    .text(t("interview-button-cancel-no"), buttons.cancelNo.pack({}));
  return { text: t("interview-cancel-confirm"), keyboard };
}

/** The note under a multi-message answer: how much is stored, and the Next button. */
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

/**
 * The review, sized for a phone: one short line per question, a labelled button for each (two to
 * a row), explanations behind buttons. Its settings are rows of their own (`reviewSwitches`).
 */
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
    const label = shortLabel(t, question);
    lines.push(`${index + 1}. ${escapeHtml(label)} — ${answerStatus(t, counts[question.id])}`);
    keyboard.text(
      t("interview-button-redo", { number: index + 1, label }),
      buttons.redo.pack({ question: question.id }),
    );
    if (index % 2 === 1) keyboard.row();
  });
  lines.push("", t("interview-review-hint"));
  for (const row of reviewSwitches(t, draft)) keyboard.row().add(...row);
  keyboard
    .row()
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
 * The review's settings: each switch on a row of its own (its label is long enough to be cut at
 * half a phone's width), followed by the button that explains it.
 */
function reviewSwitches(t: Translate, draft: Draft): Button[][] {
  const notice = draft.state.notifyReplies
    ? "interview-button-notice-on"
    : "interview-button-notice-off";
  return [
    [InlineKeyboard.text(t(notice), buttons.notice.pack({}))],
    [InlineKeyboard.text(t("interview-button-notice-info"), buttons.noticeInfo.pack({}))],
    // After a first recording: whether voices are disguised (services/voice), and the way back.
    ...(draft.state.voiceExplained
      ? [
          [
            InlineKeyboard.text(
              t(
                draft.state.keepRealVoice
                  ? "interview-button-voice-real"
                  : "interview-button-voice-disguised",
              ),
              buttons.voiceAtReview.pack({}),
            ),
          ],
        ]
      : []),
  ];
}

/** What the reply notice is (behind the review's "?" button), with a button that closes it. */
export function noticeExplanation(t: Translate) {
  const keyboard = new InlineKeyboard().text(
    t("interview-button-got-it"),
    buttons.dismiss.pack({}),
  );
  return { text: t("interview-review-notice-explained"), keyboard };
}

function answerStatus(t: Translate, count: { parts: number; files: number } | undefined): string {
  if (!count) return t("interview-review-skipped");
  if (count.files > 0 && count.parts > 0) {
    return t("interview-review-text-files", { files: count.files });
  }
  if (count.files > 0) return t("interview-review-files", { files: count.files });
  return t("interview-review-answered");
}

/** A question's short name (review lines and buttons); the question shortened, if it has none. */
function shortLabel(t: Translate, question: Question): string {
  const key = shortKey(question.id);
  const short = t(key);
  return short && short !== key ? short : shorten(t(questionKey(question.id)));
}

function shorten(text: string, max = 28): string {
  const firstLine = text.split("\n")[0] ?? "";
  return firstLine.length <= max ? firstLine : `${firstLine.slice(0, max - 1).trimEnd()}…`;
}

export { escapeHtml };
