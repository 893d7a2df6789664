// Sources who each reach the free-text question (role "Другое") and send a burst of messages
// there, then go on to the next question: the load under which the fault tests take the
// database or the Bot API away. And what a fault must not do to them: lose a message, store one
// twice, show an answer twice, or leave a source without one.
import type { Message } from "grammy/types";
import type { FakeBotApi, FakeUser } from "./fake-bot-api.js";
import type { TestBot } from "./harness.js";
import { LABELS } from "./interview-driver.js";
import { decryptAsEditor, partsOf, questionIdOf } from "./steps.js";

const RU = LABELS.ru;

export const burstText = (source: number, n: number) => `Источник ${source}: сообщение ${n}`;

const savedCount = (text: string | undefined) =>
  /Сообщений: (\d+), файлов: (\d+)/
    .exec(text ?? "")
    ?.slice(1)
    .map(Number) ?? [];

export interface BurstOptions {
  sources: number;
  burst: number;
  /** Telegram user ids start here. */
  idBase: number;
  /** How long each step may take (faults make steps slow). */
  stepMs?: number;
  /** The fault, started once this many sources have sent their burst (default: all of them). */
  fault?: () => Promise<void> | void;
  faultAfterBursts?: number;
}

export interface BurstRun {
  users: FakeUser[];
  /** Where each source stopped, when it did not reach the question after the burst. */
  failures: string[];
}

/** Runs the sources side by side; every source's step waits for the bot's answer. */
export async function runBursts(api: FakeBotApi, options: BurstOptions): Promise<BurstRun> {
  const stepMs = options.stepMs ?? 60_000;
  const users = Array.from({ length: options.sources }, (_, i) =>
    api.user({ id: options.idBase + i, first_name: `Источник ${i}`, language_code: "ru" }),
  );
  const at: string[] = users.map(() => "start");
  const question = (user: FakeUser, id: string) =>
    api.waitFor(
      () => user.botMessages().find((m) => questionIdOf(m) === id),
      stepMs,
      `question ${id}`,
    );
  let burstsSent = 0;
  let allSent: () => void = () => {};
  const everyBurstSent = new Promise<void>((resolve) => {
    allSent = resolve;
  });
  const one = async (user: FakeUser, source: number) => {
    try {
      await user.command("start");
      await api.waitFor(
        () => user.botMessages().find((m) => hasButton(m, RU.begin)),
        stepMs,
        "briefing",
      );
      at[source] = "begin";
      await user.press(RU.begin);
      await question(user, "consent");
      at[source] = "consent";
      await user.press(RU.consent);
      await question(user, "role");
      at[source] = "role";
      await user.press("Другое");
      const asked = await question(user, "role_other");
      at[source] = "burst";
      for (let n = 1; n <= options.burst; n++) await user.send(burstText(source, n));
      if (++burstsSent === (options.faultAfterBursts ?? options.sources)) allSent();
      at[source] = "saved note";
      await api.waitFor(
        () =>
          user
            .botMessages()
            .some(
              (m) =>
                m.message_id > asked.message_id &&
                savedCount(m.text).join() === `${options.burst},0`,
            ),
        stepMs,
        "saved note",
      );
      at[source] = "next";
      await user.press(RU.next);
      await api.waitFor(
        () =>
          user
            .botMessages()
            .some((m) => m.message_id > asked.message_id && questionIdOf(m) === "branch"),
        stepMs,
        "the question after the burst",
      );
      at[source] = "done";
    } finally {
      // A source that failed early must not hold the others' fault window open.
      if (at[source] !== "done" && at[source] !== "saved note" && at[source] !== "next") {
        if (++burstsSent === (options.faultAfterBursts ?? options.sources)) allSent();
      }
    }
  };
  const runs = Promise.allSettled(users.map((user, i) => one(user, i)));
  await everyBurstSent;
  await options.fault?.();
  const settled = await runs;
  const failures = settled.flatMap((run, source) =>
    run.status === "rejected" ? [`source ${source} at ${at[source]}: ${String(run.reason)}`] : [],
  );
  return { users, failures };
}

function hasButton(message: Message, label: string): boolean {
  return (message.reply_markup?.inline_keyboard.flat() ?? []).some((b) => b.text === label);
}

/** What each source stored at the free-text question, decrypted as an editor reads it. */
export async function storedBursts(bot: TestBot, users: FakeUser[]): Promise<string[][]> {
  const stored: string[][] = [];
  for (const user of users) {
    const parts = await partsOf(bot, user, "role_other");
    const texts = await Promise.all(parts.map((p) => decryptAsEditor(bot, p.ciphertext)));
    stored.push(texts.sort());
  }
  return stored;
}

/** Bot messages shown to a source more than once (an answer sent twice), by text. */
export function shownTwice(user: FakeUser): string[] {
  const seen = new Map<string, number>();
  for (const message of user.botMessages()) {
    const text = message.text ?? message.caption ?? "";
    seen.set(text, (seen.get(text) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([text]) => text.slice(0, 60));
}
