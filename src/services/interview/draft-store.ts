// An interview in progress: decide.ts says what an answer means and runner.ts carries it out; this
// file keeps drafts: a sealed storage adapter with a TTL, read once and written once per update
// by the bot's draft session, each write with the part writes that came beside the draft. Plaintext
// answers exist only inside the runner, between receipt and encryption.
import type { DraftRow, DraftsRepository } from "../../storage/drafts.repo.js";
import type { PartsRepository } from "../../storage/parts.repo.js";
import type { EditorKeyring } from "../crypto/editor-keys.js";
import {
  createSourceKeys,
  legacyUserHash,
  type SourceKey,
  type SourceKeys,
} from "../sources/keys.js";
import { hashTelegramId, type Sealer } from "../sources/sealing.js";
import type { SubmissionReceipt } from "../submissions/submit.js";
import type { VoiceDisguiser } from "../voice/index.js";
import type { AttachmentMeta } from "./attachments.js";
import {
  type Draft,
  type DraftState,
  dayOf,
  type InterviewLimits,
  type PartWrite,
  REVIEW,
} from "./draft.js";
import type { Questionnaire } from "./questionnaire.js";
import { createInterviewRunner } from "./runner.js";

export type { InterviewEvent, InterviewView } from "./decide.js";
export type { AnswerCounts, Draft, DraftState, InterviewLimits, PartWrite } from "./draft.js";
export { answerCounts, dayOf, REVIEW } from "./draft.js";
export type { Outcome } from "./runner.js";
export type { AttachmentMeta };

/**
 * A draft and the bot's own record beside it (message ids and such: opaque here, sealed too),
 * with the part writes of the update not saved yet (never sealed: they are rows of their own).
 */
export interface DraftRecord {
  draft: Draft;
  chat: unknown;
  writes?: readonly PartWrite[];
}

/** The sealed JSON of a draft row; before the bot's record had its own field, it was all one. */
type SealedDraft = { interview: DraftState; chat?: unknown } | (DraftState & { interview?: never });

