// The per-source lock (issue 17): one update of a source at a time, in one process and, on
// PostgreSQL, across instances that share the database through connections of their own.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSourceLocks,
  SourceBusyError,
  type SourceLocks,
} from "../../src/services/sources/locks.js";
import { openStorage, type Storage } from "../../src/storage/db.js";
import { createSourceLocksRepository } from "../../src/storage/source-locks.repo.js";
import { createTestStorage, type TestStorage, usingPostgres } from "../helpers/db.js";

/** A promise and the function that resolves it. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Takes the lock and keeps it until release() is called; resolves once it is held. */
async function hold(locks: SourceLocks, key: string) {
  const held = gate();
  const release = gate();
  const done = locks.withLock(key, async () => {
    held.open();
    await release.opened;
  });
  await held.opened;
  return {
    release: async () => {
      release.open();
      await done;
    },
  };
}

describe(`source locks on ${usingPostgres ? "PostgreSQL" : "PGlite"}`, () => {
  let storage: TestStorage;
  /** A second instance's own connections to the same database (PostgreSQL only). */
  let other: Storage | undefined;
  let first: SourceLocks;
  let second: SourceLocks;
  const lost: unknown[] = [];

  beforeAll(async () => {
    storage = await createTestStorage();
    const repo = usingPostgres ? createSourceLocksRepository({ db: storage.db }) : undefined;
    first = createSourceLocks({ repo, leaseMs: 600, onLeaseLost: (e) => lost.push(e ?? "lost") });
    if (storage.url) {
      other = await openStorage({ databaseUrl: storage.url, maxConnections: 3 });
      const otherRepo = createSourceLocksRepository({ db: other.db });
      second = createSourceLocks({ repo: otherRepo, leaseMs: 600 });
    } else {
      second = first; // PGlite: one process, one instance
    }
  });
  afterAll(async () => {
    await other?.close();
    await storage.close();
  });

  const leases = async () =>
    usingPostgres ? createSourceLocksRepository({ db: storage.db }).count() : 0;

  it("runs one holder of a key at a time, across instances, in every order they come", async () => {
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const work = (n: number) => async () => {
      inside++;
      most = Math.max(most, inside);
      // A few round trips inside, as a handler loads, stores and saves.
      for (let i = 0; i < 3; i++) await storage.db.execute(sql`select 1`);
      order.push(n);
      inside--;
      return n;
    };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        (n % 2 === 0 ? first : second).withLock("source-a", work(n)),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(most).toBe(1);
    expect(order).toHaveLength(20);
    // Every lease row is gone once its holder is done.
    expect(await leases()).toBe(0);
    expect(first.active + second.active).toBe(0);
  });

  it("lets different keys run side by side", async () => {
    const holding = await hold(first, "source-b");
    // While source-b is held (here and, on PostgreSQL, by the other instance), source-c is free.
    expect(await second.withLock("source-c", async () => "c", { waitMs: 2000 })).toBe("c");
    await holding.release();
  });

  it("serves waiters of one process in arrival order", async () => {
    const a = gate();
    const order: string[] = [];
    const holding = first.withLock("source-d", async () => {
      await a.opened;
      order.push("first");
    });
    const waiting = ["second", "third", "fourth"].map((name) =>
      first.withLock("source-d", async () => {
        order.push(name);
      }),
    );
    a.open();
    await Promise.all([holding, ...waiting]);
    expect(order).toEqual(["first", "second", "third", "fourth"]);
  });

  it("gives up after waitMs without running the work, and the key works again after", async () => {
    const holding = await hold(first, "source-e");
    let ran = false;
    const started = Date.now();
    const refused = await second
      .withLock(
        "source-e",
        async () => {
          ran = true;
        },
        { waitMs: 150 },
      )
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SourceBusyError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(ran).toBe(false);
    await holding.release();
    expect(await second.withLock("source-e", async () => "free again")).toBe("free again");
    expect(await leases()).toBe(0);
  });

  it("a failing holder releases the key", async () => {
    const failed = await first
      .withLock("source-f", async () => {
        throw new Error("handler failed");
      })
      .catch((error: unknown) => error);
    expect(String(failed)).toContain("handler failed");
    expect(await second.withLock("source-f", async () => "next", { waitMs: 500 })).toBe("next");
    expect(await leases()).toBe(0);
  });

  it.skipIf(!usingPostgres)(
    "renews its lease while the work goes on longer than a lease",
    async () => {
      // Leases of 600 ms, renewed every 200 ms: the other instance must not get in for 1.5 s.
      const holding = await hold(first, "source-g");
      const refused = await second
        .withLock("source-g", async () => "got in", { waitMs: 1500 })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SourceBusyError);
      await holding.release();
      expect(lost).toEqual([]);
    },
  );

  it.skipIf(!usingPostgres)(
    "takes over the lease of an instance that died, and sweeps such leases",
    async () => {
      const repo = createSourceLocksRepository({ db: storage.db });
      // A dead instance's leases: nobody renews them.
      expect(await repo.take("source-h", "dead-instance", 300)).toBe(true);
      expect(await repo.take("source-i", "dead-instance", 1)).toBe(true);
      expect(await repo.take("source-h", "someone-else", 300)).toBe(false);
      const started = Date.now();
      expect(await second.withLock("source-h", async () => "taken over", { waitMs: 5000 })).toBe(
        "taken over",
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(await first.sweep()).toBe(1); // source-i's; source-h was released by its new holder
      expect(await repo.count()).toBe(0);
    },
  );

  it.skipIf(!usingPostgres)("keeps its rows out of the write-ahead log", async () => {
    const rows = await storage.db.execute<{ relname: string; relpersistence: string }>(
      sql`select relname, relpersistence from pg_class where relname in ('source_locks', 'rate_limits') order by 1`,
    );
    const list = Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows;
    expect(list).toEqual([
      { relname: "rate_limits", relpersistence: "u" },
      { relname: "source_locks", relpersistence: "u" },
    ]);
  });
});
