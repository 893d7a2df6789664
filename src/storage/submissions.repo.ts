import { and, count, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import type { Transaction } from "./drafts.repo.js";
import { submissions } from "./schema.js";

export type SubmissionRow = typeof submissions.$inferSelect;
type DbOrTx = Db | Transaction;

export function createSubmissionsRepository({ db }: { db: Db }) {
  return {
    async create(
      values: Omit<
        SubmissionRow,
        | "id"
        | "number"
        | "status"
        | "statusNote"
        | "notified"
        | "unnotifiedAdditions"
        | "noticeMessageId"
      > &
        Partial<Pick<SubmissionRow, "id" | "notified">>,
      tx: DbOrTx = db,
    ): Promise<SubmissionRow> {
      const [row] = await tx.insert(submissions).values(values).returning();
      if (!row) throw new Error("submission insert returned nothing");
      return row;
    },
    async findByCodenameHash(codenameHash: string): Promise<SubmissionRow | undefined> {
      const rows = await db
        .select()
        .from(submissions)
        .where(eq(submissions.codenameHash, codenameHash));
      return rows[0];
    },
    async findByNumber(number: number): Promise<SubmissionRow | undefined> {
      const rows = await db.select().from(submissions).where(eq(submissions.number, number));
      return rows[0];
    },
    async list(limit = 50, status?: string): Promise<SubmissionRow[]> {
      return db
        .select()
        .from(submissions)
        .where(status ? eq(submissions.status, status) : undefined)
        .orderBy(desc(submissions.number))
        .limit(limit);
    },
    /** Submissions in some statuses created before a day (retention). */
    async listOlderThan(day: string, statuses: string[]): Promise<SubmissionRow[]> {
      return db
        .select()
        .from(submissions)
        .where(and(lt(submissions.createdOn, day), inArray(submissions.status, statuses)));
    },
    async delete(id: string, tx: DbOrTx = db): Promise<void> {
      await tx.delete(submissions).where(eq(submissions.id, id));
    },
    async setStatus(id: string, status: string, statusNote: Uint8Array | null = null) {
      await db.update(submissions).set({ status, statusNote }).where(eq(submissions.id, id));
    },
    /**
     * What editors have not been told yet, taken atomically (marked as told in the same
     * statement), so two instances never send the same notice.
     */
    async takePendingNotices(): Promise<{
      submitted: number[];
      additions: { number: number; count: number }[];
    }> {
      const submitted = await db
        .update(submissions)
        .set({ notified: true })
        .where(eq(submissions.notified, false))
        .returning({ number: submissions.number });
      // The old count comes back through a subquery on the row's previous version.
      const additions = await db.execute<{ number: number; count: number }>(sql`
        update ${submissions} s set unnotified_additions = 0
        from (select id, unnotified_additions from ${submissions}
              where unnotified_additions > 0 for update) old
        where s.id = old.id
        returning s.number as number, old.unnotified_additions as count`);
      const rows = Array.isArray(additions)
        ? additions
        : ((additions as { rows?: { number: number; count: number }[] }).rows ?? []);
      return {
        submitted: submitted.map((r) => r.number).sort((a, b) => a - b),
        additions: rows
          .map((r) => ({ number: Number(r.number), count: Number(r.count) }))
          .sort((a, b) => a.number - b.number),
      };
    },
    /** A batch that could not be delivered goes back to pending. */
    async restorePendingNotices(batch: {
      submitted: number[];
      additions: { number: number; count: number }[];
    }): Promise<void> {
      if (batch.submitted.length > 0) {
        await db
          .update(submissions)
          .set({ notified: false })
          .where(inArray(submissions.number, batch.submitted));
      }
      for (const { number, count: added } of batch.additions) {
        await db
          .update(submissions)
          .set({ unnotifiedAdditions: sql`${submissions.unnotifiedAdditions} + ${added}` })
          .where(eq(submissions.number, number));
      }
    },
    /** A source added to their testimony: counted for the next notice (no content, no time). */
    async countAddition(id: string): Promise<void> {
      await db
        .update(submissions)
        .set({ unnotifiedAdditions: sql`${submissions.unnotifiedAdditions} + 1` })
        .where(eq(submissions.id, id));
    },
    async setNoticeMessage(number: number, messageId: number): Promise<void> {
      await db
        .update(submissions)
        .set({ noticeMessageId: messageId })
        .where(eq(submissions.number, number));
    },
    async countByStatus(): Promise<Record<string, number>> {
      const rows = await db
        .select({ status: submissions.status, n: count() })
        .from(submissions)
        .groupBy(submissions.status);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
  };
}

export type SubmissionsRepository = ReturnType<typeof createSubmissionsRepository>;