export function createInterviewService(deps: {
  drafts: DraftsRepository;
  parts: PartsRepository;
  keyring: EditorKeyring;
  sealer: Sealer;
  pepper: Uint8Array;
  /** Disguises voices in worker threads (one per app; made here if not given). */
  voice?: VoiceDisguiser;
  /** The derived keys' in-memory cache (one per app; made here if not given). */
  sourceKeys?: SourceKeys;
  questionnaire: Questionnaire;
  limits: InterviewLimits;
  /** Turns a draft into a submission (the submissions service; tests may leave it out). */
  submit?: (draft: Draft) => Promise<SubmissionReceipt & { submissionId: string }>;
  /** An interview ended (submitted elsewhere, cancelled, forgotten, expired): scrub dead rows. */
  onEnded?: () => void;
  /** An interview began (its receipt can be made ahead: services/submissions/ready-receipts.ts). */
  onBegun?: (locale: string) => void;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const onEnded = deps.onEnded ?? (() => {});
  const sourceKeys = deps.sourceKeys ?? createSourceKeys({ pepper: deps.pepper });
  const keyOf = (userId: number) => sourceKeys.get(userId);
  const runner = createInterviewRunner({
    questionnaire: deps.questionnaire,
    keyring: deps.keyring,
    parts: deps.parts,
    voice: deps.voice,
    limits: deps.limits,
    submit: (draft) => {
      if (!deps.submit) throw new Error("the interview service was built without submit");
      return deps.submit(draft);
    },
    now,
  });
  // Old drafts (keyed by a fast HMAC) are moved over when their source comes back; once none
  // is left, nobody pays for the extra lookup.
  let legacyDrafts: Promise<boolean> | undefined;

  // The last day the draft may live: it goes once that day is over (read, sweepExpired compare
  // `expiresOn < today`), so it lives at least the TTL and less than a day more.
  const expiresOn = () => dayOf(new Date(now().getTime() + deps.limits.draftTtlHours * 3600_000));

  const toRecord = (key: SourceKey, row: DraftRow): DraftRecord => {
    const sealed = deps.sealer.unsealJson<SealedDraft>(row.sealedState, key.sealContext);
    // Drafts sealed before the bot's record had a field of its own carry both in one object.
    const state = sealed.interview ?? sealed;
    const chat = sealed.interview ? sealed.chat : sealed;
    const draft: Draft = {
      id: row.id,
      position: state.position ?? row.position ?? REVIEW,
      locale: row.locale,
      questionnaireVersion: row.questionnaireVersion,
      createdOn: row.createdOn,
      state: {
        choices: state.choices,
        skipped: state.skipped,
        textLength: state.textLength,
        textParts: state.textParts,
        attachments: state.attachments,
        partIds: state.partIds,
        replacing: state.replacing,
        selecting: state.selecting,
        notifyReplies: state.notifyReplies,
        fromReview: state.fromReview,
        keepRealVoice: state.keepRealVoice,
        voiceExplained: state.voiceExplained,
      },
    };
    return { draft, chat };
  };

  const seal = (key: SourceKey, record: DraftRecord) =>
    deps.sealer.sealJson(
      { interview: { ...record.draft.state, position: record.draft.position }, chat: record.chat },
      key.sealContext,
    );

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

  const service = {
    questionnaire: deps.questionnaire,
    /** A new interview at the first question (nothing is stored until it is written). */
    start(locale: string) {
      deps.onBegun?.(locale);
      return runner.start(locale);
    },
    /** One event decided and carried out (runner.ts); its writes go to write() with the draft. */
    handle: runner.handle,

    /** The source's draft and the bot's record beside it, or undefined (an expired one goes). */
    async read(userId: number): Promise<DraftRecord | undefined> {
      const { key, row } = await findRow(userId);
      if (!row) return undefined;
      if (row.expiresOn < dayOf(now())) {
        await service.discard(userId);
        return undefined;
      }
      sourceKeys.markDraft(userId);
      return toRecord(key, row);
    },

    /**
     * Stores the draft: the part writes given with it and its sealed state in one transaction.
     * Every write extends the draft's life by the TTL.
     */
    async write(userId: number, record: DraftRecord): Promise<void> {
      const key = await keyOf(userId);
      const { draft } = record;
      const createdOn = dayOf(now());
      await deps.drafts.transaction(async (tx) => {
        await deps.drafts.upsert(
          {
            id: draft.id,
            userHash: key.lookup,
            questionnaireVersion: draft.questionnaireVersion,
            locale: draft.locale,
            position: null,
            sealedState: seal(key, record),
            createdOn: draft.createdOn,
            expiresOn: expiresOn(),
          },
          tx,
        );
        // Logged writes: a part's row carries a random id, ciphertext, its kind and the day;
        // deleting one logs only where it was. Neither says whose draft it was (parts.repo).
        for (const write of record.writes ?? []) {
          if (write.op === "delete") await deps.parts.deleteParts(draft.id, write.ids, tx);
          else {
            const { id, kind, ciphertext, attachmentId, recipients } = write;
            await deps.parts.add(
              { draftId: draft.id },
              { id, kind, ciphertext, attachmentId, createdOn, recipients },
              tx,
            );
          }
        }
      });
      sourceKeys.markDraft(userId);
    },

    /** The update failed before its writes were saved: file bodies already stored go too. */
    async abandon(writes: readonly PartWrite[]): Promise<void> {
      const bodies = writes.flatMap((write) =>
        write.op === "add" && write.attachmentId ? [write.attachmentId] : [],
      );
      if (bodies.length > 0) await deps.parts.deleteAttachments(bodies);
    },

    async find(userId: number): Promise<Draft | undefined> {
      return (await service.read(userId))?.draft;
    },

    /** Writes a draft, and the writes of its last event, keeping the bot's record as stored. */
    async save(userId: number, draft: Draft, writes: readonly PartWrite[] = []): Promise<void> {
      const stored = await service.read(userId);
      await service.write(userId, { draft, chat: stored?.chat, writes });
    },

    /** Cancel, /forget, expiry: the draft, its parts and its attachment bodies go. */
    async discard(userId: number): Promise<boolean> {
      const { row } = await findRow(userId);
      sourceKeys.forget(userId);
      if (!row) return false;
      await deps.drafts.transaction(async (tx) => {
        await deps.parts.deleteForDraft(row.id, tx);
        await deps.drafts.delete(row.id, tx);
      });
      onEnded();
      return true;
    },

    /**
     * Deletes drafts past their expiry day with their parts and attachments, and parts no draft
     * links any more (their draft was lost in a crash of the database: see sweepLeftovers).
     */
    async sweepExpired(): Promise<number> {
      const ids = await deps.drafts.listExpired(dayOf(now()));
      for (const id of ids) {
        await deps.drafts.transaction(async (tx) => {
          await deps.parts.deleteForDraft(id, tx);
          await deps.drafts.delete(id, tx);
        });
      }
      const orphans = await deps.parts.sweepOrphans();
      if (ids.length > 0 || orphans > 0) onEnded();
      return ids.length;
    },

    /**
     * At start, before any update: what interviews lost with the unlogged tables left behind
     * (their parts and file bodies, written to logged tables).
     */
    async sweepLeftovers(): Promise<number> {
      const orphans = await deps.parts.sweepOrphans();
      await deps.parts.sweepOrphanChunks();
      return orphans;
    },

    /**
     * The source's submission moved the draft away: the next conversation derives its key again.
     * (The submissions service schedules the scrub of the draft's rows.)
     */
    ended(userId: number): void {
      sourceKeys.forget(userId);
    },

    /** The draft row's lookup key for this source (the per-source lock, checks of what is at rest). */
    lookupKey: async (userId: number) => (await keyOf(userId)).lookup,

    /**
     * A fast keyed hash of the id for limits kept in memory only (never stored: it can be swept).
     */
    memoryKey: (userId: number) => hashTelegramId(deps.pepper, userId),
  };
  return service;
}

export type InterviewService = ReturnType<typeof createInterviewService>;
