// What an event means for an interview: decide(draft, event, context) → { draft, commands, views }.
// Validation, limits, branching, navigation and confirmations live here, synchronous and with no
// keys, no I/O, no clock and no randomness of its own (ids and the time come in the context), so
// every rule is testable by itself. What must be done about the decision (encrypt an answer,
// store a file, drop parts, submit) leaves as plain commands that runner.ts carries out.

import type { SubmissionReceipt } from "../submissions/submit.js";
import { VOICE_KINDS, type VoiceLabel } from "../voice/index.js";
import type { AttachmentCleaning, AttachmentMeta } from "./attachments.js";
import {
  type AnswerCounts,
  answerCounts,
  type Draft,
  dayOf,
  type InterviewLimits,
  REVIEW,
} from "./draft.js";
import {
  abandonedQuestions,
  acceptsMedia,
  CONSENT_ID,
  firstQuestion,
  getQuestion,
  isChoiceOption,
  type MediaKind,
  nextQuestion,
  openedFollowUp,
  previousQuestion,
  type Question,
  type Questionnaire,
  validateText,
  validateYear,
} from "./questionnaire.js";

/** A file the source sent; the runner opens it only once the decision wants it stored. */
export interface IncomingAttachment {
  meta: AttachmentMeta & { kind: MediaKind };
  /** The file's bytes (rejects with FileTooBigError above the Bot API's download limit). */
  open(): Promise<ReadableStream<Uint8Array>>;
}

export type InterviewEvent =
  /** The source came back (the begin button or /start with a draft in progress). */
  | { type: "resume" }
  | { type: "text"; text: string }
  | { type: "file"; file: IncomingAttachment }
  /** A button of a single-choice or yes/no question. */
  | { type: "choose"; question: string; option: string }
  /** A button of a multi-choice question: selects or deselects an option. */
  | { type: "toggle"; question: string; option: string }
  /** "Next" / "Done": the answer to this question is complete. */
  | { type: "next"; question: string }
  /** Skip; on a question that holds an answer it asks first, and `confirmed` deletes it. */
  | { type: "skip"; question: string; confirmed?: boolean }
  /** "Keep my answer →": on to the next question, the stored answer untouched. */
  | { type: "keep"; question: string }
  | { type: "back"; question: string }
  /** From the review: answer this question again. */
  | { type: "redo"; question: string }
  /** From the review: switch "tell me here when editors reply". */
  | { type: "toggle-notify" }
  /** Send to the editors; a testimony with no answer at all asks once (`confirmed` sends it). */
  | { type: "submit"; confirmed?: boolean }
  /** Keep my real voice / disguise it again (after the first recording, or from the review). */
  | { type: "toggle-voice"; fromReview?: boolean }
  /** Confirmed cancel: everything of this interview goes. */
  | { type: "cancel" };

/** A short message that changes nothing: `interview-<problem>` in the locales. */
export type Problem =
  | "use-buttons"
  | "media-text-not-expected"
  | "media-not-expected"
  | "file-too-big"
  | `error-${string}`;

/** What the bot shows after an event (no Telegram here: views say what, the bot says how). */
export type InterviewView =
  | { type: "question"; question: Question; answered: boolean; isFirst: boolean }
  /** How much of the current answer is stored (the note under a multi-message answer). */
  | {
      type: "saved";
      question: Question;
      counts: { parts: number; files: number };
      /** For a file: what its cleaning did, for the line the source reads about it. */
      cleaning?: AttachmentCleaning;
    }
  /** The multi-choice selection changed: redraw the question's buttons. */
  | { type: "selection"; question: Question; answered: boolean; isFirst: boolean }
  | { type: "review"; counts: AnswerCounts }
  /** Skip pressed on an answered question: nothing changed; ask before deleting the answer. */
  | { type: "confirm-skip"; question: Question }
  /** Submit pressed with every question skipped: nothing sent; ask once. */
  | { type: "confirm-empty" }
  /** The review's switches changed: redraw its buttons. */
  | { type: "review-changed"; counts: AnswerCounts }
  | { type: "problem"; problem: Problem }
  /**
   * A recording was stored: what happened to its voice. `first`: the first of this interview,
   * when the source is told what the disguise does and that they may keep their real voice.
   */
  | { type: "voice"; label: VoiceLabel; first: boolean; keepReal: boolean }
  /** The voice choice changed outside the review. */
  | { type: "voice-choice"; keepReal: boolean }
  /** A button from another question or state: nothing changed. */
  | { type: "stale" }
  | { type: "declined" }
  | { type: "cancelled" }
  | { type: "submitted"; receipt: SubmissionReceipt & { submissionId: string } };

