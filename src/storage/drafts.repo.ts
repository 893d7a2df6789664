import { eq, lt, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { drafts } from "./schema.js";

export type DraftRow = typeof drafts.$inferSelect;
export type Transaction = Parameters<Parameters<Db["transaction"]>[0]>[0];
type DbOrTx = Db | Transaction;

export function createDraftsRepository({ db }: { db: Db }) {
  return {
    async find(userHash: string, tx: DbOrTx = db): Promise<DraftRow | undefined> {
      const rows = await tx.select().from(drafts).where(eq(drafts.userHash, userHash));
      return rows[0];
    },
    async create(row: Omit<DraftRow, "id">): Promise<DraftRow> {
      const [created] = await db.insert(drafts).values(row).returning();
      if (!created) throw new Error("draft insert returned nothing");
      return created;
    },
    /** Inserts the draft, or replaces its locale, sealed state and expiry if it exists. */
    async upsert(row: DraftRow, tx: DbOrTx = db): Promise<void> {
      const { locale, sealedState, expiresOn } = row;
      await tx
        .insert(drafts)
        .values(row)
        .onConflictDoUpdate({ target: drafts.id, set: { locale, sealedState, expiresOn } });
    },
    async update(
      id: string,
      values: Partial<Pick<DraftRow, "sealedState" | "expiresOn" | "locale">>,
      tx: DbOrTx = db,
    ): Promise<void> {
      await tx.update(drafts).set(values).where(eq(drafts.id, id));
    },
    /** Whether any draft still has a lookup key of the old (fast HMAC, 64 hex digits) form. */
    async hasLegacy(): Promise<boolean> {
      const rows = await db
        .select({ id: drafts.id })
        .from(drafts)
        .where(sql`length(${drafts.userHash}) = 64`)
        .limit(1);
      return rows.length > 0;
    },
    /** Moves an old draft to its new lookup key and state; the plaintext position goes. */
    async rekey(id: string, values: Pick<DraftRow, "userHash" | "sealedState">): Promise<void> {
      await db
        .update(drafts)
        .set({ ...values, position: null })
        .where(eq(drafts.id, id));
    },
    /** Deletes the draft; its parts go with it (foreign key cascade). */
    async delete(id: string, tx: DbOrTx = db): Promise<void> {
      await tx.delete(drafts).where(eq(drafts.id, id));
    },
    /** Drafts whose expiry day has passed: ids only, so the caller can also drop attachments. */
    async listExpired(today: string): Promise<string[]> {
      const rows = await db
        .select({ id: drafts.id })
        .from(drafts)
        .where(lt(drafts.expiresOn, today));
      return rows.map((r) => r.id);
    },
    async count(): Promise<number> {
      return (await db.$count(drafts)) ?? 0;
    },
    transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
      return db.transaction(work);
    },
  };
}

export type DraftsRepository = ReturnType<typeof createDraftsRepository>;
