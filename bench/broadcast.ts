// Issue 6: a broadcast to 10,000 subscribers (two languages) against the fake Bot API limited to
// 30 messages/s, at the default configured rate (25/s): achieved rate as a fraction of the
// configured rate and of the limit, 429s, and CPU and memory during the run.
// BENCH_BROADCAST_SUBSCRIBERS changes the count (10,000 at 25/s takes about 7 minutes).
import { makeTestEditorKeyring } from "../test/helpers/keys.js";
import {
  benchStorage,
  goal,
  mb,
  printTable,
  progress,
  progressDone,
  sleep,
  startInProcessBot,
  startRssSampler,
} from "./lib.js";

const SUBSCRIBERS = Number(process.env.BENCH_BROADCAST_SUBSCRIBERS ?? 10_000);
const LIMIT = 30;
const RATE = 25;

export async function run(): Promise<void> {
  const { keyring } = await makeTestEditorKeyring(1);
  const storage = await benchStorage("pglite");
  const bot = await startInProcessBot({
    storage,
    keyring,
    config: { BROADCAST_RATE_PER_SECOND: RATE },
  });
  const sampler = await startRssSampler(50);
  try {
    progress(`broadcast: ${SUBSCRIBERS} subscribers`);
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const id = 900_000_000 + i;
      const locale = i % 3 === 0 ? "en" : "ru";
      bot.api.user({ id, first_name: `S${i}`, language_code: locale });
      await bot.app.services.subscriptions.subscribe(id, locale);
    }
    bot.api.setRateLimit({ perSecond: LIMIT });
    const statsBefore = bot.api.stats();
    const rssBefore = process.memoryUsage.rss();
    const cpuBefore = process.cpuUsage();
    sampler.start();
    bot.app.broadcastWorker.start();
    const started = performance.now();
    await bot.app.services.broadcasts.start({
      ru: {
        text: "Новые рекомендации: как безопаснее связаться с правозащитниками.",
        entities: [],
      },
      en: { text: "New guidance: how to reach human rights groups more safely.", entities: [] },
    });
    for (;;) {
      const latest = await bot.app.services.broadcasts.latest();
      if (latest && latest.status !== "running") break;
      progress(`broadcast: ${latest?.sent ?? 0}/${SUBSCRIBERS} sent`);
      await sleep(1000);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const { peak } = await sampler.stop();
    progressDone();
    const stats = bot.api.stats();
    const sent = stats.sent - statsBefore.sent;
    const rejected = stats.rateLimited - statsBefore.rateLimited;
    const latest = await bot.app.services.broadcasts.latest();
    const achieved = (latest?.sent ?? 0) / seconds;
    printTable({
      title: `Broadcast: ${SUBSCRIBERS} subscribers, fake Bot API limited to ${LIMIT}/s, configured rate ${RATE}/s (PGlite)`,
      headers: [
        "delivered",
        "time",
        "achieved rate",
        "of configured",
        "of limit",
        "429s",
        "CPU",
        "RSS peak +",
      ],
      rows: [
        [
          `${latest?.sent}/${SUBSCRIBERS}`,
          `${seconds.toFixed(1)} s`,
          `${achieved.toFixed(2)}/s`,
          `${(achieved / RATE).toFixed(3)}`,
          `${(achieved / LIMIT).toFixed(3)}`,
          `${rejected} (of ${sent} sends)`,
          `${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(1)}% of a core`,
          mb(peak - rssBefore),
        ],
      ],
      notes: [
        `goal ≥ 0.95 of the configured rate with no 429 storm: ${goal(achieved / RATE >= 0.95 && rejected < 10, `${(achieved / RATE).toFixed(3)}, ${rejected} 429s`)}`,
        "CPU is this process (bot, worker, database and the fake Bot API together)",
      ],
    });
  } finally {
    await bot.app.broadcastWorker.stop();
    await sampler.close();
    await bot.stop();
    await storage.close();
  }
}
