// 13. A compression bomb as a document while 20 other sources answer: a Word file of a few
// hundred KiB that unpacks to 190 MiB is sent again and again at the materials question while 20
// sources go through the questions. Their ordinary steps (action → next question) are timed, and
// compared with the same run without the bomb; RSS is sampled throughout (worker threads
// included). Goal: p99 at most 2× the run without the bomb, RSS under 350 MB.
import { makeTestEditorKeyring } from "../test/helpers/keys.js";
import { docxBomb } from "../test/helpers/metadata-files.js";
import {
  benchStorage,
  goal,
  mb,
  ms,
  nextQuestion,
  percentile,
  plainAnswer,
  printTable,
  progress,
  progressDone,
  RU,
  ratio,
  sleep,
  startInProcessBot,
  startRssSampler,
  walkTo,
} from "./lib.js";

const SOURCES = 20;
const ROUNDS = 1;
const P99_RATIO_GOAL = 2;
const RSS_GOAL = 350 * 1024 * 1024;
const think = () => sleep(200 + Math.random() * 400);

interface Result {
  steps: number[];
  peak: number;
  bombs: number;
}

async function measure(withBomb: boolean): Promise<Result> {
  const { keyring } = await makeTestEditorKeyring(3);
  const storage = await benchStorage("pglite");
  const bot = await startInProcessBot({ storage, keyring });
  const sampler = await startRssSampler(10);
  const steps: number[] = [];
  let bombs = 0;
  try {
    const attacker = bot.api.user({ id: 740_000, first_name: "Кто-то", language_code: "ru" });
    if (withBomb) await walkTo(attacker, "materials");
    sampler.start();
    let running = true;
    const attack = (async () => {
      if (!withBomb) return;
      const bomb = docxBomb(190);
      while (running) {
        await attacker.sendDocument(bomb, { file_name: `report-${bombs}.docx` });
        bombs++;
        await bot.api.waitFor(
          () => attacker.botMessages().some((m) => m.text?.includes(`файлов: ${bombs}.`)),
          120_000,
          "bomb stored",
        );
        if (bombs >= 10) break; // the question takes 10 files
      }
    })();
    const source = async (index: number) => {
      const user = bot.api.user({
        id: 740_001 + index,
        first_name: "Источник",
        language_code: "ru",
      });
      for (let round = 0; round < ROUNDS; round++) {
        const timed = async (action: () => Promise<unknown>) => {
          const started = performance.now();
          await action();
          const asked = await nextQuestion(user, 120_000);
          steps.push(performance.now() - started);
          await think();
          return asked;
        };
        await user.command("start");
        await user.nextBotMessage({ newOnly: true, timeoutMs: 120_000 });
        await timed(() => user.press(RU.begin));
        let asked = await timed(() => user.press(RU.consent));
        while (asked.id !== "materials") asked = await timed(plainAnswer(user, asked));
        await user.command("forget");
        await user.nextBotMessage({ newOnly: true, timeoutMs: 120_000 });
        await sleep(300);
      }
    };
    await Promise.all(Array.from({ length: SOURCES }, (_, i) => source(i)));
    running = false;
    await attack;
    const { peak } = await sampler.stop();
    return { steps, peak, bombs };
  } finally {
    await sampler.close();
    await bot.stop();
    await storage.close();
  }
}

export async function run(): Promise<void> {
  progress("cleaning-bomb: without the bomb");
  const calm = await measure(false);
  progress("cleaning-bomb: with the bomb");
  const attacked = await measure(true);
  progressDone();
  const p99 = (r: Result) => percentile(r.steps, 99);
  printTable({
    title: `13. A zip bomb sent as a document while ${SOURCES} sources answer (PGlite, 3 editor keys)`,
    headers: [
      "run",
      "steps",
      "p50",
      "p99",
      "p99 ratio",
      "peak RSS",
      "bombs stored",
      "p99 goal",
      "RSS goal",
    ],
    rows: [
      [
        "without the bomb",
        String(calm.steps.length),
        ms(percentile(calm.steps, 50)),
        ms(p99(calm)),
        "1.00×",
        mb(calm.peak),
        "0",
        "",
        goal(calm.peak < RSS_GOAL, "< 350 MB"),
      ],
      [
        "with the bomb",
        String(attacked.steps.length),
        ms(percentile(attacked.steps, 50)),
        ms(p99(attacked)),
        ratio(p99(attacked), p99(calm)),
        mb(attacked.peak),
        String(attacked.bombs),
        goal(p99(attacked) <= P99_RATIO_GOAL * p99(calm), "≤ 2×"),
        goal(attacked.peak < RSS_GOAL, "< 350 MB"),
      ],
    ],
    notes: [
      "bomb: a 0.2 MB Word file whose document unpacks to 190 MiB, sent again as soon as the last one is stored (10 at most)",
      "steps: a source's tap or answer → the bot's next question; RSS: the whole process, worker threads included",
    ],
  });
}
