// What editors do with submissions: list, set a status, reply, purge, and retention.
// Everything here is content-free except replies, which are encrypted before they are stored.
import type { AuditRepository } from "../../storage/audit.repo.js";
import type { Db } from "../../storage/db.js";
import type { PartsRepository } from "../../storage/parts.repo.js";
import type { SubmissionRow, SubmissionsRepository } from "../../storage/submissions.repo.js";
import { currentKeys, type EditorKeyring } from "../crypto/editor-keys.js";
import { encryptTextForEditors } from "../crypto/for-editors.js";
import { recipientsOf } from "../crypto/recipients.js";
import { encryptForSourceAndEditors } from "../crypto/reply-keys.js";
import { dayOf } from "../interview/draft-store.js";
import { STATUSES, type Status } from "./submit.js";

export function isStatus(value: unknown): value is Status {
  return typeof value === "string" && (STATUSES as readonly string[]).includes(value);
}

export interface SubmissionSummary {
  number: number;
  status: string;
  createdOn: string;
  locale: string;
  questionnaireVersion: number;
  answers: number;
  attachments: number;
  followUps: number;
  replies: number;
  /** Editors' private notes. */
  notes: number;
}

/**
 * A submission's summary from how many parts of each kind it has: the one place its counts are
 * made, for the editors' chat (from the database) and the desk (from the database or an archive).
 */
export function summaryOf(
  submission: Pick<
    SubmissionSummary,
    "number" | "status" | "createdOn" | "locale" | "questionnaireVersion"
  >,
  partsByKind: ReadonlyMap<string, number>,
): SubmissionSummary {
  const of = (kind: string) => partsByKind.get(kind) ?? 0;
  return {
    number: submission.number,
    status: submission.status,
    createdOn: submission.createdOn,
    locale: submission.locale,
    questionnaireVersion: submission.questionnaireVersion,
    answers: of("answer") + of("text") + of("choice"),
    attachments: of("attachment"),
    followUps: of("followup"),
    replies: of("reply"),
    notes: of("note"),
  };
}

/** Statuses whose submissions RETENTION_DAYS purges. */
export const FINISHED_STATUSES: Status[] = ["published", "rejected"];

export function createEditorialService(deps: {
  db: Db;
  submissions: SubmissionsRepository;
  parts: PartsRepository;
  audit: AuditRepository;
  keyring: EditorKeyring;
  now?: () => Date;
}) {
  const today = () => dayOf(deps.now?.() ?? new Date());

  const summarise = async (rows: SubmissionRow[]): Promise<SubmissionSummary[]> => {
    const counts = await deps.parts.countsForSubmissions(rows.map((r) => r.id));
    return rows.map((row) => {
      const byKind = new Map<string, number>();
      for (const c of counts) if (c.submissionId === row.id) byKind.set(c.kind, Number(c.n));
      return summaryOf(row, byKind);
    });
  };

  return {
    async list(status?: Status, limit = 30): Promise<SubmissionSummary[]> {
      return summarise(await deps.submissions.list(limit, status));
    },

    async summary(number: number): Promise<SubmissionSummary | undefined> {
      const row = await deps.submissions.findByNumber(number);
      return row ? (await summarise([row]))[0] : undefined;
    },

    find: (number: number) => deps.submissions.findByNumber(number),

    /** The editors' chat message that shows a submission (refreshed when the source adds). */
    rememberNotice: (number: number, messageId: number) =>
      deps.submissions.setNoticeMessage(number, messageId),

    async setStatus(
      number: number,
      status: Status,
      actorHash: string,
      note?: string,
    ): Promise<SubmissionRow | undefined> {
      const row = await deps.submissions.findByNumber(number);
      if (!row) return undefined;
      // A public note is for the source: readable with their codename (and by editors).
      const sealedNote = note
        ? await encryptForSourceAndEditors(deps.keyring, row.replyPublicKey, note)
        : null;
      await deps.submissions.setStatus(row.id, status, sealedNote);
      await deps.audit.record({
        action: "status",
        submissionNumber: number,
        detail: status,
        actorHash,
        day: today(),
      });
      return { ...row, status, statusNote: sealedNote };
    },

    /**
     * Stores an editor's reply, encrypted to the source's reply key and the editors' keys.
     * Returns the submission's id (the bot looks up a reply notice kept in memory with it).
     */
    async reply(
      number: number,
      text: string,
      actorHash: string,
    ): Promise<{ stored: false } | { stored: true; submissionId: string }> {
      const row = await deps.submissions.findByNumber(number);
      if (!row) return { stored: false };
      const keys = currentKeys(deps.keyring);
      const ciphertext = await encryptForSourceAndEditors(keys, row.replyPublicKey, text);
      await deps.parts.add(
        { submissionId: row.id },
        {
          questionId: "reply",
          kind: "reply",
          ciphertext,
          createdOn: today(),
          recipients: recipientsOf(keys),
        },
      );
      await deps.audit.record({
        action: "reply",
        submissionNumber: number,
        detail: null,
        actorHash,
        day: today(),
      });
      return { stored: true, submissionId: row.id };
    },

    /** An editors' private note: encrypted to the editors' keys only, never shown to the source. */
    async addNote(number: number, text: string, actorHash: string): Promise<boolean> {
      const row = await deps.submissions.findByNumber(number);
      if (!row) return false;
      const keys = currentKeys(deps.keyring);
      const ciphertext = await encryptTextForEditors(keys, text);
      await deps.parts.add(
        { submissionId: row.id },
        {
          questionId: "note",
          kind: "note",
          ciphertext,
          createdOn: today(),
          recipients: recipientsOf(keys),
        },
      );
      await deps.audit.record({
        action: "note",
        submissionNumber: number,
        detail: null,
        actorHash,
        day: today(),
      });
      return true;
    },

    /** Deletes every stored byte of a submission: parts, files, replies, the sealed link. */
    async purge(number: number, actorHash: string | null): Promise<boolean> {
      const row = await deps.submissions.findByNumber(number);
      if (!row) return false;
      await deps.db.transaction(async (tx) => {
        await deps.parts.deleteForSubmission(row.id, tx);
        await deps.submissions.delete(row.id, tx);
      });
      await deps.audit.record({
        action: actorHash ? "purge" : "retention-purge",
        submissionNumber: number,
        detail: null,
        actorHash,
        day: today(),
      });
      return true;
    },

    /** Purges published or rejected submissions created more than `days` days ago. */
    async purgeExpired(days: number): Promise<number[]> {
      const cutoff = dayOf(new Date((deps.now?.() ?? new Date()).getTime() - days * 86_400_000));
      const rows = await deps.submissions.listOlderThan(cutoff, FINISHED_STATUSES);
      for (const row of rows) await this.purge(row.number, null);
      return rows.map((row) => row.number);
    },
  };
}

export type EditorialService = ReturnType<typeof createEditorialService>;
