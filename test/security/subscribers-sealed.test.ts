// Invariant 3: subscribers are sealed. After people subscribe, an admin writes guidance and a
// broadcast runs, nothing an adversary can take from the server (database dump, data directory,
// logs) holds a subscriber's chat id — or the admin's — in any encoding. Only the server key
// turns the sealed form back into a chat id.

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSubscriptionsService } from "../../src/services/guidance/subscriptions.js";
import { createSealer } from "../../src/services/sources/sealing.js";
import { subscribers } from "../../src/storage/schema.js";
import { createSubscribersRepository } from "../../src/storage/subscribers.repo.js";
import { adminUser, nextNew, publishGuidance, startBroadcast } from "../helpers/admin.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { dumpDatabase, findPlanted, findPlantedInFiles, readTree } from "../helpers/scan.js";

const SOURCES = [
  { id: 7391846205, first_name: "Евстигней", username: "evstigney_7391", language_code: "ru" },
  { id: 8123957461, first_name: "Prokhor", username: "prokhor_8123", language_code: "en" },
  { id: 6650128437, first_name: "Агафон", username: "agafon_6650", language_code: "ru" },
];
const ADMIN_ID = 5938172640;
const GUIDANCE = "Советы для проверки утечек";

describe("subscribers are sealed at rest", () => {
  let bot: TestBot;
  let dataDir: string;
  const dumps: string[] = [];
  let files: { path: string; bytes: Buffer }[] = [];
  let logs = "";
  let sealedRows: (typeof subscribers.$inferSelect)[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tb-subscribers-"));
    // One message a second: the broadcast is still running when the database is dumped.
    bot = await startTestBot({
      dataDir,
      adminIds: [ADMIN_ID],
      config: { BROADCAST_RATE_PER_SECOND: 1 },
      broadcastWorker: { progressIntervalMs: 500 },
    });
    for (const [i, init] of SOURCES.entries()) {
      const user = bot.api.user(init);
      if (i === 0) {
        await user.command("start");
        await user.nextBotMessage();
        await user.press("Подписаться на советы редакции");
      } else {
        await user.command("subscribe");
      }
      await nextNew(user);
    }
    const admin = adminUser(bot.api, ADMIN_ID);
    await publishGuidance(admin, "ru", GUIDANCE);
    await startBroadcast(admin, { guidance: true });
    await bot.api.waitFor(
      () =>
        bot.api
          .calls("sendMessage")
          .some((c) => c.ok && c.params.text === GUIDANCE && Number(c.params.chat_id) !== ADMIN_ID),
      10_000,
      "first delivery",
    );
    dumps.push(await dumpDatabase(bot.storage)); // mid-broadcast: delivery rows exist
    await waitUntilDone();
    dumps.push(await dumpDatabase(bot.storage));
    sealedRows = await bot.storage.db.select().from(subscribers);
    logs = bot.logs();
    await bot.stop();
    files = readTree(dataDir);
  }, 60_000);

  async function waitUntilDone() {
    for (let i = 0; i < 300; i++) {
      if ((await bot.app.services.broadcasts.latest())?.status === "done") return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("broadcast did not finish");
  }

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const needles = () => [
    ...SOURCES.flatMap((s) => [String(s.id), s.first_name, s.username]),
    String(ADMIN_ID),
  ];

  it("really ran: three sealed subscribers, a broadcast with its rows", () => {
    expect(sealedRows).toHaveLength(3);
    expect(dumps[0]).toMatch(/sending|pending|sent/);
    expect(dumps[1]).toContain("guidance-publish");
  });

  it("the database dump holds no chat id, name or username", () => {
    for (const dump of dumps) expect(findPlanted(dump, needles())).toEqual([]);
  });

  it("no file under DATA_DIR holds one either", () => {
    expect(files.length).toBeGreaterThan(0);
    expect(findPlantedInFiles(files, needles())).toEqual([]);
  });

  it("the logs hold none either", () => {
    expect(findPlanted(logs, needles())).toEqual([]);
  });

  it("only the server key unseals them", () => {
    const withKey = createSubscriptionsService({
      repo: createSubscribersRepository({ db: bot.storage.db }),
      sealer: createSealer(bot.secrets.serverKey),
      pepper: bot.secrets.pepper,
    });
    const ids = sealedRows.map((row) => withKey.chatIdOf(row.sealedChatId)).sort();
    expect(ids).toEqual(SOURCES.map((s) => s.id).sort());
    const otherKey = createSubscriptionsService({
      repo: createSubscribersRepository({ db: bot.storage.db }),
      sealer: createSealer(randomBytes(32)),
      pepper: bot.secrets.pepper,
    });
    expect(() => otherKey.chatIdOf(sealedRows[0]?.sealedChatId as Uint8Array)).toThrow(
      /does not match/,
    );
  });
});