/**
 * Views that show what a command produced, which no decision can know: the runner completes
 * each from the result of the command it names.
 */
export type AwaitingView =
  /** Becomes "saved" with the cleaning line of the file stored as part `partId`. */
  | {
      type: "file-saved";
      partId: string;
      question: Question;
      counts: { parts: number; files: number };
    }
  /** Becomes "voice" with the label of the recording stored as part `partId`. */
  | { type: "voice-stored"; partId: string; first: boolean; keepReal: boolean }
  /** Becomes "submitted" with the receipt of the submit command. */
  | { type: "receipt" };

export type DecidedView = Exclude<InterviewView, { type: "voice" | "submitted" }> | AwaitingView;

/**
 * What the decision needs carried out, in order. The plaintext (`text`, `file`) is in memory
 * only and goes to the runner, which encrypts it before anything is written.
 */
export type Command =
  /** A text or a choice (option ids, one a line), encrypted as a new part of the question. */
  | {
      type: "encrypt-answer";
      partId: string;
      questionId: string;
      text: string;
      label: "text" | "choice";
    }
  /** A file, cleaned (unless `keepOriginal`) or disguised (unless `keepRealVoice`), stored. */
  | {
      type: "store-file";
      partId: string;
      questionId: string;
      file: IncomingAttachment;
      keepOriginal: boolean;
      keepRealVoice: boolean;
    }
  /** Stored parts that go (an answer replaced or skipped, a branch abandoned). */
  | { type: "drop-parts"; ids: string[] }
  /** The testimony goes to the editors as the decision's draft stands. */
  | { type: "submit" };

export interface Decision {
  /** The draft after the event (the one given is never changed). */
  draft: Draft;
  commands: Command[];
  views: DecidedView[];
  ended?: "submitted" | "cancelled" | "declined";
}

export interface DecideContext {
  questionnaire: Questionnaire;
  limits: Pick<InterviewLimits, "maxTextLength" | "maxAttachmentsPerSubmission">;
  /** The time of the event (the year's range, the draft's day). */
  now: Date;
  /** A new random id (drafts, parts). */
  newId: () => string;
}

/** A decision in the making: the draft being changed and the commands so far. */
interface Step {
  draft: Draft;
  commands: Command[];
  ended?: Decision["ended"];
  context: DecideContext;
}

/** A new interview at its first question (stored by the draft store on its first write). */
export function start(locale: string, context: DecideContext): Decision {
  const { questionnaire } = context;
  const first = firstQuestion(questionnaire);
  const draft: Draft = {
    id: context.newId(),
    position: first.id,
    locale,
    questionnaireVersion: questionnaire.version,
    createdOn: dayOf(context.now),
    state: { choices: {}, skipped: [], textLength: {}, attachments: {}, partIds: {} },
  };
  const step: Step = { draft, commands: [], context };
  return { draft, commands: [], views: ask(step, first) };
}

/** The one transition: the draft given is not changed; the decision carries the new one. */
export function decide(given: Draft, event: InterviewEvent, context: DecideContext): Decision {
  const step: Step = { draft: structuredClone(given), commands: [], context };
  const question = getQuestion(context.questionnaire, step.draft.position);
  const views = transition(step, question, event);
  const { draft, commands, ended } = step;
  return ended ? { draft, commands, views, ended } : { draft, commands, views };
}

