// Encrypted parts of drafts and submissions, and the chunked store for encrypted file bodies.
// Logged tables: nothing written here during an interview may identify its source (DESIGN §3.6).
import { and, asc, count, eq, gt, inArray, isNotNull, isNull, notInArray, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import type { Transaction } from "./drafts.repo.js";
import { attachmentChunks, draftParts, parts, submissions } from "./schema.js";

export type PartRow = typeof parts.$inferSelect;
/** What grant and revoke read of a part: its ciphertext, recipient list and attachment. */
export type PartHead = Pick<PartRow, "id" | "ciphertext" | "recipients" | "attachmentId"> & {
  /** Null for a part of an interview still in progress. */
  submissionNumber?: number | null;
};
/**
 * "answer": a text or choice answer (which one, and to which question, is inside the encryption);
 * "text" and "choice" are the same from before that. "note": an editors' private note
 * (encrypted to the editors' keys only; never shown to sources).
 */
export type PartKind = "answer" | "text" | "choice" | "attachment" | "followup" | "reply" | "note";
type DbOrTx = Db | Transaction;

/** Chunk size of stored ciphertext: big enough to be cheap, small enough to keep memory flat. */
export const CHUNK_SIZE = 256 * 1024;

export function createPartsRepository({ db }: { db: Db }) {
  return {
    /**
     * A part of a draft (`draftId`) or of a submission. A draft's part is written with no owner
     * and seq 0: the logged row and its write-ahead log record hold a random id, ciphertext, its
     * kind and the day, nothing derived from the source; which draft it belongs to, and where,
     * goes to draft_parts (unlogged). Its commit time stays in the log until the next rotation
     * (Storage.scrub). The caller writes the part and its draft in one transaction.
     */
    async add(
      owner: { draftId: string } | { submissionId: string },
      part: {
        /** Given when the caller already refers to the part (a draft's sealed part ids). */
        id?: string;
        /** Only for additions, replies and notes; answers carry theirs inside the ciphertext. */
        questionId?: string;
        kind: PartKind;
        ciphertext: Uint8Array;
        attachmentId?: string;
        createdOn: string;
        /** Who can read it (services/crypto/recipients.ts): public fingerprints and key ids. */
        recipients: readonly { fingerprint: string | null; keyId: string }[];
      },
      tx: DbOrTx = db,
    ): Promise<string> {
      if ("draftId" in owner) {
        const [row] = await tx
          .insert(parts)
          .values({ ...part, seq: 0 })
          .returning({ id: parts.id });
        if (!row) throw new Error("part insert returned nothing");
        const nextSeq = sql<number>`(select coalesce(max(${draftParts.seq}), 0) + 1 from ${draftParts} where ${eq(draftParts.draftId, owner.draftId)})`;
        await tx
          .insert(draftParts)
          .values({ partId: row.id, draftId: owner.draftId, seq: nextSeq });
        return row.id;
      }
      // The next sequence number is computed in the same statement: one round trip per part.
      const nextSeq = sql<number>`(select coalesce(max(${parts.seq}), 0) + 1 from ${parts} where ${eq(parts.submissionId, owner.submissionId)})`;
      const [row] = await tx
        .insert(parts)
        .values({ ...owner, ...part, seq: nextSeq })
        .returning({ id: parts.id });
      if (!row) throw new Error("part insert returned nothing");
      return row.id;
    },

    /** Deletes some parts of a draft (a redo, a skip, or an abandoned branch). */
    async deleteParts(draftId: string, partIds: string[], tx: DbOrTx = db) {
      if (partIds.length === 0) return;
      const removed = await tx
        .delete(parts)
        .where(and(inArray(parts.id, partIds), inArray(parts.id, partIdsOf(tx, draftId))))
        .returning({ attachmentId: parts.attachmentId });
      await deleteChunks(
        tx,
        removed.map((r) => r.attachmentId).filter((id) => id !== null),
      );
    },

    async listForDraft(draftId: string): Promise<PartRow[]> {
      const rows = await db
        .select({ part: parts })
        .from(parts)
        .innerJoin(draftParts, eq(draftParts.partId, parts.id))
        .where(eq(draftParts.draftId, draftId))
        .orderBy(asc(draftParts.seq));
      return rows.map((r) => r.part);
    },

    async listForSubmission(submissionId: string, kinds?: PartKind[]): Promise<PartRow[]> {
      const where = kinds
        ? and(eq(parts.submissionId, submissionId), inArray(parts.kind, kinds))
        : eq(parts.submissionId, submissionId);
      return db.select().from(parts).where(where).orderBy(asc(parts.seq));
    },

    /**
     * The submission claims its draft's parts: they take its id, their place in the draft, and
     * the submission's day (no part says on which day of the interview it was written). The
     * caller deletes the draft in the same transaction, which takes the links with it.
     */
    async claimForSubmission(
      draftId: string,
      submission: { id: string; createdOn: string },
      tx: DbOrTx = db,
    ) {
      await tx
        .update(parts)
        .set({
          submissionId: submission.id,
          seq: sql`${draftParts.seq}`,
          createdOn: submission.createdOn,
        })
        .from(draftParts)
        .where(and(eq(draftParts.partId, parts.id), eq(draftParts.draftId, draftId)));
    },

    /** A draft goes (cancel, /forget, expiry): its parts and their attachment bodies first. */
    async deleteForDraft(draftId: string, tx: DbOrTx = db) {
      const removed = await tx
        .delete(parts)
        .where(inArray(parts.id, partIdsOf(tx, draftId)))
        .returning({ attachmentId: parts.attachmentId });
      await deleteChunks(
        tx,
        removed.map((r) => r.attachmentId).filter((id) => id !== null),
      );
    },

    /**
     * Parts no draft links and no submission owns: left by a draft that expired or was lost
     * with the unlogged tables (a crash). A part being written is not seen here: it and its
     * link commit together. Returns how many went.
     */
    async sweepOrphans(): Promise<number> {
      const linked = db.select({ id: draftParts.partId }).from(draftParts);
      const removed = await db
        .delete(parts)
        .where(and(isNull(parts.submissionId), notInArray(parts.id, linked)))
        .returning({ attachmentId: parts.attachmentId });
      await deleteChunks(
        db,
        removed.map((r) => r.attachmentId).filter((id) => id !== null),
      );
      return removed.length;
    },

    /**
     * File bodies no part refers to (a crash between storing a body and writing its part). Only
     * at start, before any update is handled: a body being uploaded has no part yet either.
     */
    async sweepOrphanChunks(): Promise<void> {
      const referenced = db
        .select({ id: parts.attachmentId })
        .from(parts)
        .where(isNotNull(parts.attachmentId));
      await db
        .delete(attachmentChunks)
        .where(notInArray(attachmentChunks.attachmentId, referenced));
    },

    /** Every part and attachment body of a submission (a purge). */
    async deleteForSubmission(submissionId: string, tx: DbOrTx = db) {
      const removed = await tx
        .delete(parts)
        .where(eq(parts.submissionId, submissionId))
        .returning({ attachmentId: parts.attachmentId });
      await deleteChunks(
        tx,
        removed.map((r) => r.attachmentId).filter((id) => id !== null),
      );
    },

    /** Per submission: parts by kind (for editors' lists and notices). */
    async countsForSubmissions(submissionIds: string[]) {
      if (submissionIds.length === 0) return [];
      return db
        .select({ submissionId: parts.submissionId, kind: parts.kind, n: count() })
        .from(parts)
        .where(inArray(parts.submissionId, submissionIds))
        .groupBy(parts.submissionId, parts.kind);
    },

    async deleteAttachments(ids: string[], tx: DbOrTx = db) {
      await deleteChunks(tx, ids);
    },

    async writeChunk(attachmentId: string, seq: number, data: Uint8Array, tx: DbOrTx = db) {
      await tx.insert(attachmentChunks).values({ attachmentId, seq, data });
    },

    /** Streams an attachment's ciphertext chunk by chunk, in order (padding comes first). */
    async *readAttachment(attachmentId: string): AsyncGenerator<Uint8Array> {
      for (let after = -(2 ** 31); ; ) {
        const [row] = await db
          .select({ seq: attachmentChunks.seq, data: attachmentChunks.data })
          .from(attachmentChunks)
          .where(
            and(eq(attachmentChunks.attachmentId, attachmentId), gt(attachmentChunks.seq, after)),
          )
          .orderBy(asc(attachmentChunks.seq))
          .limit(1);
        if (!row) return;
        after = row.seq;
        yield row.data;
      }
    },

    /** Every part, a page at a time in id order, for walking the whole store (grant, revoke). */
    async *scan(pageSize = 100): AsyncGenerator<PartHead[]> {
      for (let after: string | undefined; ; ) {
        const page = await db
          .select({
            id: parts.id,
            ciphertext: parts.ciphertext,
            recipients: parts.recipients,
            attachmentId: parts.attachmentId,
            submissionNumber: submissions.number,
          })
          .from(parts)
          .leftJoin(submissions, eq(submissions.id, parts.submissionId))
          .where(after === undefined ? undefined : gt(parts.id, after))
          .orderBy(asc(parts.id))
          .limit(pageSize);
        if (page.length === 0) return;
        after = page.at(-1)?.id;
        yield page;
      }
    },

    async countAll(): Promise<number> {
      const [row] = await db.select({ n: count() }).from(parts);
      return Number(row?.n ?? 0);
    },

    /** The first chunk of an attachment's ciphertext: where its recipient packets are. */
    async firstChunk(attachmentId: string): Promise<Uint8Array | undefined> {
      const [row] = await db
        .select({ data: attachmentChunks.data })
        .from(attachmentChunks)
        .where(and(eq(attachmentChunks.attachmentId, attachmentId), eq(attachmentChunks.seq, 0)));
      return row?.data;
    },

    /**
     * Writes a part's new recipient packets and list (and its attachment's first chunk) in one
     * transaction, only if they are still what was read: false when the part changed or went.
     */
    async rewriteRecipients(
      before: PartHead & { firstChunk?: Uint8Array },
      after: {
        ciphertext: Uint8Array;
        firstChunk?: Uint8Array;
        recipients: readonly { fingerprint: string | null; keyId: string }[];
      },
    ): Promise<boolean> {
      const unchanged = new Error("the attachment changed while it was read");
      return db
        .transaction(async (tx) => {
          const updated = await tx
            .update(parts)
            .set({ ciphertext: after.ciphertext, recipients: after.recipients })
            .where(and(eq(parts.id, before.id), eq(parts.ciphertext, before.ciphertext)))
            .returning({ id: parts.id });
          if (updated.length === 0) return false;
          if (before.attachmentId && before.firstChunk && after.firstChunk) {
            const chunk = await tx
              .update(attachmentChunks)
              .set({ data: after.firstChunk })
              .where(
                and(
                  eq(attachmentChunks.attachmentId, before.attachmentId),
                  eq(attachmentChunks.seq, 0),
                  eq(attachmentChunks.data, before.firstChunk),
                ),
              )
              .returning({ seq: attachmentChunks.seq });
            if (chunk.length === 0) throw unchanged;
          }
          return true;
        })
        .catch((error: unknown) => {
          if (error === unchanged) return false;
          throw error;
        });
    },

    async attachmentSize(attachmentId: string): Promise<number> {
      const [row] = await db
        .select({ size: sql<number>`coalesce(sum(length(${attachmentChunks.data})), 0)::int` })
        .from(attachmentChunks)
        .where(eq(attachmentChunks.attachmentId, attachmentId));
      return Number(row?.size ?? 0);
    },
  };
}

/** The ids of a draft's parts, as a subquery. */
function partIdsOf(tx: DbOrTx, draftId: string) {
  return tx
    .select({ id: draftParts.partId })
    .from(draftParts)
    .where(eq(draftParts.draftId, draftId));
}

async function deleteChunks(tx: DbOrTx, ids: string[]) {
  if (ids.length === 0) return;
  await tx.delete(attachmentChunks).where(inArray(attachmentChunks.attachmentId, ids));
}

export type PartsRepository = ReturnType<typeof createPartsRepository>;
