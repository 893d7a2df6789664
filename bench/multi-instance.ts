// 12. Several instances on one PostgreSQL (issue 17): the same sources walk the interview
// through one, two and three instances of the service behind a round-robin proxy, with Telegram
// posting over several connections at once (test/helpers/cluster.ts). Printed: throughput of
// ordinary steps and their p99, as ratios to one instance. No think time: the sources keep the
// instances busy, so throughput is what they can serve.
//
// The instances run in this process (one event loop, one libuv pool): the figures show what the
// cross-instance coordination (per-source lock, shared limits) costs, not how CPU scales with
// processes; on a multi-core server separate processes add their cores on top.
import type { Message } from "grammy/types";
import type { FakeUser } from "../test/helpers/fake-bot-api.js";
import {
  ms,
  percentile,
  plainAnswer,
  postgresAdminUrl,
  printTable,
  progress,
  progressDone,
  questionIdOf,
  RU,
  ratio,
  SKIPPED_NO_POSTGRES,
} from "./lib.js";

const SOURCES = 12;
const INSTANCES = [1, 2, 3];
const STEP_TIMEOUT = 60_000;

interface Result {
  instances: number;
  samples: number[];
  seconds: number;
  /** Sources whose interview stopped: a step never answered (an update lost or misread). */
  stalled: number;
}

/** The next bot message asking a question (notes and warnings skipped). */
async function asked(user: FakeUser): Promise<{ id: string; message: Message }> {
  for (;;) {
    const message = await user.nextBotMessage({ newOnly: true, timeoutMs: STEP_TIMEOUT });
    const id = questionIdOf(message);
    if (id) return { id, message };
  }
}

/** One source from /start to the review; every step timed from the action to the answer. */
async function walk(user: FakeUser, samples: number[]): Promise<void> {
  const timed = async <T>(action: () => Promise<unknown>, answer: () => Promise<T>) => {
    const started = performance.now();
    await action();
    const result = await answer();
    samples.push(performance.now() - started);
    return result;
  };
  await timed(
    () => user.command("start"),
    () => user.nextBotMessage({ newOnly: true, timeoutMs: STEP_TIMEOUT }),
  );
  await timed(
    () => user.press(RU.begin),
    () => asked(user),
  );
  let question = await timed(
    () => user.press(RU.consent),
    () => asked(user),
  );
  while (question.id !== "review") {
    question = await timed(plainAnswer(user, question), () => asked(user));
  }
}

async function measure(instances: number): Promise<Result> {
  const { startCluster } = await import("../test/helpers/cluster.js");
  const cluster = await startCluster({
    instances,
    env: { LOG_LEVEL: "info", FLOOD_MESSAGES_PER_MINUTE: "1000" },
  });
  try {
    const users = Array.from({ length: SOURCES }, (_, i) =>
      cluster.api.user({ id: 730_000 + i, first_name: `Source ${i}`, language_code: "ru" }),
    );
    const samples: number[] = [];
    const started = performance.now();
    const runs = await Promise.allSettled(users.map((user) => walk(user, samples)));
    const seconds = (performance.now() - started) / 1000;
    return {
      instances,
      samples,
      seconds,
      stalled: runs.filter((r) => r.status === "rejected").length,
    };
  } finally {
    await cluster.stop();
  }
}

export async function run(): Promise<void> {
  const admin = postgresAdminUrl();
  const title = `12. Several instances on one PostgreSQL: ${SOURCES} sources at once, no pauses, to the review`;
  if (!admin) {
    console.log(`\n${title}\n  ${SKIPPED_NO_POSTGRES}`);
    return;
  }
  // The cluster makes its database the way the tests do.
  process.env.TEST_DATABASE_URL ??= admin;
  const results: Result[] = [];
  for (const instances of INSTANCES) {
    progress(`multi-instance: ${instances} instance(s)`);
    results.push(await measure(instances));
  }
  progressDone();
  const base = results[0] as Result;
  const throughput = (r: Result) => r.samples.length / r.seconds;
  printTable({
    title,
    headers: [
      "instances",
      "steps",
      "stalled sources",
      "steps/s",
      "p50",
      "p99",
      "steps/s vs 1",
      "p99 vs 1",
    ],
    rows: results.map((r) => [
      String(r.instances),
      String(r.samples.length),
      String(r.stalled),
      throughput(r).toFixed(1),
      ms(percentile(r.samples, 50)),
      ms(percentile(r.samples, 99)),
      ratio(throughput(r), throughput(base)),
      ratio(percentile(r.samples, 99), percentile(base.samples, 99)),
    ]),
    notes: [
      "each source: /start → briefing → consent → every question (first option, 2023, or Skip) → review",
      "instances: startService in webhook mode, own pools and memory, the same secrets, one database;",
      "a round-robin proxy in front; the fake Bot API posts over 10 connections at once (max_connections)",
      "all instances share this process: ratios show the coordination's cost, not multi-core scaling",
      "stalled: a step not answered within 60 s (a lost or misread update, or a machine far too busy)",
    ],
  });
}
