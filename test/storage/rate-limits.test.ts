// The limits shared by the instances (issue 17): counted in rate_limits, exactly, also when
// two instances count the same source at once; a row goes once its window is over.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStorage, type Storage } from "../../src/storage/db.js";
import { createRateLimitsRepository } from "../../src/storage/rate-limits.repo.js";
import { rateLimits } from "../../src/storage/schema.js";
import { createTestStorage, type TestStorage, usingPostgres } from "../helpers/db.js";

const MINUTE = 60_000;

describe(`shared limits on ${usingPostgres ? "PostgreSQL" : "PGlite"}`, () => {
  let storage: TestStorage;
  let other: Storage | undefined;
  beforeAll(async () => {
    storage = await createTestStorage();
    if (storage.url) other = await openStorage({ databaseUrl: storage.url, maxConnections: 5 });
  });
  afterAll(async () => {
    await other?.close();
    await storage.close();
  });

  it("counts up to the limit, refuses beyond it without counting, and starts again after", async () => {
    const repo = createRateLimitsRepository({ db: storage.db });
    const t0 = new Date("2026-03-01T10:00:00.250Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(await repo.take("k1", 3, MINUTE, at(i * 1000)));
    expect(taken).toEqual([true, true, true, false, false]);
    expect(await repo.check("k1", 3, at(30_000))).toBe(false);
    // Another key is not affected.
    expect(await repo.check("k2", 3, at(30_000))).toBe(true);
    // The window began with the first hit (rounded up to the second): over after a minute.
    expect(await repo.check("k1", 3, at(MINUTE + 750))).toBe(true);
    expect(await repo.take("k1", 3, MINUTE, at(MINUTE + 750))).toBe(true);
    expect(await repo.take("k1", 3, MINUTE, at(MINUTE + 800))).toBe(true);
    expect(await repo.take("k1", 3, MINUTE, at(MINUTE + 900))).toBe(true);
    expect(await repo.take("k1", 3, MINUTE, at(MINUTE + 950))).toBe(false);
  });

  it("check does not count", async () => {
    const repo = createRateLimitsRepository({ db: storage.db });
    const now = new Date();
    for (let i = 0; i < 5; i++) expect(await repo.check("k3", 1, now)).toBe(true);
    expect(await repo.take("k3", 1, MINUTE, now)).toBe(true);
    expect(await repo.check("k3", 1, now)).toBe(false);
  });

  it("sweeps counters whose window is over, and only those", async () => {
    const repo = createRateLimitsRepository({ db: storage.db });
    const now = new Date("2026-03-02T10:00:00Z");
    await repo.take("old", 5, 1000, now);
    await repo.take("young", 5, MINUTE, now);
    await repo.sweep(new Date(now.getTime() + 2000));
    const keys = (await storage.db.select({ key: rateLimits.key }).from(rateLimits)).map(
      (row) => row.key,
    );
    expect(keys).toContain("young");
    expect(keys).not.toContain("old");
  });

  it.skipIf(!usingPostgres)(
    "two instances counting one source at once stop at the limit",
    async () => {
      const mine = createRateLimitsRepository({ db: storage.db });
      const theirs = createRateLimitsRepository({ db: (other as Storage).db });
      const now = new Date();
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? mine : theirs).take("burst", 10, MINUTE, now),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(10);
    },
  );
});
