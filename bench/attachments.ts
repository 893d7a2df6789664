// 4. A 20 MB document sent to the media question: time from the message to the bot's "saved and
// encrypted" note (the file is then downloaded, encrypted and stored in chunks), and the peak RSS
// growth of the process meanwhile, sampled every 10 ms from a worker thread.
import { randomBytes } from "node:crypto";
import { makeTestEditorKeyring } from "../test/helpers/keys.js";
import {
  benchStorage,
  collectGarbage,
  type DbKind,
  goal,
  mb,
  median,
  ms,
  postgresAdminUrl,
  printTable,
  progress,
  progressDone,
  SKIPPED_NO_POSTGRES,
  sleep,
  startInProcessBot,
  startRssSampler,
  walkTo,
} from "./lib.js";

const SIZE = 20 * 1024 * 1024; // the Bot API's download limit, exactly
const RUNS = 3;
const TIME_GOAL_MS = 1000;
const RSS_GOAL = 100 * 1024 * 1024;

interface Run {
  time: number;
  growth: number;
  samples: number;
}

async function measure(kind: DbKind): Promise<Run[]> {
  const { keyring } = await makeTestEditorKeyring(3);
  const storage = await benchStorage(kind);
  const bot = await startInProcessBot({ storage, keyring });
  const sampler = await startRssSampler(10);
  const runs: Run[] = [];
  try {
    const user = bot.api.user({ id: 720_001, first_name: "Источник", language_code: "ru" });
    await walkTo(user, "materials");
    for (let i = 1; i <= RUNS; i++) {
      progress(`attachments (${kind}): run ${i}/${RUNS}`);
      const file = randomBytes(SIZE); // made, and kept by the fake Bot API, before the baseline
      await sleep(200);
      collectGarbage();
      await sleep(100);
      const before = process.memoryUsage.rss();
      sampler.start();
      const sent = performance.now();
      await user.sendDocument(file, {
        file_name: `evidence-${i}.pdf`,
        mime_type: "application/pdf",
      });
      await bot.api.waitFor(
        () => user.lastBotMessage()?.text?.includes(`файлов: ${i}.`),
        120_000,
        "saved note",
      );
      const time = performance.now() - sent;
      const { peak, samples } = await sampler.stop();
      runs.push({ time, growth: Math.max(0, peak - before), samples });
    }
  } finally {
    await sampler.close();
    await bot.stop();
    await storage.close();
  }
  return runs;
}

export async function run(): Promise<void> {
  const rows: string[][] = [];
  for (const kind of ["pglite", "postgres"] as DbKind[]) {
    const label = kind === "pglite" ? "PGlite" : "PostgreSQL";
    if (kind === "postgres" && !postgresAdminUrl()) {
      rows.push([label, SKIPPED_NO_POSTGRES, "", "", "", ""]);
      continue;
    }
    const runs = await measure(kind);
    const time = median(runs.map((r) => r.time));
    const growth = Math.max(...runs.map((r) => r.growth));
    rows.push([
      label,
      ms(time),
      runs.map((r) => ms(r.time)).join(", "),
      mb(growth),
      goal(time < TIME_GOAL_MS, "< 1 s"),
      goal(growth < RSS_GOAL, "< 100 MB"),
    ]);
  }
  progressDone();
  printTable({
    title: `4. A 20 MB document to the media question (${RUNS} runs, 3 editor keys)`,
    headers: [
      "database",
      "time (median)",
      "runs",
      "peak RSS growth (max)",
      "time goal",
      "RSS goal",
    ],
    rows,
    notes: [
      "time: the source's message → the bot's note that the file is encrypted and stored",
      "includes getFile, the download from the fake Bot API (local), streaming OpenPGP, 256 KB chunks",
    ],
  });
}
