// What an operator sees at start when Telegram says no or cannot be reached, and what is left
// running when a service manager (or a person) signals the npm process instead of the program.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  killAllBotProcesses,
  runBotProcessToExit,
  startBotProcess,
} from "../helpers/bot-process.js";
import { demoEnv, killDemos, spawnDemo } from "../helpers/demo-process.js";
import { type FakeBotApi, startFakeBotApi } from "../helpers/fake-bot-api.js";
import { TEST_TOKEN } from "../helpers/harness.js";
import {
  cleanupKeyFixtures,
  makeOpenpgpKey,
  makeTempDir,
  makeTestEditorKeyring,
  writeKeyFile,
} from "../helpers/keys.js";
import { PROJECT_ROOT } from "../helpers/run.js";

let api: FakeBotApi;
let keysDir: string;
const dirs: string[] = [];

beforeAll(async () => {
  api = await startFakeBotApi({ token: TEST_TOKEN });
  keysDir = (await makeTestEditorKeyring(1)).dir;
});

afterEach(async () => {
  await killAllBotProcesses();
});

afterAll(async () => {
  killDemos();
  await api?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  await cleanupKeyFixtures();
});

async function world(env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "testimony-start-"));
  dirs.push(dir);
  const dataDir = join(dir, "data");
  return {
    dir,
    dataDir,
    env: {
      BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: api.apiRoot,
      EDITOR_KEYS: keysDir,
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
      ...env,
    },
  };
}

