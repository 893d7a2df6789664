// Issue 7: the review desk on 500 submissions (20 answers each, a 5 MB voice message in every
// tenth), built at the service level: time to unlock and show the inbox, time to open a
// testimony with and without the voice, and the peak memory of the desk process. The desk runs as
// an editor runs it (`npm run editor -- desk`, its own process); timings are taken over HTTP as
// the page asks, and in headless Chromium too when /usr/bin/chromium is there.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterviewService } from "../src/services/interview/draft-store.js";
import {
  DEFAULT_QUESTIONNAIRE_PATH,
  loadQuestionnaire,
} from "../src/services/interview/questionnaire.js";
import { createSealer } from "../src/services/sources/sealing.js";
import { createSubmissionsService } from "../src/services/submissions/submit.js";
import { openStorage, type Storage } from "../src/storage/db.js";
import { createDraftsRepository } from "../src/storage/drafts.repo.js";
import { createPartsRepository } from "../src/storage/parts.repo.js";
import { createSubmissionsRepository } from "../src/storage/submissions.repo.js";
import { CHROMIUM, launchChromium } from "../test/helpers/desk.js";
import { choose, createEngineDriver, file, text } from "../test/helpers/engine.js";
import { makeTestEditorKeyring, type TestKey } from "../test/helpers/keys.js";
import { PROJECT_ROOT, TSX } from "../test/helpers/run.js";
import {
  type DbKind,
  freshPostgres,
  inBatches,
  mb,
  median,
  ms,
  percentile,
  postgresAdminUrl,
  printTable,
  processMemory,
  progress,
  progressDone,
  SKIPPED_NO_POSTGRES,
  tempDir,
} from "./lib.js";

const SUBMISSIONS = 500;
const VOICE_EVERY = 10;
const VOICE_SIZE = 5 * 1024 * 1024;
const UNLOCK_RUNS = 5;
const OPEN_RUNS = 10;

/** 20 answers over the questionnaire's real questions: 8 choices and 12 text messages. */
const CHOICES: [string, string][] = [
  ["consent", "yes"],
  ["role", "conscript"],
  ["branch", "ground_forces"],
  ["service_length", "under_month"],
  ["departure", "refused_orders"],
  ["situation", "abroad_safe"],
  ["publication", "quote"],
  ["contact_back", "yes"],
];
const TEXTS: [string, number][] = [
  ["service_year", 1],
  ["area", 3],
  ["story", 3],
  ["departure_story", 3],
  ["anything_else", 2],
];

/** The submissions, as the interview stores them; returns nothing but what is in the database. */
async function build(
  storage: Storage,
  keyring: Awaited<ReturnType<typeof makeTestEditorKeyring>>["keyring"],
  kind: DbKind,
) {
  const { db } = storage;
  const drafts = createDraftsRepository({ db });
  const parts = createPartsRepository({ db });
  const pepper = randomBytes(32);
  const interview = createInterviewService({
    drafts,
    parts,
    keyring,
    sealer: createSealer(randomBytes(32)),
    pepper,
    questionnaire: loadQuestionnaire(DEFAULT_QUESTIONNAIRE_PATH),
    limits: { draftTtlHours: 72, maxTextLength: 100_000, maxAttachmentsPerSubmission: 30 },
  });
  const submissions = createSubmissionsService({
    drafts,
    parts,
    submissions: createSubmissionsRepository({ db }),
    keyring,
    pepper,
  });
  const voice = randomBytes(VOICE_SIZE);
  let done = 0;
  await inBatches(
    Array.from({ length: SUBMISSIONS }, (_, i) => i + 1),
    4,
    async (n) => {
      const userId = 600_000 + n;
      const steps = CHOICES.map(([question, option]) => choose(question, option));
      for (const [question, count] of TEXTS) {
        for (let i = 0; i < count; i++) {
          const answer =
            question === "service_year" ? "2023" : `Ответ ${n}.${i}: ${"подробности ".repeat(30)}`;
          steps.push(text(question, answer));
        }
        // Added to the story's texts (same visit), not replacing them.
        if (question === "story" && n % VOICE_EVERY === 0) {
          const meta = { kind: "voice", mimeType: "audio/ogg", size: VOICE_SIZE, duration: 300 };
          steps.push(file("story", { ...meta, kind: "voice" }, voice));
        }
      }
      const draft = await createEngineDriver(interview, userId).run(steps);
      await submissions.submit(draft);
      progress(`desk (${kind}): building submissions ${++done}/${SUBMISSIONS}`);
    },
  );
}