function transition(
  step: Step,
  question: Question | undefined,
  event: InterviewEvent,
): DecidedView[] {
  const { draft } = step;
  const { questionnaire } = step.context;
  const stale: DecidedView[] = [{ type: "stale" }];
  const onQuestion = (id: string) => question !== undefined && question.id === id;
  switch (event.type) {
    case "resume":
      return question ? ask(step, question, true) : review(step);

    case "text":
      return question ? answerText(step, question, event.text) : problem("use-buttons");

    case "file":
      return answerFile(step, question, event.file);

    case "choose": {
      if (!question || !onQuestion(event.question) || !isChoiceOption(question, event.option)) {
        return stale;
      }
      if (question.id === CONSENT_ID && event.option === "no") {
        step.ended = "declined";
        return [{ type: "declined" }];
      }
      setChoice(step, question.id, [event.option]);
      return advance(step);
    }

    case "toggle": {
      if (!question || !onQuestion(event.question) || !isChoiceOption(question, event.option)) {
        return stale;
      }
      const selecting = new Set(draft.state.selecting ?? draft.state.choices[question.id] ?? []);
      if (selecting.has(event.option)) selecting.delete(event.option);
      else selecting.add(event.option);
      draft.state.selecting = [...selecting];
      const answered = hasAnswer(draft, question.id);
      return [{ type: "selection", question, answered, isFirst: isFirst(step, question) }];
    }

    case "next": {
      if (!question || !onQuestion(event.question)) return stale;
      const selecting = draft.state.selecting;
      if (question.type === "multi" && selecting) {
        if (selecting.length > 0) setChoice(step, question.id, selecting);
        else skip(step, question.id);
      }
      return advance(step);
    }

    case "skip":
      if (!question || !onQuestion(event.question) || question.required) return stale;
      // Going back must never put an answer at risk: deleting one is a choice made knowingly.
      if (hasAnswer(draft, question.id) && !event.confirmed) {
        return [{ type: "confirm-skip", question }];
      }
      skip(step, question.id);
      return advance(step);

    case "keep":
      if (!question || !onQuestion(event.question)) return stale;
      draft.state.selecting = undefined;
      return advance(step);

    case "back": {
      if (!question || !onQuestion(event.question)) return stale;
      draft.state.fromReview = false;
      const previous = previousQuestion(questionnaire, question.id, draft.state.choices);
      return ask(step, previous ?? question);
    }

    case "redo": {
      const target = getQuestion(questionnaire, event.question);
      if (draft.position !== REVIEW || !target) return stale;
      draft.state.fromReview = true;
      return ask(step, target);
    }

    case "toggle-notify":
      if (draft.position !== REVIEW) return stale;
      draft.state.notifyReplies = !draft.state.notifyReplies;
      return [{ type: "review-changed", counts: answerCounts(draft) }];

    case "toggle-voice":
      if (!draft.state.voiceExplained) return stale;
      if (event.fromReview && draft.position !== REVIEW) return stale;
      draft.state.keepRealVoice = !draft.state.keepRealVoice;
      if (event.fromReview) {
        return [{ type: "review-changed", counts: answerCounts(draft) }];
      }
      if (draft.position === REVIEW) {
        // Tapped under the note while at the review: the review comes again below, its
        // voice button saying the choice just made.
        return [
          { type: "voice-choice", keepReal: draft.state.keepRealVoice },
          { type: "review", counts: answerCounts(draft) },
        ];
      }
      return [{ type: "voice-choice", keepReal: draft.state.keepRealVoice }];

    case "submit":
      if (draft.position !== REVIEW) return stale;
      if (!event.confirmed && !answeredAnything(draft)) return [{ type: "confirm-empty" }];
      step.commands.push({ type: "submit" });
      step.ended = "submitted";
      return [{ type: "receipt" }];

    case "cancel":
      step.ended = "cancelled";
      return [{ type: "cancelled" }];
  }
}

// --- answers ----------------------------------------------------------------------------------

