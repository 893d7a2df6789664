// An interview in progress: a draft row (position + sealed navigation state) and encrypted parts.
// Plaintext answers exist only inside these functions, between receipt and encryption.
import type { DraftRow, DraftsRepository } from "../storage/drafts.repo.js";
import type { PartsRepository } from "../storage/parts.repo.js";
import { type AttachmentMeta, storeEncryptedAttachment } from "./attachments.js";
import type { EditorKeyring } from "./crypto/editor-keys.js";
import { encryptTextForEditors } from "./crypto/for-editors.js";
import { abandonedQuestions, type Choices, type Questionnaire } from "./questionnaire.js";
import { hashTelegramId, type Sealer } from "./sealing.js";
import {
  createSourceKeys,
  legacyUserHash,
  type SourceKey,
  type SourceKeys,
} from "./source-keys.js";

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
  /** The derived keys' in-memory cache (one per app; made here if not given). */
  sourceKeys?: SourceKeys;
  questionnaire: Questionnaire;
  limits: InterviewLimits;
  /** An interview ended (submitted elsewhere, cancelled, forgotten, expired): scrub dead rows. */
  onEnded?: () => void;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const onEnded = deps.onEnded ?? (() => {});
  const sourceKeys = deps.sourceKeys ?? createSourceKeys({ pepper: deps.pepper });
  const keyOf = (userId: number) => sourceKeys.get(userId);
  // Old drafts (keyed by a fast HMAC) are moved over when their source comes back; once none
  // is left, nobody pays for the extra lookup.
  let legacyDrafts: Promise<boolean> | undefined;

  // The last day the draft may live: it goes once that day is over (find, sweepExpired compare
  // `expiresOn < today`), so it lives at least the TTL and less than a day more.
  const expiresOn = () => dayOf(new Date(now().getTime() + deps.limits.draftTtlHours * 3600_000));

  const toDraft = (key: SourceKey, row: DraftRow): Draft => {
    const state = deps.sealer.unsealJson<DraftState>(row.sealedState, key.sealContext);
    return {
      id: row.id,
      position: state.position ?? row.position ?? REVIEW,
      locale: row.locale,
      questionnaireVersion: row.questionnaireVersion,
      createdOn: row.createdOn,
      state,
    };
  };

  const sealState = (key: SourceKey, draft: Draft) =>
    deps.sealer.sealJson({ ...draft.state, position: draft.position }, key.sealContext);

  const findRow = async (userId: number): Promise<{ key: SourceKey; row?: DraftRow }> => {
    const key = await keyOf(userId);
    const row = await deps.drafts.find(key.lookup);
    if (row) return { key, row };
    legacyDrafts ??= deps.drafts.hasLegacy();
    if (!(await legacyDrafts)) return { key };
    return { key, row: await adoptLegacy(userId, key) };
  };

  /** A draft from before the memory-hard lookup: re-keyed and resealed on its first use. */
  const adoptLegacy = async (userId: number, key: SourceKey): Promise<DraftRow | undefined> => {
    const old = await deps.drafts.find(legacyUserHash(deps.pepper, userId));
    if (!old) {
      legacyDrafts = deps.drafts.hasLegacy();
      return undefined;
    }
    const state = deps.sealer.unsealJson<DraftState>(old.sealedState, `draft:${userId}`);
    state.position = old.position ?? REVIEW;
    state.partIds = {};
    for (const part of await deps.parts.listForDraft(old.id)) {
      if (!part.questionId) continue;
      state.partIds[part.questionId] = [...(state.partIds[part.questionId] ?? []), part.id];
    }
    const sealedState = deps.sealer.sealJson(state, key.sealContext);
    await deps.drafts.rekey(old.id, { userHash: key.lookup, sealedState });
    legacyDrafts = deps.drafts.hasLegacy();
    return { ...old, userHash: key.lookup, sealedState, position: null };
  };

  /** Part ids stored for some questions (what a redo, skip or abandoned branch deletes). */
  const partIdsOf = (draft: Draft, questionIds: string[]) =>
    questionIds.flatMap((id) => draft.state.partIds?.[id] ?? []);

  const forgetParts = (draft: Draft, questionIds: string[]) => {
    for (const id of questionIds) delete draft.state.partIds?.[id];
  };

  const rememberPart = (draft: Draft, questionId: string, partId: string) => {
    draft.state.partIds ??= {};
    draft.state.partIds[questionId] = [...(draft.state.partIds[questionId] ?? []), partId];
  };

  return {
    questionnaire: deps.questionnaire,

    async find(userId: number): Promise<Draft | undefined> {
      const { key, row } = await findRow(userId);
      if (!row) return undefined;
      if (row.expiresOn < dayOf(now())) {
        await this.discard(userId);
        return undefined;
      }
      return toDraft(key, row);
    },

    async start(userId: number, locale: string, position: string, state: DraftState) {
      const { key, row: existing } = await findRow(userId);
      if (existing) await this.discard(userId);
      const created = await deps.drafts.create({
        userHash: key.lookup,
        questionnaireVersion: deps.questionnaire.version,
        locale,
        position: null,
        sealedState: deps.sealer.sealJson({ ...state, position, partIds: {} }, key.sealContext),
        createdOn: dayOf(now()),
        expiresOn: expiresOn(),
      });
      return toDraft(key, created);
    },

    /** Saves position and state; every save extends the draft's life by the TTL. */
    async save(userId: number, draft: Draft): Promise<void> {
      const key = await keyOf(userId);
      await deps.drafts.update(draft.id, {
        locale: draft.locale,
        sealedState: sealState(key, draft),
        expiresOn: expiresOn(),
      });
    },

    /** Encrypts one text message of an answer and stores it (a redo replaces the old answer). */
    async addText(userId: number, draft: Draft, questionId: string, text: string) {
      const length =
        (draft.state.replacing === questionId ? (draft.state.textLength[questionId] ?? 0) : 0) +
        text.length;
      if (length > deps.limits.maxTextLength) throw new LimitError("text-too-long");
      const key = await keyOf(userId);
      const ciphertext = await encryptTextForEditors(deps.keyring, text, `text:${questionId}`);
      await deps.drafts.transaction(async (tx) => {
        await replaceOnFirstPart(draft, questionId, tx);
        const partId = await deps.parts.add(
          { draftId: draft.id },
          { kind: "answer", ciphertext, createdOn: dayOf(now()) },
          tx,
        );
        rememberPart(draft, questionId, partId);
        draft.state.textLength[questionId] = length;
        draft.state.textParts ??= {};
        draft.state.textParts[questionId] = (draft.state.textParts[questionId] ?? 0) + 1;
        draft.state.skipped = draft.state.skipped.filter((id) => id !== questionId);
        await deps.drafts.update(draft.id, { sealedState: sealState(key, draft) }, tx);
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
      const key = await keyOf(userId);
      const ciphertext = await encryptTextForEditors(
        deps.keyring,
        options.join("\n"),
        `choice:${questionId}`,
      );
      await deps.drafts.transaction(async (tx) => {
        await deps.parts.deleteParts(draft.id, partIdsOf(draft, [questionId, ...abandoned]), tx);
        forgetParts(draft, [questionId, ...abandoned]);
        const partId = await deps.parts.add(
          { draftId: draft.id },
          { kind: "answer", ciphertext, createdOn: dayOf(now()) },
          tx,
        );
        rememberPart(draft, questionId, partId);
        draft.state.choices = after;
        draft.state.skipped = draft.state.skipped.filter(
          (id) => id !== questionId && !abandoned.includes(id),
        );
        for (const id of abandoned) {
          delete draft.state.textLength[id];
          delete draft.state.textParts?.[id];
          delete draft.state.attachments[id];
        }
        await deps.drafts.update(draft.id, { sealedState: sealState(key, draft) }, tx);
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

      const key = await keyOf(userId);
      const attachmentId = await storeEncryptedAttachment(deps.parts, deps.keyring, body);
      const description = await encryptTextForEditors(
        deps.keyring,
        JSON.stringify(meta),
        `attachment:${questionId}`,
      );
      await deps.drafts.transaction(async (tx) => {
        await replaceOnFirstPart(draft, questionId, tx);
        const partId = await deps.parts.add(
          { draftId: draft.id },
          { kind: "attachment", ciphertext: description, attachmentId, createdOn: dayOf(now()) },
          tx,
        );
        rememberPart(draft, questionId, partId);
        draft.state.attachments[questionId] = onQuestion + 1;
        draft.state.skipped = draft.state.skipped.filter((id) => id !== questionId);
        await deps.drafts.update(draft.id, { sealedState: sealState(key, draft) }, tx);
      });
    },

    /** Skip: any earlier answer to the question is deleted. */
    async skip(userId: number, draft: Draft, questionId: string) {
      const key = await keyOf(userId);
      await deps.drafts.transaction(async (tx) => {
        await deps.parts.deleteParts(draft.id, partIdsOf(draft, [questionId]), tx);
        forgetParts(draft, [questionId]);
        delete draft.state.textLength[questionId];
        delete draft.state.textParts?.[questionId];
        delete draft.state.attachments[questionId];
        if (questionId in draft.state.choices) {
          const after = { ...draft.state.choices };
          delete after[questionId];
          const abandoned = abandonedQuestions(deps.questionnaire, draft.state.choices, after);
          await deps.parts.deleteParts(draft.id, partIdsOf(draft, abandoned), tx);
          forgetParts(draft, abandoned);
          for (const id of abandoned) delete after[id];
          draft.state.choices = after;
        }
        if (!draft.state.skipped.includes(questionId)) draft.state.skipped.push(questionId);
        await deps.drafts.update(draft.id, { sealedState: sealState(key, draft) }, tx);
      });
    },

    /** Per question: how many text/choice parts and attachments are stored. */
    async answerCounts(draft: Draft): Promise<Record<string, { parts: number; files: number }>> {
      const counts: Record<string, { parts: number; files: number }> = {};
      for (const [questionId, ids] of Object.entries(draft.state.partIds ?? {})) {
        if (ids.length === 0) continue;
        const files = draft.state.attachments[questionId] ?? 0;
        counts[questionId] = { parts: ids.length - files, files };
      }
      return counts;
    },

    /** Cancel, /forget, expiry: the draft, its parts and its attachment bodies go. */
    async discard(userId: number): Promise<boolean> {
      const { row } = await findRow(userId);
      sourceKeys.forget(userId);
      if (!row) return false;
      await deps.drafts.transaction(async (tx) => {
        const attachments = await deps.parts.attachmentIdsOfDrafts([row.id], tx);
        await deps.parts.deleteAttachments(attachments, tx);
        await deps.drafts.delete(row.id, tx);
      });
      onEnded();
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
      if (ids.length > 0) onEnded();
      return ids.length;
    },

    /**
     * The source's submission moved the draft away: the next conversation derives its key again.
     * (The submissions service schedules the scrub of the draft's rows.)
     */
    ended(userId: number): void {
      sourceKeys.forget(userId);
    },

    /** The draft row's lookup key for this source (tests and checks of what is at rest). */
    lookupKey: async (userId: number) => (await keyOf(userId)).lookup,

    /**
     * A fast keyed hash of the id for limits kept in memory only (never stored: it can be swept).
     */
    memoryKey: (userId: number) => hashTelegramId(deps.pepper, userId),
  };

  /** The first new part during a visit to a question replaces what was stored before. */
  async function replaceOnFirstPart(
    draft: Draft,
    questionId: string,
    tx: Parameters<Parameters<DraftsRepository["transaction"]>[0]>[0],
  ) {
    if (draft.state.replacing === questionId) return;
    await deps.parts.deleteParts(draft.id, partIdsOf(draft, [questionId]), tx);
    forgetParts(draft, [questionId]);
    draft.state.replacing = questionId;
    draft.state.textLength[questionId] = 0;
    draft.state.attachments[questionId] = 0;
    if (draft.state.textParts) draft.state.textParts[questionId] = 0;
  }
}

export type InterviewService = ReturnType<typeof createInterviewService>;
