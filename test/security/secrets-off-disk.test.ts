// Invariant 2: secrets may live off the data disk. Given by environment, by file (docker
// secrets) or in a SECRETS_DIR of their own, the pepper and the server key are never written
// into DATA_DIR — a seized data disk then cannot derive any source's key. The real program runs.
import { randomBytes } from "node:crypto";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { killAllBotProcesses, startBotProcess } from "../helpers/bot-process.js";
import { type FakeBotApi, startFakeBotApi } from "../helpers/fake-bot-api.js";
import { TEST_TOKEN } from "../helpers/harness.js";
import { LABELS } from "../helpers/interview-driver.js";
import { cleanupKeyFixtures, makeTestEditorKeyring } from "../helpers/keys.js";
import { findPlantedInFiles, readTree } from "../helpers/scan.js";

let api: FakeBotApi;
let keysDir: string;
const dirs: string[] = [];

beforeAll(async () => {
  api = await startFakeBotApi({ token: TEST_TOKEN });
  keysDir = (await makeTestEditorKeyring(1)).dir;
});
afterEach(() => killAllBotProcesses());
afterAll(async () => {
  await api?.close();
  await cleanupKeyFixtures();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The real program in a fresh folder of its own, with `env` on top of what it needs. */
async function launch(env: (dir: string) => Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), "tb-secrets-"));
  dirs.push(dir);
  const dataDir = join(dir, "data");
  const bot = startBotProcess({
    cwd: dir,
    env: {
      BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: api.apiRoot,
      EDITOR_KEYS: keysDir,
      DATA_DIR: dataDir,
      ...env(dir),
    },
  });
  return { dir, dataDir, bot };
}

/** Runs the bot with `env` through one interview step and a clean stop; returns DATA_DIR. */
async function runOnce(userId: number, env: (dir: string) => Record<string, string>) {
  const { dir, dataDir, bot } = await launch(env);
  await bot.ready();
  const user = api.user({ id: userId, first_name: "Source", language_code: "ru" });
  await user.command("start");
  await user.nextBotMessage({ newOnly: true, timeoutMs: 15_000 });
  await user.press(LABELS.ru.begin);
  await user.nextBotMessage({ newOnly: true, timeoutMs: 15_000 });
  expect(await bot.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  return { dir, dataDir };
}

const hex = () => randomBytes(32).toString("hex");

describe("secrets off the data disk", () => {
  it("PEPPER and SERVER_KEY from the environment are not written into DATA_DIR", async () => {
    const pepper = hex();
    const serverKey = hex();
    const { dataDir } = await runOnce(7500000001, () => ({
      PEPPER: pepper,
      SERVER_KEY: serverKey,
    }));
    expect(existsSync(join(dataDir, "secrets"))).toBe(false);
    const files = readTree(dataDir);
    expect(files.length).toBeGreaterThan(10); // the database is there
    expect(findPlantedInFiles(files, [pepper, serverKey])).toEqual([]);
  });

  it("PEPPER_FILE and SERVER_KEY_FILE (docker secrets) are read, never copied", async () => {
    const pepper = hex();
    const serverKey = hex();
    const { dataDir } = await runOnce(7500000002, (dir) => {
      writeFileSync(join(dir, "pepper.txt"), `${pepper}\n`, { mode: 0o600 });
      writeFileSync(join(dir, "server-key.txt"), serverKey, { mode: 0o600 });
      return {
        PEPPER_FILE: join(dir, "pepper.txt"),
        SERVER_KEY_FILE: join(dir, "server-key.txt"),
      };
    });
    expect(existsSync(join(dataDir, "secrets"))).toBe(false);
    expect(findPlantedInFiles(readTree(dataDir), [pepper, serverKey])).toEqual([]);
  });

  it("SECRETS_DIR outside DATA_DIR gets the generated secrets, DATA_DIR none", async () => {
    const { dir, dataDir } = await runOnce(7500000003, (dir) => ({
      SECRETS_DIR: join(dir, "secrets-elsewhere"),
    }));
    const secrets = readTree(join(dir, "secrets-elsewhere"));
    expect(secrets.map((f) => f.path.split("/").pop()).sort()).toEqual(["pepper", "server.key"]);
    for (const secret of secrets) expect(statSync(secret.path).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, "secrets"))).toBe(false);
    const values = secrets.map((f) => f.bytes.toString("utf8").trim());
    expect(findPlantedInFiles(readTree(dataDir), values)).toEqual([]);
  });

  it("a PEPPER_FILE that is not 64 hex characters stops the start with one clear line", async () => {
    const { dir, bot } = await launch((dir) => {
      writeFileSync(join(dir, "pepper.txt"), "not a secret");
      return { PEPPER_FILE: join(dir, "pepper.txt") };
    });
    expect((await bot.waitForExit()).code).toBe(1);
    expect(bot.stderr().trim()).toBe(
      `PEPPER_FILE: ${join(dir, "pepper.txt")} must hold 64 hex characters (make one with: openssl rand -hex 32)`,
    );
  });
});
