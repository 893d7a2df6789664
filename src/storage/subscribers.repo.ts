// People who opted in to guidance: the chat id sealed with the server key, an HMAC of it for
// de-duplication, the locale. Nothing else, and nothing that links a row to a draft or submission.
import { count, eq, inArray } from "drizzle-orm";
import type { Db } from "./db.js";
import { subscribers } from "./schema.js";

export type SubscriberRow = typeof subscribers.$inferSelect;

export function createSubscribersRepository({ db }: { db: Db }) {
  return {
    /** Adds the subscriber, or updates the locale of an existing one. True if the row is new. */
    async add(row: Omit<SubscriberRow, "id">): Promise<boolean> {
      const inserted = await db
        .insert(subscribers)
        .values(row)
        .onConflictDoNothing({ target: subscribers.chatHash })
        .returning({ id: subscribers.id });
      if (inserted.length > 0) return true;
      await db
        .update(subscribers)
        .set({ locale: row.locale })
        .where(eq(subscribers.chatHash, row.chatHash));
      return false;
    },
    async findByHash(chatHash: string): Promise<SubscriberRow | undefined> {
      const rows = await db.select().from(subscribers).where(eq(subscribers.chatHash, chatHash));
      return rows[0];
    },
    async setLocale(chatHash: string, locale: string): Promise<void> {
      await db.update(subscribers).set({ locale }).where(eq(subscribers.chatHash, chatHash));
    },
    /** True if there was a row to delete. */
    async removeByHash(chatHash: string): Promise<boolean> {
      const rows = await db
        .delete(subscribers)
        .where(eq(subscribers.chatHash, chatHash))
        .returning({ id: subscribers.id });
      return rows.length > 0;
    },
    async findByIds(ids: string[]): Promise<SubscriberRow[]> {
      if (ids.length === 0) return [];
      return db.select().from(subscribers).where(inArray(subscribers.id, ids));
    },
    async countByLocale(): Promise<Record<string, number>> {
      const rows = await db
        .select({ locale: subscribers.locale, n: count() })
        .from(subscribers)
        .groupBy(subscribers.locale);
      return Object.fromEntries(rows.map((r) => [r.locale, Number(r.n)]));
    },
  };
}

export type SubscribersRepository = ReturnType<typeof createSubscribersRepository>;
