// Issue 8: `npm run demo` as a person starts it. Time from spawning `npm run demo` to the printed
// address, to the page answering (goal < 5 s), to the bot polling, and to the bot's answer to
// /start typed through the page's API; the resident memory of the whole process tree (npm, sh,
// node) when idle and after that answer; the time Ctrl+C takes. The baseline is
// `npm run demo -- --help`: npm, node with tsx, and loading the demo's modules, nothing started.
import { readdirSync, readFileSync } from "node:fs";
import { killDemos, spawnDemo } from "../test/helpers/demo-process.js";
import { goal, mb, median, ms, printTable, progress, progressDone, ratio, sleep } from "./lib.js";

const RUNS = 3;
const PAGE_GOAL_MS = 5000;

interface DemoRun {
  address: number;
  page: number;
  ready: number;
  answer: number;
  rssIdle: number;
  rssAfterAnswer: number;
  peakProgram: number;
  stop: number;
}

async function until<T>(check: () => T | undefined | false, timeoutMs: number, what: string) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`demo benchmark: no ${what} in time`);
    await sleep(10);
  }
}

/** Every process under pid (Linux /proc: the children of each of its threads), pid included. */
function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      for (const child of children.split(/\s+/).filter(Boolean)) {
        out.push(...processTree(Number(child)));
      }
    }
  } catch {
    // gone meanwhile
  }
  return out;
}

function status(pid: number, field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

const treeRss = (pid: number) =>
  processTree(pid).reduce((sum, each) => sum + status(each, "VmRSS"), 0);

/** The largest process of the tree: the demo program itself (node running src/demo/main.ts). */
function programPid(pid: number): number {
  const tree = processTree(pid);
  return tree.reduce((best, each) => (status(each, "VmRSS") > status(best, "VmRSS") ? each : best));
}

/** Sends /start as the page does and resolves when the bot's first answer arrives on the stream. */
async function firstAnswer(url: string): Promise<void> {
  const stream = await fetch(new URL("api/events?source=1", url));
  const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const sent = fetch(new URL("api/send", url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ pane: "source", source: 1, text: "/start" }),
  });
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("demo benchmark: the event stream ended");
    text += decoder.decode(value, { stream: true });
    if (text.includes('"fromBot":true')) break;
  }
  await reader.cancel();
  await sent;
}

async function runOnce(): Promise<DemoRun> {
  const started = performance.now();
  const demo = spawnDemo();
  const pid = demo.child.pid as number;
  try {
    const url = await until(() => demo.url(), 60_000, "address");
    const address = performance.now() - started;
    while (
      !(await fetch(url).then(
        (r) => r.ok,
        () => false,
      ))
    )
      await sleep(10);
    const page = performance.now() - started;
    await until(() => demo.output().includes("The bot is ready."), 60_000, "ready line");
    const ready = performance.now() - started;
    await sleep(500);
    const rssIdle = treeRss(pid);
    const before = performance.now();
    await firstAnswer(url);
    const answer = performance.now() - before;
    await sleep(200);
    const rssAfterAnswer = treeRss(pid);
    const peakProgram = status(programPid(pid), "VmHWM");
    const stopAt = performance.now();
    demo.signalGroup("SIGINT");
    await until(() => demo.output().includes("Stopped;"), 30_000, "stop");
    const stop = performance.now() - stopAt;
    await demo.exit;
    return { address, page, ready, answer, rssIdle, rssAfterAnswer, peakProgram, stop };
  } finally {
    killDemos();
  }
}

async function baselineOnce(): Promise<number> {
  const started = performance.now();
  await spawnDemo({ args: ["--help"] }).exit;
  return performance.now() - started;
}

export async function run(): Promise<void> {
  progress("demo: baseline");
  await baselineOnce(); // warms the file cache and tsx's compile cache
  const baselines: number[] = [];
  for (let i = 0; i < RUNS; i++) baselines.push(await baselineOnce());
  const baseline = median(baselines);

  const runs: DemoRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    progress(`demo: run ${i + 1}/${RUNS}`);
    runs.push(await runOnce());
  }
  progressDone();
  const m = (pick: (r: DemoRun) => number) => median(runs.map(pick));
  printTable({
    title: `npm run demo: start, answer, memory, stop (median of ${RUNS})`,
    headers: ["measure", "value", "vs baseline", "note"],
    rows: [
      ["npm run demo -- --help (baseline)", ms(baseline), "1.00×", "npm, node, tsx, modules"],
      [
        "spawn → address printed",
        ms(m((r) => r.address)),
        ratio(
          m((r) => r.address),
          baseline,
        ),
        "",
      ],
      [
        "spawn → page answers",
        ms(m((r) => r.page)),
        ratio(
          m((r) => r.page),
          baseline,
        ),
        goal(m((r) => r.page) < PAGE_GOAL_MS, "goal < 5 s"),
      ],
      [
        "spawn → bot polling",
        ms(m((r) => r.ready)),
        ratio(
          m((r) => r.ready),
          baseline,
        ),
        "embedded PGlite creates its database",
      ],
      ["/start → first answer (page API)", ms(m((r) => r.answer)), "", ""],
      ["RSS of the process tree, idle", mb(m((r) => r.rssIdle)), "", "npm, sh, node"],
      ["RSS of the process tree, after /start", mb(m((r) => r.rssAfterAnswer)), "", ""],
      ["peak RSS of the demo program", mb(m((r) => r.peakProgram)), "", "VmHWM"],
      ["Ctrl+C → stopped, folder deleted", ms(m((r) => r.stop)), "", ""],
    ],
    notes: [`runs: ${runs.map((r) => `${ms(r.page)} / ${ms(r.ready)}`).join(", ")} (page / bot)`],
  });
}
