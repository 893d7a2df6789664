// Invariants 1, 2, 5, 6, 7: after real interviews, nothing an adversary can take from the server
// (database dump, data directory, logs) contains an answer or a Telegram identifier.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBot, TEST_TOKEN, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import { dumpDatabase, findPlanted, findPlantedInFiles, readTree } from "../helpers/scan.js";

const SOURCE = {
  id: 7319457263,
  first_name: "Ферапонт",
  username: "ferapont_7319",
  language_code: "ru",
};
const SECOND = {
  id: 7319457264,
  first_name: "Евлампий",
  username: "evlampiy_q",
  language_code: "en",
};
const ANSWERS = [
  "Ротный Кузьмичёв приказал стрелять по колонне",
  "Склад у деревни Малые Чернушки",
  "Ушли вдвоём через Верхний Ларс",
];
const DRAFT_ANSWER = "Черновик: позывной Шмель, бригада номер 4417";
const FOLLOW_UP = "Дополнение: командир Пестряков знал заранее";
const FILE_MARKER = "EXIF-GPS-55.7558N-37.6173E-CANON-EOS";

describe("nothing readable at rest", () => {
  let bot: TestBot;
  let dataDir: string;
  let dump = "";
  let files: { path: string; bytes: Buffer }[] = [];
  let logs = "";
  let codename = "";

  beforeAll(async () => {
    try {
      await runFlows();
    } catch (error) {
      console.log(bot?.logs());
      throw error;
    }
  });

  async function runFlows() {
    dataDir = mkdtempSync(join(tmpdir(), "tb-security-"));
    bot = await startTestBot({ dataDir });
    const source = bot.api.user(SOURCE);
    codename =
      (await driveInterview(bot.api, source, {
        texts: ANSWERS,
        file: Buffer.from(`${FILE_MARKER} ${"x".repeat(5000)}`),
      })) ?? "";

    // The source checks the codename and adds to the testimony.
    await source.press("Записал(а), удалить");
    await source.nextBotMessage();
    await source.send(codename);
    await bot.api.waitFor(() => source.chat().length === 1);
    await source.command("codename");
    await source.nextBotMessage({ newOnly: true });
    await source.send(codename);
    await source.nextBotMessage({ newOnly: true });
    await source.press("Дополнить рассказ");
    await source.nextBotMessage({ newOnly: true });
    await source.send(FOLLOW_UP);
    await source.nextBotMessage({ newOnly: true });

    // A second source leaves an interview in progress (a draft at rest).
    const second = bot.api.user(SECOND);
    await driveInterview(bot.api, second, { texts: [DRAFT_ANSWER], language: "en", stopAfter: 8 });
    await second.send(DRAFT_ANSWER);
    await second.nextBotMessage({ newOnly: true });
    await second.sendLocation(55.7558, 37.6173);
    await second.nextBotMessage({ newOnly: true });

    dump = await dumpDatabase(bot.storage);
    logs = bot.logs();
    await bot.stop();
    files = readTree(dataDir);
  }

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const needles = () => [
    ...ANSWERS,
    DRAFT_ANSWER,
    FOLLOW_UP,
    FILE_MARKER,
    codename,
    String(SOURCE.id),
    String(SECOND.id),
    SOURCE.first_name,
    SOURCE.username,
    SECOND.first_name,
    SECOND.username,
    TEST_TOKEN,
    "55.7558",
  ];

  it("really ran the flows (the scan has something to look at)", () => {
    expect(codename.split(" ")).toHaveLength(8);
    expect(dump).toContain("\\x"); // ciphertext is there, as bytea
    expect(dump.length).toBeGreaterThan(10_000);
    expect(logs).toContain("updateId");
  });

  it("the database dump holds no answer, codename or Telegram identifier", () => {
    expect(findPlanted(dump, needles())).toEqual([]);
  });

  it("no file under DATA_DIR holds one either", () => {
    expect(files.length).toBeGreaterThan(0);
    expect(findPlantedInFiles(files, needles())).toEqual([]);
  });

  it("the logs hold none either", () => {
    expect(findPlanted(logs, needles())).toEqual([]);
  });

  it("secrets are in DATA_DIR with mode 0600, not in the database", () => {
    const secrets = files.filter((f) => f.path.includes(`${join(dataDir, "secrets")}`));
    expect(secrets.map((f) => f.path.split("/").pop()).sort()).toEqual(["pepper", "server.key"]);
    for (const secret of secrets) {
      expect(statSync(secret.path).mode & 0o777).toBe(0o600);
      expect(findPlanted(dump, [secret.bytes.toString("utf8").trim()])).toEqual([]);
    }
  });
});
