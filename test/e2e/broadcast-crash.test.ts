// Crash safety of broadcasts with the real entry point (src/main.ts) in a child process: SIGKILL
// in the middle of a broadcast, restart, and the job finishes by itself — nobody skipped, and
// duplicates only for the deliveries that were in flight (leased) at the kill. Then SIGTERM
// stops the bot gracefully with nothing left leased.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuidanceService } from "../../src/services/guidance/guidance.js";
import { createSubscriptionsService } from "../../src/services/guidance/subscriptions.js";
import { createSealer } from "../../src/services/sources/sealing.js";
import { createBroadcastsRepository } from "../../src/storage/broadcasts.repo.js";
import { openStorage, type Storage } from "../../src/storage/db.js";
import { createGuidanceRepository } from "../../src/storage/guidance.repo.js";
import { createSubscribersRepository } from "../../src/storage/subscribers.repo.js";
import { adminUser, startBroadcast } from "../helpers/admin.js";
import { type BotProcess, killAllBotProcesses, startBotProcess } from "../helpers/bot-process.js";
import { createTestStorage, type TestStorage } from "../helpers/db.js";
import { type FakeBotApi, startFakeBotApi } from "../helpers/fake-bot-api.js";
import { TEST_TOKEN } from "../helpers/harness.js";
import { cleanupKeyFixtures, makeTestEditorKeyring } from "../helpers/keys.js";

const ADMIN_ID = 900_001;
const SUBSCRIBERS = 400;
const FIRST_CHAT = 5_000_000;
const RU_TEXT = "Советы: как не попасть под экстрадицию";
const EN_TEXT = "Guidance: avoiding extradition";

describe("a broadcast survives kill -9", () => {
  let api: FakeBotApi;
  let dataDir: string;
  let pg: TestStorage | undefined;
  let env: Record<string, string | undefined>;
  const pepper = randomBytes(32);
  const serverKey = randomBytes(32);

  /** PGlite allows one process at a time: open it only while no bot runs. */
  async function withStorage<T>(work: (storage: Storage) => Promise<T>): Promise<T> {
    if (pg) return work(pg);
    const storage = await openStorage({ dataDir });
    try {
      return await work(storage);
    } finally {
      await storage.close();
    }
  }

  const guidanceSends = () =>
    api
      .calls("sendMessage")
      .filter((c) => c.ok && Number(c.params.chat_id) >= FIRST_CHAT)
      .filter((c) => c.params.text === RU_TEXT || c.params.text === EN_TEXT);

  const start = async (): Promise<BotProcess> => {
    const bot = startBotProcess({ env, cwd: dataDir });
    await bot.ready();
    return bot;
  };

  beforeAll(async () => {
    api = await startFakeBotApi({ token: TEST_TOKEN });
    dataDir = mkdtempSync(join(tmpdir(), "tb-crash-"));
    if (process.env.TEST_DATABASE_URL) pg = await createTestStorage();
    const { dir: keysDir } = await makeTestEditorKeyring(1);
    env = {
      BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: api.apiRoot,
      EDITOR_KEYS: keysDir,
      DATA_DIR: dataDir,
      DATABASE_URL: pg?.url,
      ADMIN_IDS: String(ADMIN_ID),
      PEPPER: pepper.toString("hex"),
      SERVER_KEY: serverKey.toString("hex"),
      BROADCAST_RATE_PER_SECOND: "100",
      LOG_LEVEL: "info",
    };
    await withStorage(async (storage) => {
      const subscriptions = createSubscriptionsService({
        repo: createSubscribersRepository({ db: storage.db }),
        sealer: createSealer(serverKey),
        pepper,
      });
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const locale = i % 2 === 0 ? "ru" : "en";
        api.user({ id: FIRST_CHAT + i, first_name: `S${i}`, language_code: locale });
        await subscriptions.subscribe(FIRST_CHAT + i, locale);
      }
      const guidance = createGuidanceService({
        repo: createGuidanceRepository({ db: storage.db }),
        defaultLocale: "ru",
      });
      await guidance.publish("ru", { text: RU_TEXT, entities: [] });
      await guidance.publish("en", { text: EN_TEXT, entities: [] });
    });
  }, 60_000);

  afterAll(async () => {
    await killAllBotProcesses();
    await pg?.close();
    await api?.close();
    await cleanupKeyFixtures();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("resumes after SIGKILL, skips nobody, repeats only what was in flight", async () => {
    const first = await start();
    const admin = adminUser(api, ADMIN_ID);
    const { progress } = await startBroadcast(admin, { guidance: true });
    await api.waitFor(() => guidanceSends().length >= 150, 15_000, "150 sent");
    await first.kill("SIGKILL");
    const sentBeforeKill = guidanceSends().length;
    expect(sentBeforeKill).toBeLessThan(SUBSCRIBERS);

    // What the database says was claimed and not settled at the kill: the in-flight deliveries.
    const inFlight = await withStorage(async (storage) => {
      const states = await createBroadcastsRepository({ db: storage.db }).deliveryStates(1);
      expect(states.sent ?? 0).toBeGreaterThan(0);
      return states.sending ?? 0;
    });

    const second = await start();
    const progressText = () =>
      api.state(ADMIN_ID).messages.find((m) => m.message_id === progress.message_id)?.text;
    await api.waitFor(
      () => progressText()?.includes("finished"),
      45_000,
      "the job to finish after the restart",
    );
    // The counts come from the database: every delivery recorded once, whatever was resent.
    expect(progressText()).toBe(
      "Broadcast #1: finished\nDelivered: 400 of 400 · not delivered: 0 · unsubscribed: 0 · still to send: 0",
    );
    const exit = await second.kill("SIGTERM");
    expect(exit.code).toBe(0);
    expect(second.stdout()).toContain("broadcast worker started");

    const perChat = new Map<number, number>();
    for (const call of guidanceSends()) {
      const chat = Number(call.params.chat_id);
      perChat.set(chat, (perChat.get(chat) ?? 0) + 1);
      const ru = (chat - FIRST_CHAT) % 2 === 0;
      expect(call.params.text).toBe(ru ? RU_TEXT : EN_TEXT);
    }
    expect(perChat.size).toBe(SUBSCRIBERS); // nobody skipped
    const duplicates = [...perChat.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates).toBeLessThanOrEqual(inFlight);

    // (Opening embedded PGlite once more costs seconds: the progress text above says the same.)
    if (pg) {
      const repo = createBroadcastsRepository({ db: pg.db });
      expect(await repo.find(1)).toMatchObject({ status: "done", sent: SUBSCRIBERS });
      expect(await repo.deliveryStates(1)).toEqual({});
    }
    console.log(
      `sent before the kill: ${sentBeforeKill}, in flight: ${inFlight}, duplicates: ${duplicates}`,
    );
  }, 90_000);
});
