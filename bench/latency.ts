// 3. Reply latency: 50 simulated sources answer at the same time on the fake Bot API; the time
// from a source's text answer to the bot's next question. Baseline: a bare grammY echo bot (Bot +
// runner + sequentialize) on the same fake API with the same 50 users, in the same run.
import { run as runBot, sequentialize } from "@grammyjs/runner";
import { Bot } from "grammy";
import type { EditorKeyring } from "../src/services/encryption.js";
import { type FakeBotApi, type FakeUser, startFakeBotApi } from "../test/helpers/fake-bot-api.js";
import { makeTestEditorKeyring } from "../test/helpers/keys.js";
import {
  benchStorage,
  type DbKind,
  goal,
  ms,
  nextQuestion,
  percentile,
  postgresAdminUrl,
  printTable,
  progress,
  progressDone,
  RU,
  ratio,
  SKIPPED_NO_POSTGRES,
  startInProcessBot,
  TEST_TOKEN,
  walkTo,
} from "./lib.js";

const USERS = 50;
const ROUNDS = 10;

export interface Measured {
  samples: number[];
  /** CPU time of this process (bot, fake API and sources together) per measured answer. */
  cpuPerAnswer: number;
}

async function timed(work: () => Promise<number[]>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const samples = await work();
  const used = process.cpuUsage(cpu);
  return { samples, cpuPerAnswer: (used.user + used.system) / 1000 / samples.length };
}

function makeUsers(api: FakeBotApi, count: number): FakeUser[] {
  return Array.from({ length: count }, (_, i) =>
    api.user({ id: 710_000 + i, first_name: `Source ${i}`, language_code: "ru" }),
  );
}

/** The echo bot: the least a grammY bot on the runner can do per message. */
export async function measureEcho(users: number, rounds: number): Promise<Measured> {
  const api = await startFakeBotApi({ token: TEST_TOKEN });
  const bot = new Bot(TEST_TOKEN, { botInfo: api.botInfo, client: { apiRoot: api.apiRoot } });
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  bot.on("message:text", (ctx) => ctx.reply(ctx.message.text));
  const runner = runBot(bot, { runner: { fetch: { timeout: 30 } } });
  const samples: number[] = [];
  try {
    const sources = makeUsers(api, users);
    await Promise.all(sources.map((u) => u.send("warm-up").then(() => u.nextBotMessage())));
    return await timed(async () => {
      await Promise.all(
        sources.map(async (user) => {
          for (let round = 0; round < rounds; round++) {
            const sent = performance.now();
            await user.send("2023");
            await user.nextBotMessage({ timeoutMs: 60_000 });
            samples.push(performance.now() - sent);
          }
        }),
      );
      return samples;
    });
  } finally {
    await runner.stop();
    await api.close();
  }
}

/**
 * Our bot: every source stands at the year question; a round is "2023" (measured: encrypt, store,
 * ask the next question) then Back (not measured) to stand there again.
 */
export async function measureOurs(
  kind: DbKind,
  keyring: EditorKeyring,
  users: number,
  rounds: number,
): Promise<Measured> {
  const storage = await benchStorage(kind);
  const bot = await startInProcessBot({
    storage,
    keyring,
    config: { FLOOD_MESSAGES_PER_MINUTE: 1000 },
  });
  const samples: number[] = [];
  try {
    const sources = makeUsers(bot.api, users);
    await Promise.all(sources.map((user) => walkTo(user, "service_year")));
    return await timed(async () => {
      await Promise.all(
        sources.map(async (user) => {
          for (let round = 0; round < rounds; round++) {
            const sent = performance.now();
            await user.send("2023");
            const asked = await nextQuestion(user);
            samples.push(performance.now() - sent);
            if (asked.id !== "service_length") throw new Error(`unexpected question ${asked.id}`);
            await user.press(RU.back);
            await nextQuestion(user);
          }
        }),
      );
      return samples;
    });
  } finally {
    await bot.stop();
    await storage.close();
  }
}

export async function run(): Promise<void> {
  const { keyring } = await makeTestEditorKeyring(3);
  const rows: string[][] = [];
  let missed = false;
  // 50 sources at once (the goal), then one source alone: latency without queueing.
  for (const [users, rounds] of [
    [USERS, ROUNDS],
    [1, 100],
  ] as const) {
    progress(`latency: echo bot, ${users} source(s)`);
    const echo = await measureEcho(users, rounds);
    const echoP50 = percentile(echo.samples, 50);
    const echoP99 = percentile(echo.samples, 99);
    const who = users === 1 ? "1 source alone" : `${users} sources at once`;
    rows.push([
      `${who}: grammY echo bot (baseline)`,
      ms(echoP50),
      ms(echoP99),
      "1.00×",
      "1.00×",
      ms(echo.cpuPerAnswer),
      "",
    ]);
    for (const kind of ["pglite", "postgres"] as DbKind[]) {
      const label = `${who}: testimony bot, ${kind === "pglite" ? "PGlite" : "PostgreSQL"}`;
      if (kind === "postgres" && !postgresAdminUrl()) {
        rows.push([label, SKIPPED_NO_POSTGRES, "", "", "", "", ""]);
        continue;
      }
      progress(`latency: ${label}`);
      const ours = await measureOurs(kind, keyring, users, rounds);
      const p50 = percentile(ours.samples, 50);
      const p99 = percentile(ours.samples, 99);
      const met = p99 <= 2 * echoP99;
      if (users === USERS && !met) missed = true;
      rows.push([
        label,
        ms(p50),
        ms(p99),
        ratio(p50, echoP50),
        ratio(p99, echoP99),
        ms(ours.cpuPerAnswer),
        users === USERS ? goal(met, "p99 ≤ 2× echo") : "(context)",
      ]);
    }
  }
  progressDone();
  printTable({
    title: `3. Reply latency: ${USERS} sources answering at once, ${ROUNDS} answers each (${USERS * ROUNDS} samples); then 1 source, 100 answers`,
    headers: ["bot", "p50", "p99", "p50 ratio", "p99 ratio", "CPU/answer", "goal"],
    rows,
    notes: [
      "answer = a text message (the year question) → the bot's next question message arrives;",
      "our round also has a Back press (not timed); CPU/answer counts it, the echo round has none",
      "bot, fake Bot API and sources share this process (same for the baseline); 3 editor keys",
      ...(missed
        ? [
            "with 50 sources at once the reply waits behind the other sources' work: latency ≈ queue × CPU per answer",
          ]
        : []),
    ],
  });
}
