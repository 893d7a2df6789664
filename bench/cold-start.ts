// 2. Cold start: `tsx src/main.ts` until it logs "polling", on PGlite (a fresh DATA_DIR, and
// again on an existing one) and on PostgreSQL, against `tsx -e` that imports grammY and says
// so: the ratio is what our start adds to the unavoidable (tsx, node, grammY).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { BotProcess } from "../test/helpers/bot-process.js";
import { startFakeBotApi } from "../test/helpers/fake-bot-api.js";
import { makeTestEditorKeyring } from "../test/helpers/keys.js";
import { PROJECT_ROOT, TSX } from "../test/helpers/run.js";
import {
  freshPostgres,
  median,
  ms,
  postgresAdminUrl,
  printTable,
  progress,
  progressDone,
  ratio,
  SKIPPED_NO_POSTGRES,
  TEST_TOKEN,
  tempDir,
} from "./lib.js";

const RUNS = 5;

/** Spawn → the line "ready" on stdout, for `tsx -e` importing grammY. */
function baselineOnce(cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(TSX, ["-e", 'import("grammy").then(() => console.log("ready"))'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let seen = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      if (!seen && chunk.toString().includes("ready")) seen = performance.now() - started;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 && seen ? resolve(seen) : reject(new Error(`baseline failed (${code}) in ${cwd}`)),
    );
  });
}

interface StartTiming {
  total: number;
  /** Milliseconds from spawn to each log line. */
  phases: Record<string, number>;
}

async function startOnce(
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<StartTiming> {
  const spawnedAt = Date.now();
  const bot = new BotProcess({ env, cwd });
  try {
    await bot.ready("polling", 120_000);
    const total = performance.now() - bot.startedAt;
    const phases: Record<string, number> = {};
    for (const line of bot.logs()) {
      if (typeof line.msg === "string" && typeof line.time === "number") {
        phases[line.msg] = line.time - spawnedAt;
      }
    }
    const exit = await bot.kill("SIGTERM");
    if (exit.code !== 0)
      throw new Error(`bot exited with ${JSON.stringify(exit)}\n${bot.describe()}`);
    return { total, phases };
  } finally {
    bot.signal("SIGKILL");
  }
}

const phaseText = (t: StartTiming[]) => {
  const at = (msg: string) => median(t.map((x) => x.phases[msg] ?? Number.NaN));
  const keys = at("editor keys loaded");
  const storage = at("storage ready");
  const polling = at("polling");
  return `process+imports+keys ${ms(keys)}, storage ${ms(storage - keys)}, bot ${ms(polling - storage)}`;
};

export async function run(): Promise<void> {
  const api = await startFakeBotApi({ token: TEST_TOKEN });
  const { dir: keysDir } = await makeTestEditorKeyring(3);
  const work = await tempDir("cold-start");
  const envFor = (dataDir: string, databaseUrl?: string) => ({
    BOT_TOKEN: TEST_TOKEN,
    TELEGRAM_API_ROOT: api.apiRoot,
    EDITOR_KEYS: keysDir,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "info",
  });
  try {
    progress("cold start: baseline");
    const baselines: number[] = [];
    await baselineOnce(work.path); // warm the file cache and tsx's cache
    for (let i = 0; i < RUNS; i++) baselines.push(await baselineOnce(work.path));
    const baseline = median(baselines);

    const fresh: StartTiming[] = [];
    const again: StartTiming[] = [];
    for (let i = 0; i < RUNS; i++) {
      progress(`cold start: PGlite run ${i + 1}/${RUNS}`);
      const dataDir = join(work.path, `data-${i}`);
      fresh.push(await startOnce(envFor(dataDir), work.path));
      again.push(await startOnce(envFor(dataDir), work.path));
    }

    const rows: string[][] = [
      ["tsx -e 'import grammy' (baseline)", ms(baseline), "1.00×", ""],
      [
        "PGlite, fresh DATA_DIR",
        ms(median(fresh.map((t) => t.total))),
        ratio(median(fresh.map((t) => t.total)), baseline),
        phaseText(fresh),
      ],
      [
        "PGlite, existing DATA_DIR",
        ms(median(again.map((t) => t.total))),
        ratio(median(again.map((t) => t.total)), baseline),
        phaseText(again),
      ],
    ];

    const admin = postgresAdminUrl();
    if (admin) {
      const pgFresh: StartTiming[] = [];
      const pgAgain: StartTiming[] = [];
      for (let i = 0; i < RUNS; i++) {
        progress(`cold start: PostgreSQL run ${i + 1}/${RUNS}`);
        const db = await freshPostgres(admin);
        try {
          const dataDir = join(work.path, `pg-${i}`);
          pgFresh.push(await startOnce(envFor(dataDir, db.url), work.path));
          pgAgain.push(await startOnce(envFor(dataDir, db.url), work.path));
        } finally {
          await db.drop();
        }
      }
      const f = median(pgFresh.map((t) => t.total));
      const a = median(pgAgain.map((t) => t.total));
      rows.push(
        ["PostgreSQL, empty database", ms(f), ratio(f, baseline), phaseText(pgFresh)],
        ["PostgreSQL, migrated database", ms(a), ratio(a, baseline), phaseText(pgAgain)],
      );
    } else {
      rows.push(["PostgreSQL", SKIPPED_NO_POSTGRES, "", ""]);
    }
    progressDone();
    printTable({
      title: `2. Cold start: spawn of \`tsx src/main.ts\` → "polling" logged (median of ${RUNS})`,
      headers: ["start", "time", "vs baseline", "where the time goes (medians)"],
      rows,
      notes: [
        "3 editor keys; the fake Bot API answers getMe/deleteWebhook locally (no network latency)",
        "storage = open + migrations (+ lock, secrets); bot = getMe, deleteWebhook, runner start",
      ],
    });
  } finally {
    await api.close();
    await work.remove();
  }
}
