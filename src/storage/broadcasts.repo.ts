// Broadcast jobs and their delivery rows: a durable queue that several bot instances on one
// PostgreSQL (or one process on PGlite) work through together.
//
// A delivery row is "pending" until an instance claims it (FOR UPDATE SKIP LOCKED); the claim sets
// "sending" and a lease in not_before. A row whose lease ran out (the instance died) is claimable
// again, so nobody is skipped; only messages in flight at a crash can go out twice.
//
// broadcasts.paused_until is the job's send clock: no send of the job starts before it. A claim of
// n rows reserves the next n slots at the job's rate by moving it forward, which keeps the rate
// global across instances; a 429 moves it to the end of Telegram's retry_after.
//
// Locks are always taken in the same order (the broadcasts row, then deliveries) so concurrent
// claims, settles and cancels cannot deadlock.
import {
  and,
  asc,
  count,
  eq,
  getTableColumns,
  inArray,
  isNull,
  lte,
  min,
  or,
  sql,
} from "drizzle-orm";
import type { Db } from "./db.js";
import type { Transaction } from "./drafts.repo.js";
import { broadcasts, deliveries, subscribers } from "./schema.js";

export type BroadcastRow = typeof broadcasts.$inferSelect;
export type BroadcastStatus = "running" | "done" | "cancelled";

const OPEN_STATES = ["pending", "sending"];

export interface ClaimedDelivery {
  deliveryId: number;
  subscriberId: string;
  attempts: number;
  /** null when the subscriber left after the job was created. */
  sealedChatId: Uint8Array | null;
  locale: string | null;
}

export interface Claim {
  /** When the first of these may be sent; the rest follow at the job's rate. */
  start: Date;
  items: ClaimedDelivery[];
}

export interface Settlement {
  sent: number[];
  failed: number[];
  /** Blocked the bot, deactivated, or already unsubscribed: the subscriber row goes too. */
  gone: { deliveryId: number; subscriberId: string }[];
  retry: { deliveryId: number; notBefore: Date }[];
  /** Claimed but not tried (a pause or a shutdown): claimable again at once. */
  released: number[];
}

export interface BroadcastCounts {
  sent: number;
  failed: number;
  unsubscribed: number;
}

