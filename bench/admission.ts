// 13. Admission before the source-key derivation (src/bot/admission.ts): a crowd of new people
// and a flood of strangers. Baselines in the same run: a bare grammY echo bot (runner +
// sequentialize) under the same burst, and the same sources without the strangers.
// - Derivations at once: how many scrypt derivations (32 MiB, N = 2^15) a second the libuv
//   threadpool gives at 1, 2 and 3 at once, on this machine.
// - Burst: 200 new people send /start at the same instant; time to the first answer. Then all of
//   them press Begin at once: time to the first question (their keys were prefetched meanwhile).
// - Resume: a source with a draft after a restart (key not in memory) presses Begin: how long it
//   waits for the derivation.
// - Strangers: 20 sources go through the interview pausing 1–3 s between steps; once all are in
//   it, 1,000 strangers send one message each. The sources' ordinary steps, with and without.
import { randomBytes, scrypt } from "node:crypto";
import { run as runBot, sequentialize } from "@grammyjs/runner";
import { Bot } from "grammy";
import type { EditorKeyring } from "../src/services/crypto/editor-keys.js";
import { CODENAME_SCRYPT } from "../src/services/submissions/codename.js";
import { type FakeBotApi, type FakeUser, startFakeBotApi } from "../test/helpers/fake-bot-api.js";
import { makeTestEditorKeyring } from "../test/helpers/keys.js";
import {
  benchStorage,
  type DbKind,
  goal,
  ms,
  nextQuestion,
  percentile,
  plainAnswer,
  postgresAdminUrl,
  printTable,
  progress,
  progressDone,
  RU,
  ratio,
  SKIPPED_NO_POSTGRES,
  sleep,
  startInProcessBot,
  TEST_TOKEN,
} from "./lib.js";

const BURST = 200;
const SOURCES = 20;
/** 1,000 by default; BENCH_STRANGERS sets fewer on a machine too busy for a run of minutes. */
const STRANGERS = Number(process.env.BENCH_STRANGERS ?? 1000);
const THINK_MIN = 1000;
const THINK_MAX = 3000;
// Generous: on a busy shared machine 1,000 derivations take minutes.
const TIMEOUT = 1_200_000;
const think = () => sleep(THINK_MIN + Math.random() * (THINK_MAX - THINK_MIN));

const makeUsers = (api: FakeBotApi, count: number, base: number): FakeUser[] =>
  Array.from({ length: count }, (_, i) =>
    api.user({ id: base + i, first_name: `U${i}`, language_code: "ru" }),
  );

/** Times from one instant to each user's first bot message after `action`. */
async function burst(users: FakeUser[], action: (user: FakeUser) => Promise<unknown>) {
  const started = performance.now();
  return Promise.all(
    users.map(async (user) => {
      await action(user);
      await user.nextBotMessage({ newOnly: true, timeoutMs: TIMEOUT });
      return performance.now() - started;
    }),
  );
}

