// An interview in progress: a draft row (position + sealed navigation state) and encrypted parts.
// Plaintext answers exist only inside these functions, between receipt and encryption.
import type { DraftRow, DraftsRepository } from "../storage/drafts.repo.js";
import type { PartsRepository } from "../storage/parts.repo.js";
import { type AttachmentMeta, storeEncryptedAttachment } from "./attachments.js";
import { type EditorKeyring, encryptTextForEditors } from "./encryption.js";
import { abandonedQuestions, type Choices, type Questionnaire } from "./questionnaire.js";
import { hashTelegramId, type Sealer } from "./sealing.js";

/** What the interview needs to remember between messages. Sealed at rest, never plaintext. */
export interface DraftState {
  /** Choice answers that steer branching (question id → option ids). */
  choices: Choices;
  skipped: string[];
  /** Characters stored per text question, for the length limit. */
  textLength: Record<string, number>;
  /** Text messages stored per question (for the "saved" note, without a query). */
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
  /** The chat's message ids from the start of the interview to now: the wipe range. */
  firstMessageId?: number;
  lastMessageId?: number;
  /** The bot's "saved" note for the current question, edited instead of sent again. */
  noteMessageId?: number;
  /** Updates at or below this id were already handled (Telegram redelivers after a crash). */
  lastUpdateId?: number;
}

export interface Draft {
  id: string;
  /** Current question id, or "review". */
  position: string;
  locale: string;
  questionnaireVersion: number;
  createdOn: string;
  state: DraftState;
}

export class LimitError extends Error {
  readonly safeToLog = true;
  constructor(readonly limit: "text-too-long" | "too-many-attachments" | "submission-attachments") {
    super(`limit reached: ${limit}`);
    this.name = "LimitError";
  }
}

export interface InterviewLimits {
  draftTtlHours: number;
  maxTextLength: number;
  maxAttachmentsPerSubmission: number;
}

export const REVIEW = "review";

export type { AttachmentMeta };

