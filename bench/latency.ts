// 3. Reply latency by step kind: 50 simulated sources go through the whole interview at once,
// pausing between steps like people do (paced), then send it, type the codename back (the
// receipt check) and come back with it (/codename). Every step is timed from the source's action
// to the bot's answer and counted by kind: ordinary steps (briefing, buttons, answers, the
// review), submit (Send → codename shown), the receipt check, the codename login. Baseline: a bare
// grammY echo bot (Bot + runner + sequentialize) on the same fake API, with the same 50 sources
// sending as many messages at the same pace, in the same run.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { run as runBot, sequentialize } from "@grammyjs/runner";
import { Bot } from "grammy";
import type { Message } from "grammy/types";
import type { EditorKeyring } from "../src/services/crypto/editor-keys.js";
import { type FakeBotApi, type FakeUser, startFakeBotApi } from "../test/helpers/fake-bot-api.js";
import { makeTestEditorKeyring } from "../test/helpers/keys.js";
import {
  benchStorage,
  type DbKind,
  goal,
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
  sleep,
  startInProcessBot,
  TEST_TOKEN,
} from "./lib.js";

const USERS = 50;
/** Pause between a source's steps, uniform in [THINK_MIN, THINK_MAX] ms: people read, then tap. */
const THINK_MIN = 1000;
const THINK_MAX = 3000;
/** Messages per source for the echo baseline (about as many steps as an interview has). */
const ECHO_STEPS = 16;
const TIMEOUT = 120_000;
/** Sources measured one after another (no queueing: what each step costs by itself). */
const ALONE = 5;

const KINDS = ["ordinary", "submit", "check", "login"] as const;
type Kind = (typeof KINDS)[number];
/**
 * The ordinary steps again, in two parts: Begin and the answer to the first question, which
 * may wait for the source's key in a crowd (Begin shows the question at once, the answer waits
 * until the draft is stored), and all the others.
 */
type Samples = Record<Kind, number[]> & { keyWait: number[]; rest: number[] };

const KIND_LABEL: Record<Kind, string> = {
  ordinary: "ordinary steps",
  submit: "submit (Send → codename)",
  check: "receipt check (codename typed back)",
  login: "codename login (/codename → status)",
};

/** One source alone has nobody to wait for: a short pause keeps that part of the run short. */
const ALONE_THINK_MS = 50;
let aloneNow = false;
const think = () =>
  sleep(aloneNow ? ALONE_THINK_MS : THINK_MIN + Math.random() * (THINK_MAX - THINK_MIN));

function makeUsers(api: FakeBotApi, count: number): FakeUser[] {
  return Array.from({ length: count }, (_, i) =>
    api.user({ id: 710_000 + i, first_name: `Source ${i}`, language_code: "ru" }),
  );
}

/** The paced echo bot: the least a grammY bot on the runner can do per message. */
async function measureEcho(users: number): Promise<number[]> {
  const api = await startFakeBotApi({ token: TEST_TOKEN });
  const bot = new Bot(TEST_TOKEN, { botInfo: api.botInfo, client: { apiRoot: api.apiRoot } });
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  bot.on("message:text", (ctx) => ctx.reply(ctx.message.text));
  const runner = runBot(bot, { runner: { fetch: { timeout: 30 } } });
  const samples: number[] = [];
  try {
    const sources = makeUsers(api, users);
    await Promise.all(
      sources.map(async (user) => {
        for (let step = 0; step < ECHO_STEPS; step++) {
          await think();
          const sent = performance.now();
          await user.send("2023");
          await user.nextBotMessage({ newOnly: true, timeoutMs: TIMEOUT });
          samples.push(performance.now() - sent);
        }
      }),
    );
    return samples;
  } finally {
    await runner.stop();
    await api.close();
  }
}

/** Times `action` up to the bot's next new message (or `until`), as a sample of `kind`. */
async function step<T = Message>(
  samples: Samples,
  kind: Kind,
  user: FakeUser,
  action: () => Promise<unknown>,
  until?: () => Promise<T>,
  mayWaitForKey = false,
): Promise<T> {
  await think();
  const started = performance.now();
  await action();
  const answer = until
    ? await until()
    : ((await user.nextBotMessage({ newOnly: true, timeoutMs: TIMEOUT })) as T);
  const elapsed = performance.now() - started;
  samples[kind].push(elapsed);
  if (kind === "ordinary") (mayWaitForKey ? samples.keyWait : samples.rest).push(elapsed);
  return answer;
}

/** Waits for the next bot message that asks a question (skipping notes such as warnings). */
async function asked(user: FakeUser): Promise<{ id: string; message: Message }> {
  for (;;) {
    const message = await user.nextBotMessage({ newOnly: true, timeoutMs: TIMEOUT });
    const id = questionIdOf(message);
    if (id) return { id, message };
  }
}

