// Counters of the limits the instances share (flood, wrong codenames): per key, a count in a
// window that starts with the first hit. A row is worth nothing once its window is over: the
// next hit resets it in place, and sweep() deletes the rest.
import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { rateLimits } from "./schema.js";

/** The window's end in whole seconds (rounded up): the row says no more about when than that. */
const windowEnd = (now: Date, windowMs: number) =>
  new Date(Math.ceil((now.getTime() + windowMs) / 1000) * 1000);

export function createRateLimitsRepository({ db }: { db: Db }) {
  return {
    /**
     * Counts one hit if the key is under `limit` in its current window (a new window starts when
     * the last one is over); true when counted. One statement: two instances counting the same
     * key at once are serialised by the row.
     */
    async take(key: string, limit: number, windowMs: number, now: Date): Promise<boolean> {
      const over = sql`${rateLimits.windowEnds} <= ${now.toISOString()}::timestamptz`;
      const rows = await db
        .insert(rateLimits)
        .values({ key, count: 1, windowEnds: windowEnd(now, windowMs) })
        .onConflictDoUpdate({
          target: rateLimits.key,
          set: {
            count: sql`case when ${over} then 1 else ${rateLimits.count} + 1 end`,
            windowEnds: sql`case when ${over} then excluded.window_ends else ${rateLimits.windowEnds} end`,
          },
          setWhere: sql`${over} or ${rateLimits.count} < ${limit}`,
        })
        .returning({ count: rateLimits.count });
      return rows.length > 0;
    },

    /** Whether one more hit would be counted, without counting it. */
    async check(key: string, limit: number, now: Date): Promise<boolean> {
      const [row] = await db
        .select({ count: rateLimits.count })
        .from(rateLimits)
        .where(and(eq(rateLimits.key, key), gt(rateLimits.windowEnds, now)));
      return !row || row.count < limit;
    },

    /** Deletes counters whose window is over. */
    async sweep(now: Date): Promise<number> {
      const rows = await db
        .delete(rateLimits)
        .where(lte(rateLimits.windowEnds, now))
        .returning({ key: rateLimits.key });
      return rows.length;
    },

    /** Deletes every counter (a clean stop). */
    async clear(): Promise<void> {
      await db.delete(rateLimits);
    },

    async count(): Promise<number> {
      return (await db.$count(rateLimits)) ?? 0;
    },
  };
}

export type RateLimitsRepository = ReturnType<typeof createRateLimitsRepository>;