function answerText(step: Step, question: Question, typed: string): DecidedView[] {
  const { limits, now } = step.context;
  if (question.type === "year") {
    const year = validateYear(typed, now);
    if (!year.ok) return problem(`error-${year.error}`);
    if (!addText(step, question.id, String(year.value))) return problem("error-text-too-long");
    return advance(step);
  }
  const text = validateText(question, typed, { maxTextLength: limits.maxTextLength });
  if (!text.ok) {
    if (text.error !== "text-not-expected") return problem(`error-${text.error}`);
    return problem(question.type === "media" ? "media-text-not-expected" : "use-buttons");
  }
  if (!addText(step, question.id, text.value)) return problem("error-text-too-long");
  return [{ type: "saved", question, counts: countsOf(step.draft, question.id) }];
}

/**
 * A text part of the question; false (and nothing changed) when the answer would grow past the
 * length limit: the messages of one visit to a question add up.
 */
function addText(step: Step, questionId: string, text: string): boolean {
  const { state } = step.draft;
  const before = state.replacing === questionId ? (state.textLength[questionId] ?? 0) : 0;
  const length = before + text.length;
  if (length > step.context.limits.maxTextLength) return false;
  replaceOnFirstPart(step, questionId);
  const partId = addPart(step, questionId);
  step.commands.push({ type: "encrypt-answer", partId, questionId, text, label: "text" });
  state.textLength[questionId] = length;
  state.textParts ??= {};
  state.textParts[questionId] = (state.textParts[questionId] ?? 0) + 1;
  state.skipped = state.skipped.filter((id) => id !== questionId);
  return true;
}

/**
 * A file is checked against the limits before anything opens it. The file's part is counted
 * here; whether it is stored is up to the runner (a file too big to download changes nothing).
 */
function answerFile(
  step: Step,
  question: Question | undefined,
  file: IncomingAttachment,
): DecidedView[] {
  if (!question || !acceptsMedia(question, file.meta.kind)) return problem("media-not-expected");
  const { state } = step.draft;
  const replacing = state.replacing === question.id;
  const onQuestion = replacing ? (state.attachments[question.id] ?? 0) : 0;
  if (onQuestion >= question.maxAttachments) return problem("error-too-many-attachments");
  const total = Object.entries(state.attachments).reduce(
    (sum, [id, n]) => sum + (id === question.id && !replacing ? 0 : n),
    0,
  );
  if (total >= step.context.limits.maxAttachmentsPerSubmission) {
    return problem("error-submission-attachments");
  }
  const first = !state.voiceExplained;
  const keepRealVoice = Boolean(state.keepRealVoice);
  replaceOnFirstPart(step, question.id);
  const partId = addPart(step, question.id);
  step.commands.push({
    type: "store-file",
    partId,
    questionId: question.id,
    file,
    keepOriginal: question.evidence,
    keepRealVoice,
  });
  state.attachments[question.id] = onQuestion + 1;
  state.skipped = state.skipped.filter((id) => id !== question.id);
  const counts = countsOf(step.draft, question.id);
  // A recording says what happened to its voice; any other file what its cleaning removed.
  if (!VOICE_KINDS.has(file.meta.kind)) return [{ type: "file-saved", partId, question, counts }];
  state.voiceExplained = true;
  // What happened to the voice comes first: the note with its Next button stays the last message.
  return [
    { type: "voice-stored", partId, first, keepReal: keepRealVoice },
    { type: "saved", question, counts },
  ];
}

/**
 * Stores a choice (its option ids, encrypted) and drops the answers of branches that no longer
 * apply, so an abandoned branch leaves nothing behind.
 */
function setChoice(step: Step, questionId: string, options: string[]) {
  const { state } = step.draft;
  const after = { ...state.choices, [questionId]: options };
  const abandoned = abandonedQuestions(step.context.questionnaire, state.choices, after);
  for (const id of abandoned) delete after[id];
  dropAnswers(step, [questionId, ...abandoned]);
  const partId = addPart(step, questionId);
  const text = options.join("\n");
  step.commands.push({ type: "encrypt-answer", partId, questionId, text, label: "choice" });
  state.choices = after;
  state.skipped = state.skipped.filter((id) => id !== questionId && !abandoned.includes(id));
}

