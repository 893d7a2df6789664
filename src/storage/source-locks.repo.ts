// Leases on a source while one instance handles one of its updates (several instances on one
// PostgreSQL). Times are the database's clock, so the instances' clocks need not agree.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { sourceLocks } from "./schema.js";

const leaseEnd = (leaseMs: number) =>
  sql`clock_timestamp() + ${Math.ceil(leaseMs)} * interval '1 millisecond'`;

export function createSourceLocksRepository({ db }: { db: Db }) {
  return {
    /** Takes the lease when nobody holds it or its holder's lease ran out; true when taken. */
    async take(key: string, holder: string, leaseMs: number): Promise<boolean> {
      const rows = await db
        .insert(sourceLocks)
        .values({ key, holder, until: leaseEnd(leaseMs) })
        .onConflictDoUpdate({
          target: sourceLocks.key,
          set: { holder: sql`excluded.holder`, until: sql`excluded.until` },
          setWhere: sql`${sourceLocks.until} < clock_timestamp()`,
        })
        .returning({ holder: sourceLocks.holder });
      return rows.length > 0;
    },

    /** Extends a lease still held by `holder`; false when it was lost (ran out, taken over). */
    async renew(key: string, holder: string, leaseMs: number): Promise<boolean> {
      const rows = await db
        .update(sourceLocks)
        .set({ until: leaseEnd(leaseMs) })
        .where(and(eq(sourceLocks.key, key), eq(sourceLocks.holder, holder)))
        .returning({ holder: sourceLocks.holder });
      return rows.length > 0;
    },

    async release(key: string, holder: string): Promise<void> {
      await db
        .delete(sourceLocks)
        .where(and(eq(sourceLocks.key, key), eq(sourceLocks.holder, holder)));
    },

    /** Deletes leases that ran out (an instance that died while holding one). */
    async sweep(): Promise<number> {
      const rows = await db
        .delete(sourceLocks)
        .where(sql`${sourceLocks.until} < clock_timestamp()`)
        .returning({ key: sourceLocks.key });
      return rows.length;
    },

    async count(): Promise<number> {
      return (await db.$count(sourceLocks)) ?? 0;
    },
  };
}

export type SourceLocksRepository = ReturnType<typeof createSourceLocksRepository>;