/** One source through the whole interview, the receipt check and a codename login. */
async function oneSource(api: FakeBotApi, user: FakeUser, samples: Samples): Promise<void> {
  await step(samples, "ordinary", user, () => user.command("start"));
  await step(
    samples,
    "ordinary",
    user,
    () => user.press(RU.begin),
    () => asked(user),
    true,
  );
  let question = await step(
    samples,
    "ordinary",
    user,
    () => user.press(RU.consent),
    () => asked(user),
    true,
  );
  while (question.id !== "review") {
    const answer = plainAnswer(user, question);
    question = await step(samples, "ordinary", user, answer, () => asked(user));
  }

  const receipt = await step(
    samples,
    "submit",
    user,
    () => user.press("Отправить редакции"),
    () =>
      api.waitFor(
        () => user.botMessages().find((m) => m.text?.includes("Ваша кодовая фраза")),
        TIMEOUT,
        "codename",
      ),
  );
  const codename = receipt.text?.split("\n")[2]?.trim() as string;

  await step(samples, "ordinary", user, () => user.press("Записал(а), удалить"));
  await step(
    samples,
    "check",
    user,
    () => user.send(codename),
    () =>
      api.waitFor(
        () => user.chat().some((m) => m.text?.includes("Кодовая фраза записана верно")),
        TIMEOUT,
        "receipt check",
      ),
  );

  await step(samples, "ordinary", user, () => user.command("codename"));
  await step(samples, "login", user, () => user.send(codename));
  await user.press("Готово, удалить переписку");
}

/** `users` sources at once, or (alone) one after another: service time without queueing. */
async function measureOurs(kind: DbKind, keyring: EditorKeyring, users: number, alone = false) {
  const storage = await benchStorage(kind);
  const bot = await startInProcessBot({
    storage,
    keyring,
    config: { FLOOD_MESSAGES_PER_MINUTE: 1000 },
  });
  const samples: Samples = {
    ordinary: [],
    submit: [],
    check: [],
    login: [],
    keyWait: [],
    rest: [],
  };
  // How long the event loop was held at a time: everything in this process (the sources too)
  // waits behind work done on it, so its p99 bounds the steps' p99 from below.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  try {
    const sources = makeUsers(bot.api, users);
    aloneNow = alone;
    if (alone) for (const user of sources) await oneSource(bot.api, user, samples);
    else await Promise.all(sources.map((user) => oneSource(bot.api, user, samples)));
    loop.disable();
    return { samples, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
  } finally {
    loop.disable();
    aloneNow = false;
    await bot.stop();
    await storage.close();
  }
}

const SUBMIT_GOAL_MS = 1500;

export async function run(): Promise<void> {
  const { keyring } = await makeTestEditorKeyring(3);
  progress("latency: paced echo bot");
  const echo = await measureEcho(USERS);
  const echoP50 = percentile(echo, 50);
  const echoP99 = percentile(echo, 99);
  const rows: string[][] = [
    [
      "paced grammY echo bot (baseline)",
      "",
      String(echo.length),
      ms(echoP50),
      ms(echoP99),
      "1.00×",
      "1.00×",
      "",
    ],
  ];
  const loopNotes: string[] = [];
  for (const kind of ["pglite", "postgres"] as DbKind[]) {
    const label = kind === "pglite" ? "PGlite" : "PostgreSQL";
    if (kind === "postgres" && !postgresAdminUrl()) {
      rows.push([label, SKIPPED_NO_POSTGRES, "", "", "", "", "", ""]);
      continue;
    }
    progress(`latency: testimony bot, ${label}`);
    const { samples, loopP99, loopMax } = await measureOurs(kind, keyring, USERS);
    loopNotes.push(
      `${label}: the event loop was held up to ${ms(loopMax)} at a time (p99 of its delay ${ms(loopP99)})`,
    );
    progress(`latency: testimony bot, ${label}, one source at a time`);
    const { samples: alone } = await measureOurs(kind, keyring, ALONE, true);
    /** One table row: the samples' p50 and p99, and both against the echo bot's. */
    const row = (bot: string, what: string, values: number[], verdict: string) => [
      bot,
      what,
      String(values.length),
      ms(percentile(values, 50)),
      ms(percentile(values, 99)),
      ratio(percentile(values, 50), echoP50),
      ratio(percentile(values, 99), echoP99),
      verdict,
    ];
    for (const stepKind of KINDS) {
      rows.push(
        row(
          `${label}, ${ALONE} sources one at a time`,
          KIND_LABEL[stepKind],
          alone[stepKind],
          "(context: no queue)",
        ),
      );
    }
    for (const stepKind of KINDS) {
      const values = samples[stepKind];
      const p50 = percentile(values, 50);
      const p99 = percentile(values, 99);
      const verdict =
        stepKind === "ordinary"
          ? goal(p99 <= 5 * echoP99 && p50 <= 10 * echoP50, "p99 ≤ 5× echo, p50 ≤ 10× echo")
          : goal(p99 <= SUBMIT_GOAL_MS, "p99 ≤ 1.5 s");
      rows.push(row(label, KIND_LABEL[stepKind], values, verdict));
      if (stepKind !== "ordinary") continue;
      // Where the ordinary steps' tail comes from: the first steps wait for the source's key,
      // derived for 50 people who all arrived at the same instant.
      rows.push(row(label, "  of which Begin and the first answer", samples.keyWait, "(context)"));
      rows.push(row(label, "  of which all the others", samples.rest, "(context)"));
    }
  }
  progressDone();
  printTable({
    title: `3. Reply latency by step kind: ${USERS} sources at once, each pausing ${THINK_MIN}–${THINK_MAX} ms between steps`,
    headers: ["bot", "step kind", "samples", "p50", "p99", "p50 vs echo", "p99 vs echo", "goal"],
    rows,
    notes: [
      "each source: /start → briefing → consent → every question (first option, 2023, or Skip) → review →",
      "Send → 'written down' → the codename typed back → /codename → the codename → Done",
      "step = the source's action → the bot's answer (a new message, or the ✓ edit for the check)",
      `echo: the same ${USERS} sources send ${ECHO_STEPS} messages each at the same pace`,
      "bot, fake Bot API and sources share this process (same for the baseline); 3 editor keys",
      ...loopNotes,
    ],
  });
}
