import { desc } from "drizzle-orm";
import type { Db } from "./db.js";
import { audit } from "./schema.js";

export type AuditRow = typeof audit.$inferSelect;

/** What editors and admins did, by day, without content. */
export function createAuditRepository({ db }: { db: Db }) {
  return {
    async record(entry: Omit<AuditRow, "id">): Promise<void> {
      await db.insert(audit).values(entry);
    },
    async recent(limit = 100): Promise<AuditRow[]> {
      return db.select().from(audit).orderBy(desc(audit.id)).limit(limit);
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