export function createBroadcastsRepository({ db }: { db: Db }) {
  const lockJob = async (tx: Transaction, id: number): Promise<BroadcastRow | undefined> => {
    const rows = await tx.select().from(broadcasts).where(eq(broadcasts.id, id)).for("update");
    return rows[0];
  };

  const open = (id: number) =>
    and(eq(deliveries.broadcastId, id), inArray(deliveries.state, OPEN_STATES));

  return {
    /** A running job with one delivery row per current subscriber. */
    async create(values: {
      messages: unknown;
      createdOn: string;
      progressChatId?: string | null;
      progressMessageId?: number | null;
    }): Promise<BroadcastRow> {
      return db.transaction(async (tx) => {
        const [job] = await tx
          .insert(broadcasts)
          .values({ ...values, status: "running" })
          .returning();
        if (!job) throw new Error("broadcast insert returned nothing");
        await tx.execute(
          sql`insert into ${deliveries} (broadcast_id, subscriber_id) select ${job.id}, ${subscribers.id} from ${subscribers}`,
        );
        const [counted] = await tx
          .select({ n: count() })
          .from(deliveries)
          .where(eq(deliveries.broadcastId, job.id));
        const total = Number(counted?.n ?? 0);
        const [updated] = await tx
          .update(broadcasts)
          .set({ total })
          .where(eq(broadcasts.id, job.id))
          .returning();
        return updated ?? { ...job, total };
      });
    },

    async setProgress(id: number, chatRef: string, messageId: number): Promise<void> {
      await db
        .update(broadcasts)
        .set({ progressChatId: chatRef, progressMessageId: messageId })
        .where(eq(broadcasts.id, id));
    },

    async find(id: number): Promise<BroadcastRow | undefined> {
      const rows = await db.select().from(broadcasts).where(eq(broadcasts.id, id));
      return rows[0];
    },

    /** The oldest running job (jobs run one after another). */
    async nextRunning(): Promise<BroadcastRow | undefined> {
      const rows = await db
        .select()
        .from(broadcasts)
        .where(eq(broadcasts.status, "running"))
        .orderBy(asc(broadcasts.id))
        .limit(1);
      return rows[0];
    },

    async latest(): Promise<BroadcastRow | undefined> {
      const rows = await db.select().from(broadcasts).orderBy(sql`${broadcasts.id} desc`).limit(1);
      return rows[0];
    },

    /**
     * Takes up to `limit` due rows of a running job, leases them until the end of their send
     * window plus `leaseMs`, and reserves that window on the job's send clock.
     * Undefined if the job is no longer running.
     */
    async claim(options: {
      broadcastId: number;
      limit: number;
      now: Date;
      intervalMs: number;
      leaseMs: number;
    }): Promise<Claim | undefined> {
      const { broadcastId, limit, now, intervalMs, leaseMs } = options;
      return db.transaction(async (tx) => {
        const job = await lockJob(tx, broadcastId);
        if (job?.status !== "running") return undefined;
        const due = await tx
          .select({ id: deliveries.id })
          .from(deliveries)
          .where(
            and(
              open(broadcastId),
              or(isNull(deliveries.notBefore), lte(deliveries.notBefore, now)),
            ),
          )
          .orderBy(asc(deliveries.id))
          .limit(limit)
          .for("update", { skipLocked: true });
        const start = new Date(Math.max(now.getTime(), job.pausedUntil?.getTime() ?? 0));
        if (due.length === 0) return { start, items: [] };
        const end = new Date(start.getTime() + due.length * intervalMs);
        await tx.update(broadcasts).set({ pausedUntil: end }).where(eq(broadcasts.id, broadcastId));
        const taken = await tx
          .update(deliveries)
          .set({ state: "sending", notBefore: new Date(end.getTime() + leaseMs) })
          .where(
            inArray(
              deliveries.id,
              due.map((d) => d.id),
            ),
          )
          .returning({
            deliveryId: deliveries.id,
            subscriberId: deliveries.subscriberId,
            attempts: deliveries.attempts,
          });
        const people = await tx
          .select({
            id: subscribers.id,
            sealedChatId: subscribers.sealedChatId,
            locale: subscribers.locale,
          })
          .from(subscribers)
          .where(
            inArray(
              subscribers.id,
              taken.map((t) => t.subscriberId),
            ),
          );
        const byId = new Map(people.map((p) => [p.id, p]));
        const items = taken
          .sort((a, b) => a.deliveryId - b.deliveryId)
          .map((t) => ({
            ...t,
            sealedChatId: byId.get(t.subscriberId)?.sealedChatId ?? null,
            locale: byId.get(t.subscriberId)?.locale ?? null,
          }));
        return { start, items };
      });
    },

    /** Records what happened to claimed rows and adds it to the job's counts. */
    async settle(broadcastId: number, s: Settlement): Promise<BroadcastCounts> {
      return db.transaction(async (tx) => {
        const job = await lockJob(tx, broadcastId);
        if (!job) return { sent: 0, failed: 0, unsubscribed: 0 };
        const sending = (ids: number[]) =>
          and(inArray(deliveries.id, ids), eq(deliveries.state, "sending"));
        const mark = async (ids: number[], state: "sent" | "failed") => {
          if (ids.length === 0) return 0;
          const rows = await tx
            .update(deliveries)
            .set({ state })
            .where(sending(ids))
            .returning({ id: deliveries.id });
          return rows.length;
        };
        let sent = await mark(s.sent, "sent");
        let failed = await mark(s.failed, "failed");
        let unsubscribed = 0;
        if (s.gone.length > 0) {
          const rows = await tx
            .delete(deliveries)
            .where(sending(s.gone.map((g) => g.deliveryId)))
            .returning({ id: deliveries.id });
          unsubscribed = rows.length;
          await tx.delete(subscribers).where(
            inArray(
              subscribers.id,
              s.gone.map((g) => g.subscriberId),
            ),
          );
        }
        for (const r of s.retry) {
          await tx
            .update(deliveries)
            .set({
              state: "pending",
              attempts: sql`${deliveries.attempts} + 1`,
              notBefore: r.notBefore,
            })
            .where(sending([r.deliveryId]));
        }
        if (s.released.length > 0) {
          await tx
            .update(deliveries)
            .set({ state: "pending", notBefore: null })
            .where(sending(s.released));
        }
        // A cancelled job has no rows left: count what was in flight at the cancel directly.
        if (job.status === "cancelled") {
          sent = s.sent.length;
          failed = s.failed.length;
          unsubscribed = s.gone.length;
        }
        const [row] = await tx
          .update(broadcasts)
          .set({
            sent: sql`${broadcasts.sent} + ${sent}`,
            failed: sql`${broadcasts.failed} + ${failed}`,
            unsubscribed: sql`${broadcasts.unsubscribed} + ${unsubscribed}`,
          })
          .where(eq(broadcasts.id, broadcastId))
          .returning();
        return {
          sent: row?.sent ?? 0,
          failed: row?.failed ?? 0,
          unsubscribed: row?.unsubscribed ?? 0,
        };
      });
    },

    /** A 429: no send of the job before `until`. */
    async pause(broadcastId: number, until: Date): Promise<void> {
      await db
        .update(broadcasts)
        .set({
          pausedUntil: sql`greatest(${broadcasts.pausedUntil}, ${until.toISOString()}::timestamptz)`,
        })
        .where(eq(broadcasts.id, broadcastId));
    },

    /** The job and its open rows in one statement, so the counts add up to the total. */
    async withRemaining(
      broadcastId: number,
    ): Promise<(BroadcastRow & { remaining: number }) | undefined> {
      const rows = await db
        .select({
          ...getTableColumns(broadcasts),
          remaining:
            sql<number>`(select count(*) from ${deliveries} where ${open(broadcastId)})`.mapWith(
              Number,
            ),
        })
        .from(broadcasts)
        .where(eq(broadcasts.id, broadcastId));
      return rows[0];
    },

    /** When the earliest open row becomes claimable (null: now). Undefined if none is open. */
    async nextDue(broadcastId: number): Promise<Date | null | undefined> {
      const [row] = await db
        .select({ n: count(), at: min(deliveries.notBefore) })
        .from(deliveries)
        .where(open(broadcastId));
      if (!row || Number(row.n) === 0) return undefined;
      const [unleased] = await db
        .select({ n: count() })
        .from(deliveries)
        .where(and(open(broadcastId), isNull(deliveries.notBefore)));
      return Number(unleased?.n ?? 0) > 0 ? null : (row.at ?? null);
    },

    /** Marks the job done if no row is open, deleting its rows; the job row if it finished now. */
    async finishIfComplete(broadcastId: number): Promise<BroadcastRow | undefined> {
      return db.transaction(async (tx) => {
        const job = await lockJob(tx, broadcastId);
        if (job?.status !== "running") return undefined;
        const [left] = await tx.select({ n: count() }).from(deliveries).where(open(broadcastId));
        if (Number(left?.n ?? 0) > 0) return undefined;
        await tx.delete(deliveries).where(eq(deliveries.broadcastId, broadcastId));
        const [done] = await tx
          .update(broadcasts)
          .set({ status: "done", pausedUntil: null })
          .where(eq(broadcasts.id, broadcastId))
          .returning();
        return done;
      });
    },

    /** Stops a running job: its rows are deleted, its counts stay. The job row if it was running. */
    async cancel(broadcastId: number): Promise<BroadcastRow | undefined> {
      return db.transaction(async (tx) => {
        const job = await lockJob(tx, broadcastId);
        if (job?.status !== "running") return undefined;
        await tx.delete(deliveries).where(eq(deliveries.broadcastId, broadcastId));
        const [row] = await tx
          .update(broadcasts)
          .set({ status: "cancelled", pausedUntil: null })
          .where(eq(broadcasts.id, broadcastId))
          .returning();
        return row;
      });
    },

    /**
     * Makes every leased row claimable at once. Only for a process that knows it is the only one
     * (embedded PGlite): after a crash its own leases would otherwise have to run out first.
     */
    async releaseAllLeases(): Promise<number> {
      const rows = await db
        .update(deliveries)
        .set({ state: "pending", notBefore: null })
        .where(eq(deliveries.state, "sending"))
        .returning({ id: deliveries.id });
      return rows.length;
    },

    async countByStatus(): Promise<Record<string, number>> {
      const rows = await db
        .select({ status: broadcasts.status, n: count() })
        .from(broadcasts)
        .groupBy(broadcasts.status);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },

    /** Delivery rows by state (tests and diagnostics). */
    async deliveryStates(broadcastId: number): Promise<Record<string, number>> {
      const rows = await db
        .select({ state: deliveries.state, n: count() })
        .from(deliveries)
        .where(eq(deliveries.broadcastId, broadcastId))
        .groupBy(deliveries.state);
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },
  };
}

export type BroadcastsRepository = ReturnType<typeof createBroadcastsRepository>;
