// Shared pieces of the benchmarks: statistics, a table printer, PostgreSQL databases made for one
// run, the bot assembled in this process (as the tests do), and memory probes. Benchmarks print
// figures and ratios to baselines measured in the same run; they never assert on time.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Worker } from "node:worker_threads";
import { type RunnerHandle, run } from "@grammyjs/runner";
import type { Message } from "grammy/types";
import postgres from "postgres";
import { APP_DEFAULTS, type App, type AppConfig, createApp } from "../src/app.js";
import { createLogger } from "../src/logger.js";
import type { EditorKeyring } from "../src/services/crypto/editor-keys.js";
import { openStorage, type Storage } from "../src/storage/db.js";
import type { Secrets } from "../src/storage/secrets.js";
import type { BotProcess } from "../test/helpers/bot-process.js";
import { type FakeBotApi, type FakeUser, startFakeBotApi } from "../test/helpers/fake-bot-api.js";
import { TEST_TOKEN } from "../test/helpers/harness.js";

export { TEST_TOKEN };

// --- statistics and formatting ---------------------------------------------------------------

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (value < 1) return `${value.toFixed(3)} ms`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${value.toFixed(1)} ms`;
  return `${(value / 1000).toFixed(2)} s`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function ratio(value: number, baseline: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return "—";
  const r = value / baseline;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

/** "met" or "MISSED (…)" — a missed goal is printed, never hidden. */
export function goal(met: boolean, what: string): string {
  return met ? `met (${what})` : `MISSED (${what})`;
}

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  notes?: string[];
}

export function printTable(table: Table): void {
  const widths = table.headers.map((h, i) =>
    Math.max(h.length, ...table.rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    `  ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
  console.log(`\n${table.title}`);
  console.log(line(table.headers));
  console.log(`  ${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const row of table.rows) console.log(line(row));
  for (const note of table.notes ?? []) console.log(`  · ${note}`);
}

export function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K  … ${text}`);
}

export function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
}

export const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, msToWait));

// --- databases -------------------------------------------------------------------------------

/** The PostgreSQL server to measure on, if any. */
export function postgresAdminUrl(): string | undefined {
  return process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
}

export const SKIPPED_NO_POSTGRES = "skipped (no PostgreSQL: set BENCH_DATABASE_URL)";