export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function createInterviewService(deps: {
  drafts: DraftsRepository;
  parts: PartsRepository;
  keyring: EditorKeyring;
  sealer: Sealer;
  pepper: Uint8Array;
  questionnaire: Questionnaire;
  limits: InterviewLimits;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const userHash = (userId: number) => hashTelegramId(deps.pepper, userId);
  // The state key depends on the Telegram id, which is not stored: a dump alone cannot open it.
  const stateContext = (userId: number) => `draft:${userId}`;

  // The last day the draft may live: it goes once that day is over (find, sweepExpired compare
  // `expiresOn < today`), so it lives at least the TTL and less than a day more.
  const expiresOn = () => dayOf(new Date(now().getTime() + deps.limits.draftTtlHours * 3600_000));

  const toDraft = (userId: number, row: DraftRow): Draft => ({
    id: row.id,
    position: row.position,
    locale: row.locale,
    questionnaireVersion: row.questionnaireVersion,
    createdOn: row.createdOn,
    state: deps.sealer.unsealJson<DraftState>(row.sealedState, stateContext(userId)),
  });

  const sealState = (userId: number, state: DraftState) =>
    deps.sealer.sealJson(state, stateContext(userId));

  return {
    questionnaire: deps.questionnaire,

    async find(userId: number): Promise<Draft | undefined> {
      const row = await deps.drafts.find(userHash(userId));
      if (!row) return undefined;
      if (row.expiresOn < dayOf(now())) {
        await this.discard(userId);
        return undefined;
      }
      return toDraft(userId, row);
    },

    async start(userId: number, locale: string, position: string, state: DraftState) {
      const existing = await deps.drafts.find(userHash(userId));
      if (existing) await this.discard(userId);
      const row = await deps.drafts.create({
        userHash: userHash(userId),
        questionnaireVersion: deps.questionnaire.version,
        locale,
        position,
        sealedState: sealState(userId, state),
        createdOn: dayOf(now()),
        expiresOn: expiresOn(),
      });
      return toDraft(userId, row);
    },

    /** Saves position and state; every save extends the draft's life by the TTL. */
    async save(userId: number, draft: Draft): Promise<void> {
      await deps.drafts.update(draft.id, {
        position: draft.position,
        locale: draft.locale,
        sealedState: sealState(userId, draft.state),
        expiresOn: expiresOn(),
      });
    },

    /** Encrypts one text message of an answer and stores it (a redo replaces the old answer). */
    async addText(userId: number, draft: Draft, questionId: string, text: string) {
      const length =
        (draft.state.replacing === questionId ? (draft.state.textLength[questionId] ?? 0) : 0) +
        text.length;
      if (length > deps.limits.maxTextLength) throw new LimitError("text-too-long");
      const ciphertext = await encryptTextForEditors(deps.keyring, text);
      await deps.drafts.transaction(async (tx) => {
        await replaceOnFirstPart(draft, questionId, tx);
        await deps.parts.add(
          { draftId: draft.id },
          { questionId, kind: "text", ciphertext, createdOn: dayOf(now()) },
          tx,
        );
        draft.state.textLength[questionId] = length;
        draft.state.textParts ??= {};
        draft.state.textParts[questionId] = (draft.state.textParts[questionId] ?? 0) + 1;
        draft.state.skipped = draft.state.skipped.filter((id) => id !== questionId);
        await deps.drafts.update(draft.id, { sealedState: sealState(userId, draft.state) }, tx);
      });
    },

    /**
     * Stores a choice (its option ids, encrypted) and drops the answers of branches that no
     * longer apply. Returns the ids of the abandoned questions.
     */
    async setChoice(userId: number, draft: Draft, questionId: string, options: string[]) {
      const before = draft.state.choices;
      const after = { ...before, [questionId]: options };
      const abandoned = abandonedQuestions(deps.questionnaire, before, after);
      for (const id of abandoned) delete after[id];
      const ciphertext = await encryptTextForEditors(deps.keyring, options.join("\n"));
      await deps.drafts.transaction(async (tx) => {
        await deps.parts.deleteForQuestions(draft.id, [questionId, ...abandoned], tx);
        await deps.parts.add(
          { draftId: draft.id },
          { questionId, kind: "choice", ciphertext, createdOn: dayOf(now()) },
          tx,
        );
        draft.state.choices = after;
        draft.state.skipped = draft.state.skipped.filter(
          (id) => id !== questionId && !abandoned.includes(id),
        );
        for (const id of abandoned) {
          delete draft.state.textLength[id];
          delete draft.state.textParts?.[id];
          delete draft.state.attachments[id];
        }
        await deps.drafts.update(draft.id, { sealedState: sealState(userId, draft.state) }, tx);
      });
      return abandoned;
    },

    /**
     * Streams a file into the encryptor and the chunk store; the plaintext is never whole in
     * memory and never on disk. The description (kind, name, type, size) is a separate part.
     */
    async addAttachment(
      userId: number,
      draft: Draft,
      questionId: string,
      meta: AttachmentMeta,
      body: ReadableStream<Uint8Array>,
      maxPerQuestion: number,
    ) {
      const replacing = draft.state.replacing === questionId;
      const onQuestion = replacing ? (draft.state.attachments[questionId] ?? 0) : 0;
      if (onQuestion >= maxPerQuestion) throw new LimitError("too-many-attachments");
      const total = Object.entries(draft.state.attachments).reduce(
        (sum, [id, n]) => sum + (id === questionId && !replacing ? 0 : n),
        0,
      );
      if (total >= deps.limits.maxAttachmentsPerSubmission) {
        throw new LimitError("submission-attachments");
      }

      const attachmentId = await storeEncryptedAttachment(deps.parts, deps.keyring, body);
      const description = await encryptTextForEditors(deps.keyring, JSON.stringify(meta));
      await deps.drafts.transaction(async (tx) => {
        await replaceOnFirstPart(draft, questionId, tx);
        await deps.parts.add(
          { draftId: draft.id },
          {
            questionId,
            kind: "attachment",
            ciphertext: description,
            attachmentId,
            createdOn: dayOf(now()),
          },
          tx,
        );
        draft.state.attachments[questionId] = onQuestion + 1;
        draft.state.skipped = draft.state.skipped.filter((id) => id !== questionId);
        await deps.drafts.update(draft.id, { sealedState: sealState(userId, draft.state) }, tx);
      });
    },

    /** Skip: any earlier answer to the question is deleted. */
    async skip(userId: number, draft: Draft, questionId: string) {
      await deps.drafts.transaction(async (tx) => {
        await deps.parts.deleteForQuestions(draft.id, [questionId], tx);
        delete draft.state.textLength[questionId];
        delete draft.state.textParts?.[questionId];
        delete draft.state.attachments[questionId];
        if (questionId in draft.state.choices) {
          const after = { ...draft.state.choices };
          delete after[questionId];
          const abandoned = abandonedQuestions(deps.questionnaire, draft.state.choices, after);
          await deps.parts.deleteForQuestions(draft.id, abandoned, tx);
          for (const id of abandoned) delete after[id];
          draft.state.choices = after;
        }
        if (!draft.state.skipped.includes(questionId)) draft.state.skipped.push(questionId);
        await deps.drafts.update(draft.id, { sealedState: sealState(userId, draft.state) }, tx);
      });
    },

    /** Per question: how many text/choice parts and attachments are stored. */
    async answerCounts(draft: Draft): Promise<Record<string, { parts: number; files: number }>> {
      const counts: Record<string, { parts: number; files: number }> = {};
      for (const row of await deps.parts.countsForDraft(draft.id)) {
        counts[row.questionId] ??= { parts: 0, files: 0 };
        const entry = counts[row.questionId] as { parts: number; files: number };
        if (row.kind === "attachment") entry.files += Number(row.n);
        else entry.parts += Number(row.n);
      }
      return counts;
    },

    /** Cancel, /forget, expiry: the draft, its parts and its attachment bodies go. */
    async discard(userId: number): Promise<boolean> {
      const row = await deps.drafts.find(userHash(userId));
      if (!row) return false;
      await deps.drafts.transaction(async (tx) => {
        const attachments = await deps.parts.attachmentIdsOfDrafts([row.id], tx);
        await deps.parts.deleteAttachments(attachments, tx);
        await deps.drafts.delete(row.id, tx);
      });
      return true;
    },

    /** Deletes drafts past their expiry day, with their parts and attachments. */
    async sweepExpired(): Promise<number> {
      const ids = await deps.drafts.listExpired(dayOf(now()));
      for (const id of ids) {
        await deps.drafts.transaction(async (tx) => {
          await deps.parts.deleteAttachments(await deps.parts.attachmentIdsOfDrafts([id], tx), tx);
          await deps.drafts.delete(id, tx);
        });
      }
      return ids.length;
    },

    userHash,
  };

  /** The first new part during a visit to a question replaces what was stored before. */
  async function replaceOnFirstPart(
    draft: Draft,
    questionId: string,
    tx: Parameters<Parameters<DraftsRepository["transaction"]>[0]>[0],
  ) {
    if (draft.state.replacing === questionId) return;
    await deps.parts.deleteForQuestions(draft.id, [questionId], tx);
    draft.state.replacing = questionId;
    draft.state.textLength[questionId] = 0;
    draft.state.attachments[questionId] = 0;
    if (draft.state.textParts) draft.state.textParts[questionId] = 0;
  }
}

export type InterviewService = ReturnType<typeof createInterviewService>;
