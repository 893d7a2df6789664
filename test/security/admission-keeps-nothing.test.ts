// Invariant 2 for the admission step: strangers turned away by a full derivation line, their
// waiting messages and their token buckets live in memory only. After a crowd of them was told
// to wait and then answered, nothing at rest (database dump, data directory, logs) holds their
// ids, names or words.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { dumpDatabase, findPlanted, findPlantedInFiles, readTree } from "../helpers/scan.js";

const CROWD = Array.from({ length: 8 }, (_, i) => ({
  id: 6_482_193_700 + i,
  first_name: `Аркадий${i}Подосиновиков`,
  username: `podosinovikov_${i}_x`,
  language_code: "ru",
}));
const WORDS = "Мы из части 51420, нас трое, ждём у моста через Сейм";

let bot: TestBot;
let dataDir: string;
let dump = "";
let logs = "";
let files: { path: string; bytes: Buffer }[] = [];
let told = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tb-admission-"));
  // A line of one: most of the crowd is told to wait.
  bot = await startTestBot({ dataDir, derivationConcurrency: 1, newcomersWaitingMax: 1 });
  const users = CROWD.map((user) => bot.api.user(user));
  await Promise.all(users.map((user, i) => user.send(`${WORDS} (${i})`)));
  for (const user of users) await user.nextBotMessage({ timeoutMs: 60_000 });
  await bot.idle(120_000);
  told = users.filter((user) =>
    user.botMessages().some((m) => m.text?.includes("пишет очень много людей")),
  ).length;
  dump = await dumpDatabase(bot.storage);
  logs = bot.logs();
  await bot.stop();
  files = readTree(dataDir);
}, 180_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const needles = () => [
  WORDS,
  "51420",
  ...CROWD.flatMap((user) => [String(user.id), user.first_name, user.username]),
];

it("really turned strangers away and answered them afterwards", () => {
  expect(told).toBeGreaterThan(0);
  expect(logs).toContain("updateId");
});

it("leaves nothing of them in the database, the data directory or the logs", () => {
  expect(findPlanted(dump, needles())).toEqual([]);
  expect(findPlantedInFiles(files, needles())).toEqual([]);
  expect(findPlanted(logs, needles())).toEqual([]);
});
