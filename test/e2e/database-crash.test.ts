// PostgreSQL crashes mid-interview (an immediate stop: no shutdown checkpoint, recovery at the
// next start). Its UNLOGGED tables come back empty, so the interview in progress is forgotten:
// the source is told calmly on their next button, and the parts already written are swept.
// A private cluster, never the shared server. (A SIGKILL of the bot alone loses nothing on
// PostgreSQL: test/e2e/process.test.ts.)
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage/db.js";
import { draftParts, drafts, parts } from "../../src/storage/schema.js";
import { usingPostgres } from "../helpers/db.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { LABELS } from "../helpers/interview-driver.js";
import {
  type PrivateCluster,
  privateClusterUnavailable,
  startPrivateCluster,
} from "../helpers/private-cluster.js";

const RU = LABELS.ru;
const unavailable = privateClusterUnavailable();

describe.runIf(usingPostgres && !unavailable)("a crash of PostgreSQL mid-interview", () => {
  let cluster: PrivateCluster;
  let bot: TestBot;

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    const admin = postgres(cluster.url(), { max: 1, onnotice: () => {} });
    await admin.unsafe("create database tb_crash");
    await admin.end();
    const url = cluster.url("tb_crash");
    const storage = await openStorage({ databaseUrl: url, maxConnections: 3 });
    bot = await startTestBot({ storage: { ...storage, url, detach: storage.close } });
  }, 120_000);

  afterAll(async () => {
    await bot?.stop().catch(() => {});
    cluster?.destroy();
  });

  it("forgets the interview, tells the source calmly, and sweeps its parts", async () => {
    const user = bot.api.user({ id: 7103, first_name: "Пётр", language_code: "ru" });
    await user.command("start");
    await user.nextBotMessage({ newOnly: true, timeoutMs: 20_000 });
    await user.press(RU.begin);
    await user.nextBotMessage();
    await user.press(RU.consent);
    const role = await user.nextBotMessage({ newOnly: true });
    await user.press(/Другое/);
    await user.nextBotMessage({ newOnly: true });
    await user.send("Связист");
    await user.nextBotMessage();
    await bot.idle();
    const { db } = bot.storage;
    expect(await db.$count(drafts)).toBe(1);
    expect(await db.$count(parts)).toBeGreaterThan(0);

    cluster.stop("immediate");
    cluster.start();

    // The tables are there, empty; the logged parts stay until the sweep (hourly, and at start).
    // Pooled connections of before the crash fail once each, then the pool connects again.
    for (let attempt = 0; ; attempt++) {
      const ok = await db.execute(sql`select 1`).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (attempt > 5) throw new Error("the pool did not reconnect");
    }
    expect(await db.$count(drafts)).toBe(0);
    expect(await db.$count(draftParts)).toBe(0);
    await bot.app.services.interview.sweepExpired();
    expect(await db.$count(parts)).toBe(0);

    const next = await user.pressData(role.message_id, "iv:next:role_other");
    const answer = await bot.api.waitFor(() => bot.api.callbackAnswer(next.id), 10_000);
    expect(answer).toMatchObject({
      text: expect.stringContaining("Этого рассказа больше нет"),
      show_alert: true,
    });
  }, 120_000);
});
