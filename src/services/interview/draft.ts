// What an interview in progress is made of: the draft, its sealed state, the part writes that
// travel beside it until the next save. Shared by decide.ts (which says how a draft changes), the
// runner (which produces the writes) and the draft store (which keeps both).
import type { Recipient } from "../crypto/recipients.js";
import type { Choices } from "./questionnaire.js";

/** What the interview needs to remember between messages. Sealed at rest, never plaintext. */
export interface DraftState {
  /** The question the source is on, or "review" (sealed: it says which branch they took). */
  position?: string;
  /** Stored part ids per question: question ids never sit beside the ciphertext at rest. */
  partIds?: Record<string, string[]>;
  /** Choice answers that steer branching (question id → option ids). */
  choices: Choices;
  skipped: string[];
  /** Characters stored per text question, for the length limit. */
  textLength: Record<string, number>;
  /** Text messages stored per question. */
  textParts?: Record<string, number>;
  /** Attachments stored per question. */
  attachments: Record<string, number>;
  /** The question whose old answer has already been replaced during this visit. */
  replacing?: string;
  /** Selections in progress on a multi-choice question. */
  selecting?: string[];
  /** The source asked to be told in this chat when editors reply (off unless they choose). */
  notifyReplies?: boolean;
  /** Answering a question again from the review: return to the review afterwards. */
  fromReview?: boolean;
  /** The source chose to keep their real voice in recordings (disguised unless they do). */
  keepRealVoice?: boolean;
  /** The source has been told, at their first recording, what the disguise does. */
  voiceExplained?: boolean;
}

/**
 * A part to add or delete when the draft is next saved (in the same transaction as its state).
 * Made by the runner, carried beside the draft (never in it: it is not sealed) to the store.
 */
export type PartWrite =
  | {
      op: "add";
      id: string;
      kind: "answer" | "attachment";
      ciphertext: Uint8Array;
      /** Who can read it: the editors' keys it was encrypted to (public). */
      recipients: Recipient[];
      /** An attachment's encrypted body, already in the chunk store. */
      attachmentId?: string;
    }
  | { op: "delete"; ids: string[] };

export interface Draft {
  id: string;
  /** Current question id, or "review". */
  position: string;
  locale: string;
  questionnaireVersion: number;
  createdOn: string;
  state: DraftState;
}

export interface InterviewLimits {
  draftTtlHours: number;
  maxTextLength: number;
  maxAttachmentsPerSubmission: number;
}

export const REVIEW = "review";

export type AnswerCounts = Record<string, { parts: number; files: number }>;

/** Per question: how many text/choice parts and attachments are stored. */
export function answerCounts(draft: Pick<Draft, "state">): AnswerCounts {
  const state: DraftState = draft.state;
  const counts: AnswerCounts = {};
  for (const [questionId, ids] of Object.entries(state.partIds ?? {})) {
    if (ids.length === 0) continue;
    const files = state.attachments[questionId] ?? 0;
    counts[questionId] = { parts: ids.length - files, files };
  }
  return counts;
}

export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}
