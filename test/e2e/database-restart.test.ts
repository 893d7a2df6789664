// The database goes away mid-burst and comes back: a PostgreSQL server of the test's own is
// restarted (pg_ctl restart -m fast), and separately the bot's connections are terminated,
// while sources send bursts at a free-text question. Every message must be stored exactly
// once, every source answered, and the log must say once that the database is unreachable
// and once that it is back. Its own server either way, so it runs once (on the PGlite run).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage/db.js";
import { burstText, runBursts, shownTwice, storedBursts } from "../helpers/bursts.js";
import { usingPostgres } from "../helpers/db.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import {
  type PrivatePostgres,
  privatePostgresUnavailable,
  startPrivatePostgres,
} from "../helpers/private-postgres.js";

const SOURCES = 8;
const BURST = 5;
const unavailable = privatePostgresUnavailable();
if (unavailable) console.warn(`database-restart: skipped (${unavailable})`);

const lines = (logs: string, pattern: RegExp) =>
  logs.split("\n").filter((line) => pattern.test(line));

describe.skipIf(usingPostgres || unavailable !== undefined)("the database restarts", () => {
  let pg: PrivatePostgres;
  let bot: TestBot;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    const storage = await openStorage({ databaseUrl: pg.url, maxConnections: 5 });
    bot = await startTestBot({
      storage: { ...storage, url: pg.url, detach: storage.close },
      retry: { updateRetry: { totalMs: 60_000, baseMs: 200, capMs: 2_000 } },
      config: { FLOOD_MESSAGES_PER_MINUTE: 1000 },
    });
  }, 120_000);
  afterAll(async () => {
    await bot?.stop();
    await pg?.stop();
  });

  /** The log since `before`: "unreachable" once, then "reachable again" once. */
  const oneLineEachWay = async (before: number) => {
    await bot.api.waitFor(() => bot.logs().slice(before).includes("reachable again"), 40_000);
    const logs = bot.logs().slice(before);
    expect(lines(logs, /database (unreachable: \w+ \(retrying\)|reachable again)/)).toEqual([
      expect.stringContaining("database unreachable"),
      expect.stringContaining("database reachable again"),
    ]);
  };

  const check = async (run: Awaited<ReturnType<typeof runBursts>>) => {
    await bot.idle(60_000);
    const problems = lines(bot.logs(), /given up|update failed"/);
    expect({ failures: run.failures, problems }).toEqual({ failures: [], problems: [] });
    // What failed is logged by code and class, never with what the source wrote.
    expect(bot.logs()).not.toContain(burstText(0, 1).slice(0, 12));
    const stored = await storedBursts(bot, run.users);
    stored.forEach((texts, source) => {
      const sent = Array.from({ length: BURST }, (_, n) => burstText(source, n + 1)).sort();
      expect({ source, texts }).toEqual({ source, texts: sent });
    });
    for (const user of run.users) {
      expect({ source: user.id, twice: shownTwice(user) }).toEqual({ source: user.id, twice: [] });
    }
  };

  it("pg_ctl restart -m fast during bursts: nothing lost, nothing twice, one line each way", async () => {
    const before = bot.logs().length;
    const run = await runBursts(bot.api, {
      sources: SOURCES,
      burst: BURST,
      idBase: 9_270_000,
      faultAfterBursts: 2,
      fault: () => pg.restart(),
    });
    await check(run);
    await oneLineEachWay(before);
  }, 240_000);

  it("the bot's connections terminated during bursts: the same", async () => {
    const before = bot.logs().length;
    let terminated = 0;
    const run = await runBursts(bot.api, {
      sources: SOURCES,
      burst: BURST,
      idBase: 9_280_000,
      faultAfterBursts: 2,
      fault: async () => {
        terminated = await pg.terminateBackends();
      },
    });
    expect(terminated).toBeGreaterThan(0);
    await check(run);
    await oneLineEachWay(before);
  }, 240_000);
});
