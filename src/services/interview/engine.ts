// The interview as one transition function: handle(draft, event) → { draft, views }.
// It decides validation, branching, navigation and what gets encrypted; the answers it stores
// leave as `draft.unsaved` part writes, which the draft store commits together with the sealed
// state in one transaction (see interview.ts). No Telegram here: views say what to show.

import { currentKeys, type EditorKeyring } from "../crypto/editor-keys.js";
import { encryptTextForEditors } from "../crypto/for-editors.js";
import { type Recipient, recipientsOf } from "../crypto/recipients.js";
import type { SubmissionReceipt } from "../submissions/submit.js";
import {
  createVoiceDisguiser,
  prepareVoice,
  VOICE_KINDS,
  type VoiceDisguiser,
  type VoiceLabel,
} from "../voice/index.js";
import {
  type AttachmentCleaning,
  type AttachmentMeta,
  type ChunkStore,
  FileTooBigError,
  prepareAttachment,
  storeEncryptedAttachment,
} from "./attachments.js";
import {
  type AnswerCounts,
  answerCounts,
  type Draft,
  dayOf,
  type InterviewLimits,
  LimitError,
  type PartWrite,
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

/** A file the source sent; the engine opens it only once it knows the file is wanted. */
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

export type { AnswerCounts } from "./draft.js";
export { answerCounts } from "./draft.js";

/** A short message that changes nothing: `interview-<problem>` in the locales. */
export type Problem =
  | "use-buttons"
  | "media-text-not-expected"
  | "media-not-expected"
  | "file-too-big"
  | `error-${string}`;

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

export interface Outcome {
  /** The draft after the event; undefined once the interview has ended. */
  draft?: Draft;
  views: InterviewView[];
  ended?: "submitted" | "cancelled" | "declined";
}

export interface InterviewEngineDeps {
  questionnaire: Questionnaire;
  keyring: EditorKeyring;
  /** Where file bodies are stored, encrypted, as they arrive (their parts wait for the write). */
  parts: ChunkStore;
  /** Disguises recordings before encryption (in worker threads; one is made if not given). */
  voice?: VoiceDisguiser;
  limits: InterviewLimits;
  submit: (draft: Draft) => Promise<SubmissionReceipt & { submissionId: string }>;
  now?: () => Date;
}

export function createInterviewEngine(deps: InterviewEngineDeps) {
  const { questionnaire } = deps;
  const now = deps.now ?? (() => new Date());
  const disguiser = deps.voice ?? createVoiceDisguiser({ workers: 1 });

  /** A new interview at its first question (stored by the draft store on its first write). */
  function start(locale: string): Outcome {
    const first = firstQuestion(questionnaire);
    const draft: Draft = {
      id: crypto.randomUUID(),
      position: first.id,
      locale,
      questionnaireVersion: questionnaire.version,
      createdOn: dayOf(now()),
      state: { choices: {}, skipped: [], textLength: {}, attachments: {}, partIds: {} },
    };
    return { draft, views: ask(draft, first) };
  }

  /** The one transition: the draft given is not changed; the outcome carries the new one. */
  async function handle(current: Draft, event: InterviewEvent, locale?: string): Promise<Outcome> {
    const draft: Draft = structuredClone(current);
    if (locale) draft.locale = locale;
    const question = getQuestion(questionnaire, draft.position);
    const views = await transition(draft, question, event);
    if (!Array.isArray(views)) return views;
    return { draft, views };
  }

  async function transition(
    draft: Draft,
    question: Question | undefined,
    event: InterviewEvent,
  ): Promise<InterviewView[] | Outcome> {
    const stale: InterviewView[] = [{ type: "stale" }];
    const onQuestion = (id: string) => question !== undefined && question.id === id;
    switch (event.type) {
      case "resume":
        return question ? ask(draft, question, true) : review(draft);

      case "text":
        return question ? answerText(draft, question, event.text) : problem("use-buttons");

      case "file":
        return answerFile(draft, question, event.file);

      case "choose": {
        if (!question || !onQuestion(event.question) || !isChoiceOption(question, event.option)) {
          return stale;
        }
        if (question.id === CONSENT_ID && event.option === "no") {
          return { views: [{ type: "declined" }], ended: "declined" };
        }
        await setChoice(draft, question.id, [event.option]);
        return advance(draft);
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
        return [{ type: "selection", question, answered, isFirst: isFirst(draft, question) }];
      }

      case "next": {
        if (!question || !onQuestion(event.question)) return stale;
        const selecting = draft.state.selecting;
        if (question.type === "multi" && selecting) {
          if (selecting.length > 0) await setChoice(draft, question.id, selecting);
          else skip(draft, question.id);
        }
        return advance(draft);
      }

      case "skip":
        if (!question || !onQuestion(event.question) || question.required) return stale;
        // Going back must never put an answer at risk: deleting one is a choice made knowingly.
        if (hasAnswer(draft, question.id) && !event.confirmed) {
          return [{ type: "confirm-skip", question }];
        }
        skip(draft, question.id);
        return advance(draft);

      case "keep":
        if (!question || !onQuestion(event.question)) return stale;
        draft.state.selecting = undefined;
        return advance(draft);

      case "back": {
        if (!question || !onQuestion(event.question)) return stale;
        draft.state.fromReview = false;
        const previous = previousQuestion(questionnaire, question.id, draft.state.choices);
        return ask(draft, previous ?? question);
      }

      case "redo": {
        const target = getQuestion(questionnaire, event.question);
        if (draft.position !== REVIEW || !target) return stale;
        draft.state.fromReview = true;
        return ask(draft, target);
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

      case "submit": {
        if (draft.position !== REVIEW) return stale;
        if (!event.confirmed && !answeredAnything(draft)) return [{ type: "confirm-empty" }];
        const receipt = await deps.submit(draft);
        return { views: [{ type: "submitted", receipt }], ended: "submitted" };
      }

      case "cancel":
        return { views: [{ type: "cancelled" }], ended: "cancelled" };
    }
  }

  // --- answers --------------------------------------------------------------------------------

  async function answerText(
    draft: Draft,
    question: Question,
    typed: string,
  ): Promise<InterviewView[]> {
    if (question.type === "year") {
      const year = validateYear(typed, now());
      if (!year.ok) return problem(`error-${year.error}`);
      await addText(draft, question.id, String(year.value));
      return advance(draft);
    }
    const text = validateText(question, typed, { maxTextLength: deps.limits.maxTextLength });
    if (!text.ok) {
      if (text.error !== "text-not-expected") return problem(`error-${text.error}`);
      return problem(question.type === "media" ? "media-text-not-expected" : "use-buttons");
    }
    try {
      await addText(draft, question.id, text.value);
    } catch (error) {
      if (error instanceof LimitError) return problem(`error-${error.limit}`);
      throw error;
    }
    return [{ type: "saved", question, counts: countsOf(draft, question.id) }];
  }

  async function answerFile(
    draft: Draft,
    question: Question | undefined,
    file: IncomingAttachment,
  ): Promise<InterviewView[]> {
    if (!question || !acceptsMedia(question, file.meta.kind)) return problem("media-not-expected");
    const first = !draft.state.voiceExplained;
    let added: Awaited<ReturnType<typeof addAttachment>>;
    try {
      added = await addAttachment(draft, question, file);
    } catch (error) {
      if (error instanceof FileTooBigError) return problem("file-too-big");
      if (error instanceof LimitError) return problem(`error-${error.limit}`);
      throw error;
    }
    // A recording says what happened to its voice; any other file what its cleaning removed.
    const { voice } = added;
    const cleaning = voice ? undefined : added.cleaning;
    const saved: InterviewView = {
      type: "saved",
      question,
      counts: countsOf(draft, question.id),
      cleaning,
    };
    if (!voice) return [saved];
    draft.state.voiceExplained = true;
    const keepReal = Boolean(draft.state.keepRealVoice);
    // What happened to the voice comes first: the note with its Next button stays the last message.
    return [{ type: "voice", label: voice, first, keepReal }, saved];
  }

  async function addText(draft: Draft, questionId: string, text: string) {
    const { state } = draft;
    const before = state.replacing === questionId ? (state.textLength[questionId] ?? 0) : 0;
    const length = before + text.length;
    if (length > deps.limits.maxTextLength) throw new LimitError("text-too-long");
    const keys = currentKeys(deps.keyring);
    const ciphertext = await encryptTextForEditors(keys, text, `text:${questionId}`);
    replaceOnFirstPart(draft, questionId);
    addPart(draft, questionId, { kind: "answer", ciphertext, recipients: recipientsOf(keys) });
    state.textLength[questionId] = length;
    state.textParts ??= {};
    state.textParts[questionId] = (state.textParts[questionId] ?? 0) + 1;
    state.skipped = state.skipped.filter((id) => id !== questionId);
  }

  /**
   * Streams the file into the encryptor and the chunk store (the plaintext is never whole in
   * memory, never on disk); hidden data goes first unless the question asks for originals.
   * The description (kind, name, type, size) is a part of its own.
   */
  async function addAttachment(
    draft: Draft,
    question: Question,
    file: IncomingAttachment,
  ): Promise<{ voice?: VoiceLabel; cleaning?: AttachmentCleaning }> {
    const { state } = draft;
    const replacing = state.replacing === question.id;
    const onQuestion = replacing ? (state.attachments[question.id] ?? 0) : 0;
    if (onQuestion >= question.maxAttachments) throw new LimitError("too-many-attachments");
    const total = Object.entries(state.attachments).reduce(
      (sum, [id, n]) => sum + (id === question.id && !replacing ? 0 : n),
      0,
    );
    if (total >= deps.limits.maxAttachmentsPerSubmission) {
      throw new LimitError("submission-attachments");
    }
    // Recordings: the voice is disguised unless the source chose to keep it (voice/index.ts).
    // What is not disguised goes on to metadata cleaning like any file (an audio file's tags).
    const voice = VOICE_KINDS.has(file.meta.kind)
      ? await prepareVoice(await file.open(), file.meta, {
          keepReal: Boolean(state.keepRealVoice),
          disguiser,
        })
      : undefined;
    const { body, meta } = voice?.meta.voice.disguised
      ? voice
      : await prepareAttachment(voice?.body ?? (await file.open()), voice?.meta ?? file.meta, {
          keepOriginal: question.evidence,
        });
    // The body and its description go to the same keys, which the part then lists.
    const keys = currentKeys(deps.keyring);
    const attachmentId = await storeEncryptedAttachment(deps.parts, keys, body);
    const ciphertext = await encryptTextForEditors(
      keys,
      JSON.stringify(meta),
      `attachment:${question.id}`,
    );
    replaceOnFirstPart(draft, question.id);
    const recipients = recipientsOf(keys);
    addPart(draft, question.id, { kind: "attachment", ciphertext, attachmentId, recipients });
    state.attachments[question.id] = onQuestion + 1;
    state.skipped = state.skipped.filter((id) => id !== question.id);
    return {
      voice: "voice" in meta ? (meta.voice as VoiceLabel) : undefined,
      cleaning: meta.cleaning,
    };
  }

  /**
   * Stores a choice (its option ids, encrypted) and drops the answers of branches that no longer
   * apply, so an abandoned branch leaves nothing behind.
   */
  async function setChoice(draft: Draft, questionId: string, options: string[]) {
    const { state } = draft;
    const after = { ...state.choices, [questionId]: options };
    const abandoned = abandonedQuestions(questionnaire, state.choices, after);
    for (const id of abandoned) delete after[id];
    const keys = currentKeys(deps.keyring);
    const ciphertext = await encryptTextForEditors(
      keys,
      options.join("\n"),
      `choice:${questionId}`,
    );
    dropAnswers(draft, [questionId, ...abandoned]);
    addPart(draft, questionId, { kind: "answer", ciphertext, recipients: recipientsOf(keys) });
    state.choices = after;
    state.skipped = state.skipped.filter((id) => id !== questionId && !abandoned.includes(id));
  }

  /** Skip: any earlier answer to the question goes, and the branches it had opened. */
  function skip(draft: Draft, questionId: string) {
    const { state } = draft;
    dropAnswers(draft, [questionId]);
    if (questionId in state.choices) {
      const after = { ...state.choices };
      delete after[questionId];
      const abandoned = abandonedQuestions(questionnaire, state.choices, after);
      dropAnswers(draft, abandoned);
      for (const id of abandoned) delete after[id];
      state.choices = after;
    }
    if (!state.skipped.includes(questionId)) state.skipped.push(questionId);
  }

  // --- navigation -----------------------------------------------------------------------------

  /** `resume`: back at the question the source was on; what they add goes on the same answer. */
  function ask(draft: Draft, question: Question, resume = false): InterviewView[] {
    const continuing = resume && draft.state.replacing === question.id;
    const answered = hasAnswer(draft, question.id) && question.id !== CONSENT_ID && !continuing;
    draft.position = question.id;
    if (!continuing) draft.state.replacing = undefined;
    draft.state.selecting = undefined;
    return [{ type: "question", question, answered, isFirst: isFirst(draft, question) }];
  }

  function review(draft: Draft): InterviewView[] {
    draft.position = REVIEW;
    draft.state.fromReview = false;
    draft.state.replacing = undefined;
    return [{ type: "review", counts: answerCounts(draft) }];
  }

  /** From the review, only a follow-up that the new answer opened is asked; then the review. */
  function advance(draft: Draft): InterviewView[] {
    const { state } = draft;
    const settled = new Set([...Object.keys(answerCounts(draft)), ...state.skipped]);
    const next = state.fromReview
      ? openedFollowUp(questionnaire, draft.position, state.choices, settled)
      : nextQuestion(questionnaire, draft.position, state.choices);
    return next ? ask(draft, next) : review(draft);
  }

  const hasAnswer = (draft: Draft, questionId: string) =>
    Boolean(answerCounts(draft)[questionId]) || questionId in draft.state.choices;

  /** Anything beyond the consent: a testimony of skips only is worth a second look. */
  const answeredAnything = (draft: Draft) =>
    Object.keys(answerCounts(draft)).some((id) => id !== CONSENT_ID);

  const isFirst = (draft: Draft, question: Question) =>
    !previousQuestion(questionnaire, question.id, draft.state.choices);

  const problem = (name: Problem): InterviewView[] => [{ type: "problem", problem: name }];

  // --- stored parts ---------------------------------------------------------------------------

  const countsOf = (draft: Draft, questionId: string) =>
    answerCounts(draft)[questionId] ?? { parts: 0, files: 0 };

  /** The first new part during a visit to a question replaces what was stored before. */
  function replaceOnFirstPart(draft: Draft, questionId: string) {
    const { state } = draft;
    if (state.replacing === questionId) return;
    dropAnswers(draft, [questionId]);
    state.replacing = questionId;
  }

  /** Deletes the stored answers of these questions (their parts, files and counts). */
  function dropAnswers(draft: Draft, questionIds: string[]) {
    const { state } = draft;
    const ids = questionIds.flatMap((id) => state.partIds?.[id] ?? []);
    if (ids.length > 0) queue(draft, { op: "delete", ids });
    for (const id of questionIds) {
      delete state.partIds?.[id];
      delete state.textLength[id];
      delete state.textParts?.[id];
      delete state.attachments[id];
    }
  }

  function addPart(
    draft: Draft,
    questionId: string,
    part: {
      kind: "answer" | "attachment";
      ciphertext: Uint8Array;
      attachmentId?: string;
      recipients: Recipient[];
    },
  ) {
    const id = crypto.randomUUID();
    queue(draft, { op: "add", id, ...part });
    draft.state.partIds ??= {};
    draft.state.partIds[questionId] = [...(draft.state.partIds[questionId] ?? []), id];
  }

  return { questionnaire, start, handle };
}

function queue(draft: Draft, write: PartWrite) {
  draft.unsaved = [...(draft.unsaved ?? []), write];
}

export type InterviewEngine = ReturnType<typeof createInterviewEngine>;