interface DeskProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `npm run editor -- desk …` in its own process; resolves with its address. */
async function startDeskProcess(args: string[]): Promise<DeskProcess> {
  const child = spawn(
    TSX,
    [join(PROJECT_ROOT, "src/cli/editor.ts"), "desk", "--no-open", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the desk did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /http:\/\/127\.0\.0\.1:\d+\/t\/[\w-]+\//.exec(output)?.[0];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the desk exited (${code}):\n${output}`)));
  });
  // tsx runs the program as its child: that process is the desk.
  const pid = Number(
    readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(/\s+/)[0],
  );
  return {
    url,
    pid,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGINT");
      }),
  };
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
}

async function json(url: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

interface Figures {
  unlockInbox: number[];
  openText: number[];
  openVoice: number[];
  voiceBytes: number[];
  reopen: number[];
  browserInbox?: number;
  browserText?: number;
  browserVoice?: number;
  rssIdle: number;
  peak: number;
  /** Testimonies the browser run opens (not opened over HTTP before). */
  plainNumber?: number;
  voiceNumber?: number;
}

async function measureHttp(desk: DeskProcess, key: TestKey): Promise<Figures> {
  const figures: Figures = {
    unlockInbox: [],
    openText: [],
    openVoice: [],
    voiceBytes: [],
    reopen: [],
    rssIdle: processMemory(desk.pid).rss,
    peak: 0,
  };
  let entries: { number: number; attachments: number }[] = [];
  for (let i = 0; i < UNLOCK_RUNS; i++) {
    const [time, inbox] = await timed(async () => {
      await json(`${desk.url}api/unlock`, {
        key: key.armoredPrivateKey,
        passphrase: key.passphrase,
      });
      return (await json(`${desk.url}api/submissions`)) as typeof entries;
    });
    if (inbox.length !== SUBMISSIONS) throw new Error(`inbox has ${inbox.length} entries`);
    entries = inbox;
    figures.unlockInbox.push(time);
    if (i < UNLOCK_RUNS - 1) await json(`${desk.url}api/lock`, {});
  }
  // Submissions were made four at a time, so which numbers have the voice is read off the inbox.
  const plainOnes = entries.filter((e) => e.attachments === 0).map((e) => e.number);
  const voiceOnes = entries.filter((e) => e.attachments > 0).map((e) => e.number);
  figures.voiceNumber = voiceOnes[0];
  figures.plainNumber = plainOnes[1];
  for (let i = 0; i < OPEN_RUNS; i++) {
    const plain = plainOnes[i * 7] as number;
    const [text] = await timed(() => json(`${desk.url}api/submissions/${plain}`));
    figures.openText.push(text);
    const [again] = await timed(() => json(`${desk.url}api/submissions/${plain}`));
    figures.reopen.push(again);

    const withVoice = voiceOnes[i + 1] as number;
    const [open, testimony] = await timed(
      () =>
        json(`${desk.url}api/submissions/${withVoice}`) as Promise<{
          questions: { entries: { type: string; url?: string }[] }[];
        }>,
    );
    figures.openVoice.push(open);
    const file = testimony.questions.flatMap((q) => q.entries).find((e) => e.type === "attachment");
    const [bytes, size] = await timed(
      async () => (await (await fetch(desk.url + file?.url)).arrayBuffer()).byteLength,
    );
    if (size !== VOICE_SIZE) throw new Error(`voice of ${size} bytes`);
    figures.voiceBytes.push(bytes);
  }
  return figures;
}

/** The same, as the editor sees it: from pressing Unlock to the 500 rows, from a click to the testimony. */
async function measureBrowser(desk: DeskProcess, key: TestKey, dir: string, figures: Figures) {
  await json(`${desk.url}api/lock`, {});
  const keyFile = join(dir, "editor.private.asc");
  await writeFile(keyFile, key.armoredPrivateKey, { mode: 0o600 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(desk.url);
    await page.waitForSelector("#unlock-view:not([hidden])");
    await page.setInputFiles("#key-file", keyFile);
    await page.fill("#passphrase", key.passphrase);
    let started = performance.now();
    await page.click("#unlock-button");
    await page.waitForFunction(
      (n) => document.querySelectorAll("#inbox tbody tr").length === n,
      SUBMISSIONS,
    );
    figures.browserInbox = performance.now() - started;

    const open = async (number: number) => {
      await page.goto(`${desk.url}#/`);
      await page.waitForSelector("#inbox tbody tr");
      started = performance.now();
      await page.click(`#inbox a[href="#/n/${number}"]`);
      await page.waitForFunction(
        (n) => document.querySelector("#testimony h1")?.textContent?.endsWith(String(n)),
        number,
      );
      return performance.now() - started;
    };
    figures.browserText = await open(figures.plainNumber as number);
    figures.browserVoice = await open(figures.voiceNumber as number);
  } finally {
    await browser.close();
  }
}

async function measure(kind: DbKind): Promise<Figures> {
  const { keyring, keys, dir: keysDir } = await makeTestEditorKeyring(2);
  const key = keys[0] as TestKey;
  const dir = await tempDir("desk");
  const pg = kind === "postgres" ? await freshPostgres(postgresAdminUrl() as string) : undefined;
  const dataDir = join(dir.path, "data");
  try {
    const storage = await openStorage(pg ? { databaseUrl: pg.url } : { dataDir });
    try {
      await build(storage, keyring, kind);
    } finally {
      await storage.close(); // PGlite is single-process: the desk opens it next
    }
    progress(`desk (${kind}): measuring`);
    const desk = await startDeskProcess([
      ...(pg ? ["--database-url", pg.url] : ["--data-dir", dataDir]),
      "--keys",
      keysDir,
    ]);
    try {
      const figures = await measureHttp(desk, key);
      if (existsSync(CHROMIUM)) await measureBrowser(desk, key, dir.path, figures);
      figures.peak = processMemory(desk.pid).peak;
      return figures;
    } finally {
      await desk.stop();
    }
  } finally {
    progressDone();
    await dir.remove();
    await pg?.drop();
  }
}

export async function run(): Promise<void> {
  const rows: string[][] = [];
  for (const kind of ["pglite", "postgres"] as DbKind[]) {
    if (kind === "postgres" && !postgresAdminUrl()) {
      rows.push([kind, SKIPPED_NO_POSTGRES, "", "", "", "", "", "", ""]);
      continue;
    }
    const f = await measure(kind);
    const spread = (values: number[]) =>
      `${ms(median(values))} (p90 ${ms(percentile(values, 90))})`;
    rows.push([
      kind,
      spread(f.unlockInbox),
      spread(f.openText),
      spread(f.reopen),
      spread(f.openVoice),
      spread(f.voiceBytes),
      f.browserInbox === undefined
        ? "no chromium"
        : `${ms(f.browserInbox)} / ${ms(f.browserText ?? Number.NaN)} / ${ms(f.browserVoice ?? Number.NaN)}`,
      mb(f.rssIdle),
      mb(f.peak),
    ]);
  }
  printTable({
    title: `Review desk: ${SUBMISSIONS} submissions × 20 answers, a ${VOICE_SIZE / 1024 / 1024} MB voice in every ${VOICE_EVERY}th`,
    headers: [
      "db",
      "unlock + inbox",
      "open (text only)",
      "open again (cached)",
      "open (with voice)",
      "voice bytes to page",
      "Chromium: inbox / text / voice",
      "desk RSS idle",
      "desk peak RSS",
    ],
    rows,
    notes: [
      `HTTP timings: median of ${UNLOCK_RUNS} unlocks and ${OPEN_RUNS} first opens of different testimonies; "open" decrypts every part (the voice included) in the desk process`,
      "Chromium: one run each, from pressing Unlock to 500 rows drawn, and from a click in the inbox to the testimony drawn",
      "peak RSS: VmHWM of the desk process (tsx's child) over the whole run, including the page's requests",
    ],
  });
}
