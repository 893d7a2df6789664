import { and, count, desc, eq, inArray, lt } from "drizzle-orm";
import type { Db } from "./db.js";
import type { Transaction } from "./drafts.repo.js";
import { submissions } from "./schema.js";

export type SubmissionRow = typeof submissions.$inferSelect;
type DbOrTx = Db | Transaction;

export function createSubmissionsRepository({ db }: { db: Db }) {
  return {
    async create(
      values: Omit<SubmissionRow, "id" | "number" | "status" | "statusNote" | "replyNotice"> &
        Partial<Pick<SubmissionRow, "id" | "replyNotice">>,
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
