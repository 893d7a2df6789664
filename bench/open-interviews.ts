// 5. Memory with 1,000 interviews open at once: the real program (`tsx src/main.ts`) in a child
// process, 1,000 simulated sources each past four questions (drafts and encrypted parts in the
// database), the program's resident memory before and after, read from /proc. Baseline: a tsx
// process that only imports the application's modules.
import { spawn } from "node:child_process";
import { join } from "node:path";
import postgres from "postgres";
import { openStorage } from "../src/storage/db.js";
import { createDraftsRepository } from "../src/storage/drafts.repo.js";
import { BotProcess } from "../test/helpers/bot-process.js";
import { type FakeBotApi, startFakeBotApi } from "../test/helpers/fake-bot-api.js";
import { makeTestEditorKeyring } from "../test/helpers/keys.js";
import { PROJECT_ROOT, TSX } from "../test/helpers/run.js";
import {
  type DbKind,
  freshPostgres,
  goal,
  inBatches,
  mb,
  postgresAdminUrl,
  printTable,
  processMemory,
  programPid,
  progress,
  progressDone,
  SKIPPED_NO_POSTGRES,
  sleep,
  TEST_TOKEN,
  tempDir,
  walkTo,
} from "./lib.js";

const SOURCES = 1000;
const AT_ONCE = 50;
const GOAL = 300 * 1024 * 1024;
/** Issue 15: a 1 GB server; the first start must not keep initdb's memory. */
const FIRST_START_GOAL = 350 * 1024 * 1024;
const PER_INTERVIEW_GOAL = 20 * 1024;
const QUIET_MS = 3000;

interface Result {
  /** PGlite only: idle RSS of the very first start, which creates the database (initdb). */
  firstStartIdle?: number;
  idle: number;
  open: number;
  peak: number;
  drafts: number;
  seconds: number;
}

/** RSS of `tsx` importing the app's modules (what any start under tsx pays before work). */
function importsOnly(): Promise<number> {
  const code =
    'Promise.all([import("./src/app.ts"), import("./src/storage/db.ts")])' +
    ".then(() => console.log(process.memoryUsage.rss()))";
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ["-e", code], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", () => resolve(Number(out.trim())));
  });
}

async function startBot(api: FakeBotApi, env: Record<string, string | undefined>, cwd: string) {
  const bot = new BotProcess({
    env: { BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: api.apiRoot, LOG_LEVEL: "info", ...env },
    cwd,
  });
  await bot.ready("polling", 120_000);
  await sleep(QUIET_MS);
  return { bot, pid: programPid(bot) };
}

async function measure(kind: DbKind, keysDir: string): Promise<Result> {
  const api = await startFakeBotApi({ token: TEST_TOKEN });
  const work = await tempDir("open-interviews");
  const admin = postgresAdminUrl();
  const pg = kind === "postgres" && admin ? await freshPostgres(admin) : undefined;
  const dataDir = join(work.path, "data");
  const env = { EDITOR_KEYS: keysDir, DATA_DIR: dataDir, DATABASE_URL: pg?.url };
  let bot: BotProcess | undefined;
  try {
    let firstStartIdle: number | undefined;
    if (kind === "pglite") {
      // The first start creates the database; a running bot has usually been restarted since.
      const first = await startBot(api, env, work.path);
      bot = first.bot;
      firstStartIdle = processMemory(first.pid).rss;
      await first.bot.kill("SIGTERM", 60_000);
    }
    const started = await startBot(api, env, work.path);
    bot = started.bot;
    const idle = processMemory(started.pid).rss;

    const begin = performance.now();
    let done = 0;
    const users = Array.from({ length: SOURCES }, (_, i) =>
      api.user({ id: 730_000 + i, first_name: `Source ${i}`, language_code: "ru" }),
    );
    await inBatches(users, AT_ONCE, async (user) => {
      await walkTo(user, "service_length", 120_000);
      if (++done % 50 === 0) progress(`open interviews (${kind}): ${done}/${SOURCES}`);
    });
    const seconds = (performance.now() - begin) / 1000;
    await sleep(QUIET_MS);
    const { rss: open, peak } = processMemory(started.pid);

    const exit = await bot.kill("SIGTERM", 60_000);
    if (exit.code !== 0) throw new Error(`bot exited with ${JSON.stringify(exit)}`);
    let drafts: number;
    if (pg) {
      const client = postgres(pg.url, { max: 1, onnotice: () => {} });
      const [row] = await client`select count(*)::int as n from drafts`;
      drafts = Number(row?.n);
      await client.end();
    } else {
      const storage = await openStorage({ dataDir });
      drafts = await createDraftsRepository({ db: storage.db }).count();
      await storage.close();
    }
    return { firstStartIdle, idle, open, peak, drafts, seconds };
  } finally {
    bot?.signal("SIGKILL");
    await bot?.exited;
    await api.close();
    await pg?.drop();
    await work.remove();
  }
}

export async function run(): Promise<void> {
  const { dir: keysDir } = await makeTestEditorKeyring(3);
  progress("open interviews: imports only");
  const imports = await importsOnly();
  const rows: string[][] = [
    ["tsx importing the app's modules (baseline)", mb(imports), "", "", "", "", ""],
  ];
  for (const kind of ["pglite", "postgres"] as DbKind[]) {
    const label = kind === "pglite" ? "PGlite" : "PostgreSQL";
    if (kind === "postgres" && !postgresAdminUrl()) {
      rows.push([label, SKIPPED_NO_POSTGRES, "", "", "", "", ""]);
      continue;
    }
    const r = await measure(kind, keysDir);
    if (r.firstStartIdle !== undefined) {
      rows.push([
        "PGlite, first start (creates the database)",
        mb(r.firstStartIdle),
        "",
        "",
        "",
        "",
        goal(r.firstStartIdle <= FIRST_START_GOAL, "≤ 350 MB, idle"),
      ]);
    }
    const peakNote = r.peak >= GOAL ? `; peak ${mb(r.peak)} over` : "";
    rows.push([
      kind === "pglite" ? "PGlite, restarted on its DATA_DIR" : label,
      mb(r.idle),
      mb(r.open),
      mb(r.peak),
      `${((r.open - r.idle) / SOURCES / 1024).toFixed(1)} KB`,
      `${r.drafts} drafts, ${r.seconds.toFixed(0)} s`,
      `${goal(r.open < GOAL, "< 300 MB")}; ${goal(
        (r.open - r.idle) / SOURCES <= PER_INTERVIEW_GOAL,
        "≤ 20 KB per interview",
      )}${peakNote}`,
    ]);
  }
  progressDone();
  printTable({
    title: `5. RSS of the bot process with ${SOURCES.toLocaleString("en")} interviews open (${AT_ONCE} sources at a time)`,
    headers: ["process", "idle", `${SOURCES} open`, "peak", "per interview", "check", "goal"],
    rows,
    notes: [
      "each source: /start → consent → role → branch → year, then stays at the next question",
      `RSS and peak (VmHWM) of the program itself (tsx's child), ${QUIET_MS / 1000} s after start / after the load`,
      "under tsx (npm start); the compiled build (node dist/…) loads the same modules in about half the RSS",
    ],
  });
}