/** A new, empty PostgreSQL database for one measurement; drop() removes it. */
export async function freshPostgres(
  adminUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const again = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `testimony-bench-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export type DbKind = "pglite" | "postgres";

/**
 * Storage as the bot would open it: PGlite on disk in a temp DATA_DIR, or a fresh PostgreSQL
 * database. close() also removes what was made.
 */
export async function benchStorage(kind: DbKind): Promise<Storage> {
  if (kind === "pglite") {
    const dir = await tempDir("pglite");
    const storage = await openStorage({ dataDir: dir.path });
    return {
      ...storage,
      close: async () => {
        await storage.close();
        await dir.remove();
      },
    };
  }
  const admin = postgresAdminUrl();
  if (!admin) throw new Error("no PostgreSQL");
  const db = await freshPostgres(admin);
  const storage = await openStorage({ databaseUrl: db.url });
  return {
    ...storage,
    close: async () => {
      await storage.close();
      await db.drop();
    },
  };
}

// --- the bot in this process -----------------------------------------------------------------

const discard = new Writable({
  write(_chunk, _encoding, callback) {
    callback();
  },
});

export interface InProcessBot {
  api: FakeBotApi;
  app: App;
  stop(): Promise<void>;
}

/** createApp + runner against a fake Bot API, as the e2e harness does (logs at info, dropped). */
export async function startInProcessBot(options: {
  storage: Storage;
  keyring: EditorKeyring;
  api?: FakeBotApi;
  config?: Partial<AppConfig>;
  /** As main.ts for the embedded database: limits and locks in this process only. */
  exclusiveStorage?: boolean;
  /** PEPPER and SERVER_KEY (new ones by default): the same ones find the same drafts again. */
  secrets?: Secrets;
}): Promise<InProcessBot> {
  const api = options.api ?? (await startFakeBotApi({ token: TEST_TOKEN }));
  const app = createApp({
    config: {
      ...APP_DEFAULTS,
      BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: api.apiRoot,
      ...options.config,
    },
    db: options.storage.db,
    // As in production: a submit waits for its draft's scrub; the whole scrub follows.
    scrub: options.storage.scrub,
    scrubDrafts: options.storage.scrubDrafts,
    keyring: options.keyring,
    secrets: options.secrets ?? { pepper: randomBytes(32), serverKey: randomBytes(32) },
    logger: createLogger({ level: "info", destination: discard }),
    botInfo: api.botInfo,
    exclusiveStorage: options.exclusiveStorage,
  });
  await app.keys.announce();
  const runner: RunnerHandle = run(app.bot, { runner: { fetch: { timeout: 30 } } });
  return {
    api,
    app,
    stop: async () => {
      await runner.stop();
      if (!options.api) await api.close();
    },
  };
}

/** Runs `work` for every item, at most `limit` at a time. */
export async function inBatches<T>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
}

// --- the interview as a simulated source clicks through it -----------------------------------

export const RU = {
  begin: "Начать рассказ",
  consent: "Да, начнём",
  next: "Дальше →",
  back: "← Назад",
  skip: "Пропустить",
};

/** The question a bot message asks, from its buttons' callback data. */
export function questionIdOf(message: Message): string | undefined {
  for (const button of message.reply_markup?.inline_keyboard.flat() ?? []) {
    if (!("callback_data" in button)) continue;
    if (button.callback_data === "iv:submit") return "review";
    const id = /^iv:(?:a|t|back|skip|next):(\w+)/.exec(button.callback_data)?.[1];
    if (id) return id;
  }
  return undefined;
}

export async function nextQuestion(user: FakeUser, timeoutMs = 60_000) {
  for (;;) {
    const message = await user.nextBotMessage({ newOnly: true, timeoutMs });
    const id = questionIdOf(message);
    if (id) return { id, message };
  }
}

/**
 * The plain answer to an asked question: the first option of choices (that keeps optional
 * branches closed where the first option does), 2023 for years, Skip for everything else.
 */
export function plainAnswer(user: FakeUser, asked: { id: string; message: Message }) {
  const option = asked.message.reply_markup?.inline_keyboard
    .flat()
    .find((b) => "callback_data" in b && b.callback_data.startsWith("iv:a:"));
  if (option) return () => user.press(option.text);
  if (asked.id === "service_year") return () => user.send("2023");
  return () => user.press(RU.skip);
}

/**
 * /start → briefing → consent, then answers until the question `target` is asked: the first
 * option of choices (that keeps optional branches closed where the first option does), 2023 for
 * years, Skip for everything else.
 */
export async function walkTo(user: FakeUser, target: string, timeoutMs = 60_000) {
  await user.command("start");
  await user.nextBotMessage({ newOnly: true, timeoutMs });
  await user.press(RU.begin);
  await nextQuestion(user, timeoutMs);
  await user.press(RU.consent);
  for (;;) {
    const asked = await nextQuestion(user, timeoutMs);
    if (asked.id === target) return asked;
    await plainAnswer(user, asked)();
  }
}

// --- memory ----------------------------------------------------------------------------------

let gcFunction: (() => void) | undefined;

/** A full garbage collection (settles RSS before a baseline). */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
  gcFunction();
}

/**
 * Samples process.memoryUsage().rss every `intervalMs` from a worker thread, so samples keep
 * coming while the main thread is busy encrypting. RSS is per process, so the worker sees it all.
 */
export async function startRssSampler(intervalMs = 10) {
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     let peak = 0, samples = 0, running = false;
     const timer = setInterval(() => {
       if (!running) return;
       const rss = process.memoryUsage.rss();
       samples++;
       if (rss > peak) peak = rss;
     }, ${intervalMs});
     parentPort.on("message", (m) => {
       if (m === "start") { peak = process.memoryUsage.rss(); samples = 0; running = true; }
       if (m === "stop") { running = false; parentPort.postMessage({ peak, samples }); }
       if (m === "close") { clearInterval(timer); parentPort.close(); }
     });`,
    { eval: true },
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    start: () => worker.postMessage("start"),
    stop: () =>
      new Promise<{ peak: number; samples: number }>((resolve) => {
        worker.once("message", resolve);
        worker.postMessage("stop");
      }),
    close: async () => {
      worker.postMessage("close");
      await worker.terminate();
    },
  };
}

/** The program's own pid: tsx runs it as its child (Linux: /proc/<pid>/task/<pid>/children). */
export function programPid(bot: BotProcess): number {
  const children = readFileSync(`/proc/${bot.pid}/task/${bot.pid}/children`, "utf8").trim();
  const pid = Number(children.split(/\s+/)[0]);
  if (!pid) throw new Error("the tsx wrapper has no child process");
  return pid;
}

/** Current and peak resident memory of a process (Linux /proc), in bytes. */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 };
}
