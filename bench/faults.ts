// 13. Faults. (a) Recovery after the PostgreSQL server was down: a source's answer sent while it
// is stopped; the time from the server being back to the bot's "saved" note, beside the time of
// an answer with the server up. (b) A 429 window (retry_after 1) on every send while 8 sources
// answer: each source's wait from its message to the note, p99 as a ratio to retry_after.

import { openStorage } from "../src/storage/db.js";
import type { FakeUser } from "../test/helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../test/helpers/harness.js";
import {
  privatePostgresUnavailable,
  startPrivatePostgres,
} from "../test/helpers/private-postgres.js";
import { beginInterview, nextQuestion } from "../test/helpers/steps.js";
import { median, ms, percentile, printTable, progress, progressDone, ratio, sleep } from "./lib.js";

const SAVED = /Сообщений: (\d+)/;
const OUTAGE_MS = 3_000;
const RUNS = 3;
const SOURCES = 8;
const PER_SOURCE = 3;

/** Sends a text at the free-text question and resolves with the time until the note counts it. */
async function answer(bot: TestBot, user: FakeUser, text: string, timeoutMs = 120_000) {
  const before = Number(SAVED.exec(user.lastBotMessage()?.text ?? "")?.[1] ?? 0);
  const started = performance.now();
  await user.send(text);
  await bot.api.waitFor(
    () => user.botMessages().some((m) => Number(SAVED.exec(m.text ?? "")?.[1] ?? 0) > before),
    timeoutMs,
    "saved note",
  );
  return performance.now() - started;
}

async function atFreeText(bot: TestBot, id: number): Promise<FakeUser> {
  const user = bot.api.user({ id, first_name: "Источник", language_code: "ru" });
  await beginInterview(user);
  await user.press("Другое");
  await nextQuestion(user, "role_other");
  return user;
}

async function recovery(): Promise<void> {
  const unavailable = privatePostgresUnavailable();
  if (unavailable) {
    console.log(`\nRecovery after a PostgreSQL outage: skipped (${unavailable})`);
    return;
  }
  const pg = await startPrivatePostgres();
  const storage = await openStorage({ databaseUrl: pg.url, maxConnections: 5 });
  const bot = await startTestBot({ storage: { ...storage, url: pg.url, detach: storage.close } });
  try {
    const user = await atFreeText(bot, 9_300_001);
    const healthy: number[] = [];
    const recovered: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      progress(`recovery run ${run + 1}/${RUNS}`);
      healthy.push(await answer(bot, user, `up ${run}`));
      await pg.stopServer();
      const sent = answer(bot, user, `down ${run}`);
      await sleep(OUTAGE_MS);
      await pg.startServer();
      const back = performance.now();
      await sent;
      recovered.push(performance.now() - back);
      await bot.idle(60_000);
    }
    progressDone();
    printTable({
      title: `Recovery after a PostgreSQL outage of ${OUTAGE_MS / 1000} s (pg_ctl stop -m fast … start), ${RUNS} runs`,
      headers: ["measure", "median", "max", "vs an answer with the server up"],
      rows: [
        ["an answer, server up", ms(median(healthy)), ms(Math.max(...healthy)), "1.0×"],
        [
          "server back → the source's note",
          ms(median(recovered)),
          ms(Math.max(...recovered)),
          ratio(median(recovered), median(healthy)),
        ],
      ],
      notes: [
        "the update is retried in process with backoff (0.5 s doubling to 8 s, full jitter): the wait after the server is back is at most the backoff step then reached",
      ],
    });
  } finally {
    await bot.stop();
    await pg.stop();
  }
}

async function storm(): Promise<void> {
  const bot = await startTestBot({ config: { FLOOD_MESSAGES_PER_MINUTE: 1000 } });
  try {
    const users: FakeUser[] = [];
    for (let i = 0; i < SOURCES; i++) users.push(await atFreeText(bot, 9_310_000 + i));
    const calm: number[] = [];
    for (const [i, user] of users.entries()) calm.push(await answer(bot, user, `calm ${i}`));
    progress("429 window");
    const faults = ["sendMessage", "editMessageText"].map((method) =>
      bot.api.injectFault({
        method,
        times: Number.POSITIVE_INFINITY,
        error: {
          error_code: 429,
          description: "Too Many Requests: retry after 1",
          parameters: { retry_after: 1 },
        },
      }),
    );
    setTimeout(() => {
      for (const fault of faults) fault.remove();
    }, 3_000);
    const waits = (
      await Promise.all(
        users.map(async (user, i) => {
          const mine: number[] = [];
          for (let n = 0; n < PER_SOURCE; n++)
            mine.push(await answer(bot, user, `storm ${i} ${n}`));
          return mine;
        }),
      )
    ).flat();
    progressDone();
    printTable({
      title: `A 429 window of 3 s (retry_after 1) on every send: ${SOURCES} sources × ${PER_SOURCE} answers`,
      headers: ["measure", "median", "p99", "p99 / retry_after"],
      rows: [
        ["an answer, no fault", ms(median(calm)), ms(percentile(calm, 99)), "-"],
        [
          "an answer in the window",
          ms(median(waits)),
          ms(percentile(waits, 99)),
          ratio(percentile(waits, 99), 1000),
        ],
      ],
      notes: [
        "a 429 waits what it asks plus up to a quarter more (jitter); an answer in the window waits for every send it makes",
      ],
    });
  } finally {
    await bot.stop();
  }
}

export async function run(): Promise<void> {
  await recovery();
  await storm();
}