async function derivationsPerSecond(atOnce: number): Promise<number> {
  const { N, r, p, keyLength, maxmem } = CODENAME_SCRYPT;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) =>
      scrypt(`user:${i}`, "salt", keyLength, { N, r, p, maxmem }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  const total = 24;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: atOnce }, async () => {
      while (next < total) await one(next++);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

async function echoBurst(): Promise<number[]> {
  const api = await startFakeBotApi({ token: TEST_TOKEN });
  const bot = new Bot(TEST_TOKEN, { botInfo: api.botInfo, client: { apiRoot: api.apiRoot } });
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  bot.on("message:text", (ctx) => ctx.reply(ctx.message.text));
  const runner = runBot(bot, { runner: { fetch: { timeout: 30 } } });
  try {
    return await burst(makeUsers(api, BURST, 900_000), (user) => user.command("start"));
  } finally {
    await runner.stop();
    await api.close();
  }
}

async function ourBurst(kind: DbKind, keyring: EditorKeyring) {
  const storage = await benchStorage(kind);
  const bot = await startInProcessBot({ storage, keyring, exclusiveStorage: kind === "pglite" });
  try {
    const users = makeUsers(bot.api, BURST, 910_000);
    const start = await burst(users, (user) => user.command("start"));
    const begin = await burst(users, (user) => user.press(RU.begin));
    // Begin shows the first question before the key exists, and stores the draft once it does:
    // wait for every draft, or what is measured next shares the cores with those derivations.
    const deadline = Date.now() + TIMEOUT;
    while ((await bot.app.repositories.drafts.count()) < BURST && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { start, begin };
  } finally {
    await bot.stop();
    await storage.close();
  }
}

/** A source with a draft whose key is not in memory (as after a restart) presses Begin. */
async function resumeWait(kind: DbKind, keyring: EditorKeyring): Promise<number[]> {
  const storage = await benchStorage(kind);
  const exclusiveStorage = kind === "pglite";
  // The same secrets after the restart, or the draft would not be found again.
  const secrets = { pepper: randomBytes(32), serverKey: randomBytes(32) };
  const first = await startInProcessBot({ storage, keyring, exclusiveStorage, secrets });
  const samples: number[] = [];
  try {
    const users = makeUsers(first.api, 5, 920_000);
    for (const user of users) {
      await user.command("start");
      await user.nextBotMessage({ newOnly: true, timeoutMs: TIMEOUT });
      await user.press(RU.begin);
      await nextQuestion(user, TIMEOUT);
      await user.press(RU.consent);
      await nextQuestion(user, TIMEOUT);
    }
    await first.stop();
    const second = await startInProcessBot({ storage, keyring, exclusiveStorage, secrets });
    try {
      for (const id of users.map((user) => user.id)) {
        const user = second.api.user({ id, first_name: "again", language_code: "ru" });
        await user.command("start");
        await user.nextBotMessage({ newOnly: true, timeoutMs: TIMEOUT });
        // Right after the briefing: no time for the prefetch to finish. Begin shows a new
        // interview's first question at once, and takes it back when the key finds the draft:
        // the time is up to the draft's own question (the one after consent).
        const started = performance.now();
        await user.press(RU.begin);
        while ((await nextQuestion(user, TIMEOUT)).id === "consent") {}
        samples.push(performance.now() - started);
      }
    } finally {
      await second.stop();
    }
  } finally {
    await storage.close();
  }
  return samples;
}

/** One source's ordinary steps through the interview up to the review. */
async function oneSource(user: FakeUser, samples: number[], inInterview: () => void) {
  const step = async <T>(action: () => Promise<unknown>, until: () => Promise<T>) => {
    await think();
    const started = performance.now();
    await action();
    const result = await until();
    samples.push(performance.now() - started);
    return result;
  };
  const answer = () => user.nextBotMessage({ newOnly: true, timeoutMs: TIMEOUT });
  await step(() => user.command("start"), answer);
  await step(
    () => user.press(RU.begin),
    () => nextQuestion(user, TIMEOUT),
  );
  inInterview();
  let question = await step(
    () => user.press(RU.consent),
    () => nextQuestion(user, TIMEOUT),
  );
  while (question.id !== "review") {
    question = await step(plainAnswer(user, question), () => nextQuestion(user, TIMEOUT));
  }
}

async function sourcesAmongStrangers(kind: DbKind, keyring: EditorKeyring, strangers: number) {
  const storage = await benchStorage(kind);
  const bot = await startInProcessBot({
    storage,
    keyring,
    exclusiveStorage: kind === "pglite",
    config: { FLOOD_MESSAGES_PER_MINUTE: 1000 },
  });
  const samples: number[] = [];
  let strangersDone = 0;
  let toldToWait = 0;
  let lastAnswer = 0;
  try {
    const sources = makeUsers(bot.api, SOURCES, 930_000);
    const crowd = makeUsers(bot.api, strangers, 940_000);
    let entered = 0;
    let allIn = () => {};
    const everyoneIn = new Promise<void>((resolve) => {
      allIn = resolve;
    });
    const flood = everyoneIn.then(async () => {
      const started = performance.now();
      await Promise.all(
        crowd.map(async (user) => {
          await user.send("здравствуйте");
          let answer = await user.nextBotMessage({ newOnly: true, timeoutMs: TIMEOUT });
          if (answer.text?.includes("пишет очень много людей")) {
            toldToWait++;
            answer = await user.nextBotMessage({ newOnly: true, timeoutMs: TIMEOUT });
          }
          strangersDone++;
          lastAnswer = performance.now() - started;
        }),
      );
    });
    await Promise.all(
      sources.map((user) =>
        oneSource(user, samples, () => {
          if (++entered === SOURCES) allIn();
        }),
      ),
    );
    if (strangers > 0) await flood;
    return { samples, strangersDone, toldToWait, lastAnswer };
  } finally {
    await bot.stop();
    await storage.close();
  }
}

export async function run(): Promise<void> {
  const { keyring } = await makeTestEditorKeyring(3);

  progress("admission: derivations a second");
  const throughput = [1, 2, 3].map((n) => [n, 0] as [number, number]);
  for (const entry of throughput) entry[1] = await derivationsPerSecond(entry[0]);
  printTable({
    title: "13a. Source-key derivations (scrypt, 32 MiB) on libuv's threadpool",
    headers: ["at once", "derivations / s", "vs one at a time"],
    rows: throughput.map(([n, perSecond]) => [
      String(n),
      perSecond.toFixed(1),
      ratio(perSecond, throughput[0]?.[1] ?? Number.NaN),
    ]),
    notes: ["the bot runs derivationConcurrency() at once: one per core, at most threadpool − 2"],
  });

  progress("admission: echo bot burst");
  const echo = await echoBurst();
  const echoP99 = percentile(echo, 99);
  const kinds = (["pglite", "postgres"] as DbKind[]).filter(
    (kind) => kind === "pglite" || postgresAdminUrl(),
  );
  const skipped = kinds.length === 1;
  const burstRows: string[][] = [
    ["grammY echo bot (baseline)", "/start", ms(percentile(echo, 50)), ms(echoP99), "1.00×", ""],
  ];
  for (const kind of kinds) {
    const label = kind === "pglite" ? "PGlite" : "PostgreSQL";
    progress(`admission: burst of ${BURST}, ${label}`);
    const ours = await ourBurst(kind, keyring);
    const p99 = percentile(ours.start, 99);
    burstRows.push([
      label,
      "/start → briefing",
      ms(percentile(ours.start, 50)),
      ms(p99),
      ratio(p99, echoP99),
      goal(p99 <= 5 * echoP99, "p99 ≤ 5× echo"),
    ]);
    burstRows.push([
      label,
      "then Begin, all at once → first question",
      ms(percentile(ours.begin, 50)),
      ms(percentile(ours.begin, 99)),
      ratio(percentile(ours.begin, 99), echoP99),
      "(context)",
    ]);
    progress(`admission: resuming after a restart, ${label}`);
    const resume = await resumeWait(kind, keyring);
    burstRows.push([
      label,
      "resume after restart: Begin → its question",
      ms(percentile(resume, 50)),
      ms(percentile(resume, 99)),
      "",
      "(waits for one derivation)",
    ]);
  }
  if (skipped) burstRows.push(["PostgreSQL", SKIPPED_NO_POSTGRES, "", "", "", ""]);
  progressDone();
  printTable({
    title: `13b. A burst of ${BURST} new people at the same instant`,
    headers: ["bot", "what", "p50", "p99", "p99 vs echo", "goal"],
    rows: burstRows,
    notes: [
      "time from the burst's instant to each person's answer; the echo bot gets the same burst",
      "Begin: the keys were prefetched while the briefings went out (the Begin burst follows the last briefing)",
    ],
  });

  const strangerRows: string[][] = [];
  for (const kind of kinds) {
    const label = kind === "pglite" ? "PGlite" : "PostgreSQL";
    progress(`admission: ${SOURCES} sources alone, ${label}`);
    const alone = await sourcesAmongStrangers(kind, keyring, 0);
    progress(`admission: ${SOURCES} sources and ${STRANGERS} strangers, ${label}`);
    const crowded = await sourcesAmongStrangers(kind, keyring, STRANGERS);
    const aloneP99 = percentile(alone.samples, 99);
    const crowdedP99 = percentile(crowded.samples, 99);
    strangerRows.push([
      label,
      `${SOURCES} sources alone`,
      ms(percentile(alone.samples, 50)),
      ms(aloneP99),
      "1.00×",
      "",
      "",
    ]);
    strangerRows.push([
      label,
      `${SOURCES} sources + ${STRANGERS} strangers`,
      ms(percentile(crowded.samples, 50)),
      ms(crowdedP99),
      ratio(crowdedP99, aloneP99),
      goal(crowdedP99 <= 2 * aloneP99, "p99 ≤ 2× alone"),
      `${crowded.strangersDone}/${STRANGERS} answered (${crowded.toldToWait} told to wait), last after ${ms(crowded.lastAnswer)}`,
    ]);
  }
  if (skipped) strangerRows.push(["PostgreSQL", SKIPPED_NO_POSTGRES, "", "", "", "", ""]);
  progressDone();
  printTable({
    title: `13c. ${SOURCES} sources answering (pausing ${THINK_MIN}–${THINK_MAX} ms) while ${STRANGERS} strangers write once each`,
    headers: ["bot", "run", "p50", "p99", "p99 vs alone", "goal", "strangers"],
    rows: strangerRows,
    notes: [
      "ordinary steps of the sources (/start, Begin, consent, every question up to the review)",
      "the strangers write all at once, as soon as every source is in the interview",
    ],
  });
}