/** Skip: any earlier answer to the question goes, and the branches it had opened. */
function skip(step: Step, questionId: string) {
  const { state } = step.draft;
  dropAnswers(step, [questionId]);
  if (questionId in state.choices) {
    const after = { ...state.choices };
    delete after[questionId];
    const abandoned = abandonedQuestions(step.context.questionnaire, state.choices, after);
    dropAnswers(step, abandoned);
    for (const id of abandoned) delete after[id];
    state.choices = after;
  }
  if (!state.skipped.includes(questionId)) state.skipped.push(questionId);
}

// --- navigation -------------------------------------------------------------------------------

/** `resume`: back at the question the source was on; what they add goes on the same answer. */
function ask(step: Step, question: Question, resume = false): DecidedView[] {
  const { draft } = step;
  const continuing = resume && draft.state.replacing === question.id;
  const answered = hasAnswer(draft, question.id) && question.id !== CONSENT_ID && !continuing;
  draft.position = question.id;
  if (!continuing) draft.state.replacing = undefined;
  draft.state.selecting = undefined;
  return [{ type: "question", question, answered, isFirst: isFirst(step, question) }];
}

function review(step: Step): DecidedView[] {
  const { draft } = step;
  draft.position = REVIEW;
  draft.state.fromReview = false;
  draft.state.replacing = undefined;
  return [{ type: "review", counts: answerCounts(draft) }];
}

/** From the review, only a follow-up that the new answer opened is asked; then the review. */
function advance(step: Step): DecidedView[] {
  const { draft } = step;
  const { state } = draft;
  const { questionnaire } = step.context;
  const settled = new Set([...Object.keys(answerCounts(draft)), ...state.skipped]);
  const next = state.fromReview
    ? openedFollowUp(questionnaire, draft.position, state.choices, settled)
    : nextQuestion(questionnaire, draft.position, state.choices);
  return next ? ask(step, next) : review(step);
}

const hasAnswer = (draft: Draft, questionId: string) =>
  Boolean(answerCounts(draft)[questionId]) || questionId in draft.state.choices;

/** Anything beyond the consent: a testimony of skips only is worth a second look. */
const answeredAnything = (draft: Draft) =>
  Object.keys(answerCounts(draft)).some((id) => id !== CONSENT_ID);

const isFirst = (step: Step, question: Question) =>
  !previousQuestion(step.context.questionnaire, question.id, step.draft.state.choices);

const problem = (name: Problem): DecidedView[] => [{ type: "problem", problem: name }];

// --- stored parts -----------------------------------------------------------------------------

const countsOf = (draft: Draft, questionId: string) =>
  answerCounts(draft)[questionId] ?? { parts: 0, files: 0 };

/** The first new part during a visit to a question replaces what was stored before. */
function replaceOnFirstPart(step: Step, questionId: string) {
  const { state } = step.draft;
  if (state.replacing === questionId) return;
  dropAnswers(step, [questionId]);
  state.replacing = questionId;
}

/** Deletes the stored answers of these questions (their parts, files and counts). */
function dropAnswers(step: Step, questionIds: string[]) {
  const { state } = step.draft;
  const ids = questionIds.flatMap((id) => state.partIds?.[id] ?? []);
  if (ids.length > 0) step.commands.push({ type: "drop-parts", ids });
  for (const id of questionIds) {
    delete state.partIds?.[id];
    delete state.textLength[id];
    delete state.textParts?.[id];
    delete state.attachments[id];
  }
}

/** A new part of the question, listed in the draft; its command says what it will hold. */
function addPart(step: Step, questionId: string): string {
  const id = step.context.newId();
  const { state } = step.draft;
  state.partIds ??= {};
  state.partIds[questionId] = [...(state.partIds[questionId] ?? []), id];
  return id;
}