/** Every process below `pid` (children, grandchildren…), read from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const child of parents.get(p) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(pid, 0): it has ended, only not been reaped yet.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

async function until(what: string, probe: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("start-up messages about Telegram", () => {
  it("a token Telegram rejects (401) stops the start with one line and no stack", async () => {
    const w = await world({ BOT_TOKEN: "7000000002:AAE-another-token-the-api-does-not-know" });
    const run = await runBotProcessToExit({ env: w.env, cwd: w.dir });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([
      "Telegram rejected BOT_TOKEN (401): check it with @BotFather",
    ]);
    expect(run.stdout).not.toMatch(/\n\s+at /);
    expect(run.stdout + run.stderr).not.toContain("another-token");
  }, 60_000);

  it("with no route to Telegram it says it cannot reach TELEGRAM_API_ROOT, why, and keeps trying", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const w = await world({ TELEGRAM_API_ROOT: closed });
    const bot = startBotProcess({ env: w.env, cwd: w.dir });
    const first = await bot.waitForLog(/cannot reach TELEGRAM_API_ROOT/);
    expect(first.msg).toBe(`cannot reach TELEGRAM_API_ROOT (${closed}): ECONNREFUSED; retrying`);
    // The reason as a field of its own, not an "error" the serializer can only call a string.
    expect(first).toMatchObject({ reason: "ECONNREFUSED" });
    expect(first).not.toHaveProperty("error");
    await bot.waitForLog(/cannot reach/, 30_000);
    await until(
      "a second attempt",
      () => bot.logs().filter((line) => /cannot reach/.test(line.msg ?? "")).length >= 2,
    );
    expect(bot.hasExited()).toBeUndefined();
    expect(bot.output()).not.toContain(TEST_TOKEN.split(":")[1] as string);
    await bot.kill("SIGKILL");
  }, 60_000);
});

describe("EDITOR_KEYS pointing at the folder keygen wrote", () => {
  it("starts with the public key and warns that a private key sits next to it", async () => {
    const folder = await makeTempDir("keygen-out-");
    const anna = await makeOpenpgpKey("Anna");
    await writeKeyFile(folder, "anna.public.asc", anna.armoredPublicKey);
    await writeKeyFile(folder, "anna.private.asc", anna.armoredPrivateKey);
    const w = await world({ EDITOR_KEYS: folder });
    const bot = startBotProcess({ env: w.env, cwd: w.dir });
    const warning = await bot.waitForLog(/looks like a private key/);
    expect(warning.msg).toContain(`EDITOR_KEYS: ${join(folder, "anna.private.asc")}`);
    expect(warning.level).toBe(40);
    await bot.ready();
    expect(bot.logs().find((line) => line.msg === "editor keys loaded")?.editorKeys).toBe(1);
    await bot.kill("SIGTERM");
  }, 60_000);
});

describe("a signal to the npm process", () => {
  /** `npm start` with its own process group; the bot's pid is in its lock file. */
  async function npmStart() {
    const w = await world();
    const npm = spawn("npm", ["start", "--silent"], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...w.env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    npm.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    npm.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    await until(`"polling" from npm start`, () => output.includes('"msg":"polling"'), 60_000);
    const botPid = Number(readFileSync(join(w.dataDir, "bot.lock"), "utf8").trim());
    return { npm, botPid, output: () => output };
  }

  for (const signal of ["SIGTERM", "SIGINT", "SIGKILL"] as const) {
    it(`${signal} to npm start leaves no bot running`, async () => {
      const { npm, botPid, output } = await npmStart();
      expect(descendants(npm.pid as number)).toContain(botPid);
      process.kill(npm.pid as number, signal);
      try {
        await until("the bot to stop", () => !alive(botPid));
      } finally {
        if (alive(botPid)) process.kill(botPid, "SIGKILL");
      }
      if (signal !== "SIGKILL") expect(output()).toContain('"msg":"stopped"');
    }, 90_000);
  }

  it("Ctrl-C (SIGINT to npm and the bot at once) stops the bot cleanly, saying so once", async () => {
    const { npm, botPid, output } = await npmStart();
    // A terminal sends Ctrl-C to the whole process group; npm passes it on once more.
    process.kill(-(npm.pid as number), "SIGINT");
    try {
      await until("the bot to stop", () => !alive(botPid));
    } finally {
      if (alive(botPid)) process.kill(botPid, "SIGKILL");
    }
    await until("npm to exit", () => npm.exitCode !== null || npm.signalCode !== null);
    expect(output().match(/"msg":"stopped"/g)).toHaveLength(1);
  }, 90_000);

  it("SIGTERM to `npm run editor -- desk` closes the desk", async () => {
    const w = await world();
    const npm = spawn(
      "npm",
      ["run", "--silent", "editor", "--", "desk", join(w.dir, "none.tar"), "--no-open"],
      {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    npm.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    await until("the desk's address", () => /Ctrl-C/.test(output), 60_000);
    // The one-time launch address (the code rides in the fragment): the page answers while open.
    const url = /http:\/\/127\.0\.0\.1:\d+\/#launch=[\w-]+/.exec(output)?.[0] as string;
    expect((await fetch(url)).status).toBe(200);
    const below = descendants(npm.pid as number);
    process.kill(npm.pid as number, "SIGTERM");
    try {
      await until("every process below npm to end", () => below.every((pid) => !alive(pid)));
    } finally {
      for (const pid of below.filter(alive)) process.kill(pid, "SIGKILL");
    }
    await expect(fetch(url)).rejects.toThrow();
  }, 90_000);

  for (const signal of ["SIGTERM", "SIGINT", "SIGKILL"] as const) {
    it(`${signal} to npm run demo stops the demo and deletes its temporary folder`, async () => {
      const demo = spawnDemo({ env: demoEnv() });
      await demo.waitFor(/The bot is ready\./, 60_000);
      const dir = demo.dir() as string;
      expect(existsSync(dir)).toBe(true);
      const npmPid = demo.child.pid as number;
      const below = descendants(npmPid);
      expect(below.length).toBeGreaterThan(0);
      process.kill(npmPid, signal);
      try {
        await until("every process below npm to end", () => below.every((pid) => !alive(pid)));
      } finally {
        for (const pid of below.filter(alive)) process.kill(pid, "SIGKILL");
      }
      expect(existsSync(dir)).toBe(false);
    }, 90_000);
  }
});
