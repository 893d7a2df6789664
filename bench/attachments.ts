// 4. A 20 MB document sent to the media question: time from the message to the bot's "saved and
// encrypted" note (the file is then downloaded, encrypted and stored in chunks), and the peak RSS
// growth of the process meanwhile, sampled every 10 ms from a worker thread.
import { randomBytes } from "node:crypto";
import { Api } from "grammy";
import { encryptStreamForEditors } from "../src/services/crypto/for-editors.js";
import { CHUNK_SIZE, createPartsRepository } from "../src/storage/parts.repo.js";
import { startFakeBotApi } from "../test/helpers/fake-bot-api.js";
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
  TEST_TOKEN,
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

/** The file as the download delivers it: 64 KB pieces. */
function streamOf(bytes: Uint8Array, piece = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + piece));
      offset += piece;
    },
  });
}

async function timedMedian(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Where the time goes: each stage of the path alone, on the same bytes. */
async function breakdown(): Promise<string[][]> {
  const { keyring } = await makeTestEditorKeyring(3);
  const file = randomBytes(SIZE);
  const rows: string[][] = [];

  const api = await startFakeBotApi({ token: TEST_TOKEN });
  try {
    const user = api.user({ id: 720_002, first_name: "Источник" });
    const sent = await user.sendDocument(file, { file_name: "x.pdf" });
    const fileId = sent.document?.file_id as string;
    const download = await timedMedian(async () => {
      const info = await new Api(TEST_TOKEN, { apiRoot: api.apiRoot }).getFile(fileId);
      const response = await fetch(`${api.apiRoot}/file/bot${TEST_TOKEN}/${info.file_path}`);
      for await (const _ of response.body as unknown as AsyncIterable<Uint8Array>);
    });
    rows.push(["download (getFile + fetch, drained)", "—", ms(download)]);
  } finally {
    await api.close();
  }

  const encryption = await timedMedian(async () => {
    for await (const _ of encryptStreamForEditors(keyring, streamOf(file)));
  });
  rows.push(["OpenPGP encryption (3 keys, drained)", "—", ms(encryption)]);

  const hex = await timedMedian(async () => {
    for (let i = 0; i < file.length; i += CHUNK_SIZE) {
      Buffer.from(file.buffer, file.byteOffset + i, Math.min(CHUNK_SIZE, file.length - i)).toString(
        "hex",
      );
    }
  });
  rows.push(["hex text of every chunk (what postgres.js sends)", "—", ms(hex)]);

  for (const kind of ["pglite", "postgres"] as DbKind[]) {
    if (kind === "postgres" && !postgresAdminUrl()) continue;
    const storage = await benchStorage(kind);
    try {
      const parts = createPartsRepository({ db: storage.db });
      const inserts = await timedMedian(async () => {
        const id = crypto.randomUUID();
        let seq = 0;
        for (let i = 0; i < file.length; i += CHUNK_SIZE) {
          await parts.writeChunk(id, seq++, file.subarray(i, i + CHUNK_SIZE));
        }
      });
      rows.push([
        `chunk inserts, ${Math.ceil(SIZE / CHUNK_SIZE)} × 256 KB`,
        kind === "pglite" ? "PGlite" : "PostgreSQL",
        ms(inserts),
      ]);
    } finally {
      await storage.close();
    }
  }
  return rows;
}

export async function run(): Promise<void> {
  progress("attachments: where the time goes");
  const stages = await breakdown();
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
  printTable({
    title: `4b. The same ${SIZE / 1024 / 1024} MB: each stage alone (median of ${RUNS})`,
    headers: ["stage", "database", "time"],
    rows: stages,
    notes: [
      "in the bot, encryption and chunk writes overlap (one write in flight while the next chunk is encrypted)",
      "PGlite gets bytea parameters in binary (src/storage/db.ts); as hex text they were 4–7× slower",
    ],
  });
}
