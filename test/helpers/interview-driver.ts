// Walks a simulated source through the interview, answering each question by its type.
import type { Message } from "grammy/types";
import {
  DEFAULT_QUESTIONNAIRE_PATH,
  getQuestion,
  loadQuestionnaire,
  type Question,
} from "../../src/services/interview/questionnaire.js";
import type { FakeBotApi, FakeUser } from "./fake-bot-api.js";

export interface DriveOptions {
  /** Answers for text questions, used in turn. */
  texts: string[];
  /** Bytes sent as a document on media questions (skipped when absent). */
  file?: Uint8Array;
  /** Bytes sent as a voice message (audio/ogg) instead of text on text-or-media questions. */
  voice?: Uint8Array;
  language?: "ru" | "en";
  /** Leave the interview in progress after this many questions. */
  stopAfter?: number;
  /** Stop at the review, without pressing Send (the caller sends: see submitFromReview). */
  stopAtReview?: boolean;
  /** Turn on "tell me here when editors reply" at the review. */
  notifyReplies?: boolean;
}

export const LABELS = {
  ru: {
    begin: "Начать рассказ",
    consent: "Да, начнём",
    next: "Дальше →",
    skip: "Пропустить",
    submit: "Отправить редакции",
    codename: "Ваша кодовая фраза",
  },
  en: {
    begin: "Begin my testimony",
    consent: "Yes, start",
    next: "Next →",
    skip: "Skip",
    submit: "Send to the editors",
    codename: "Your codename",
  },
};

const questionnaire = loadQuestionnaire(DEFAULT_QUESTIONNAIRE_PATH);

/** The question a bot message asks, read from its buttons' callback data. */
function questionOf(message: Message): Question | "review" | undefined {
  for (const button of message.reply_markup?.inline_keyboard.flat() ?? []) {
    if (!("callback_data" in button)) continue;
    if (button.callback_data === "iv:submit") return "review";
    const id = /^iv:(?:a|t|back|skip|next):(\w+)/.exec(button.callback_data)?.[1];
    if (id) return getQuestion(questionnaire, id);
  }
  return undefined;
}

/** Returns the codename when the testimony was submitted, undefined when stopped early. */
export async function driveInterview(
  api: FakeBotApi,
  user: FakeUser,
  options: DriveOptions,
): Promise<string | undefined> {
  const labels = LABELS[options.language ?? "ru"];
  await user.command("start");
  await user.nextBotMessage({ timeoutMs: 20_000 });
  await user.press(labels.begin);
  await user.nextBotMessage({ timeoutMs: 20_000 });
  // The first answer waits for the source key's memory-hard derivation if Begin came before it
  // (prefetched after /start, a few at a time): a burst of new sources queues there.
  await user.press(labels.consent);
  let textIndex = 0;
  let asked = 0;
  for (let first = true; ; first = false) {
    const message = await user.nextBotMessage(first ? { timeoutMs: 20_000 } : {});
    const question = questionOf(message);
    if (!question) continue; // e.g. the warning before the media question
    if (question === "review") break;
    if (options.stopAfter !== undefined && asked++ >= options.stopAfter) return undefined;
    const firstOption = message.reply_markup?.inline_keyboard
      .flat()
      .find((b) => "callback_data" in b && b.callback_data.startsWith("iv:a:"));
    if (firstOption) {
      await user.press(firstOption.text);
    } else if (question.type === "year") {
      await user.send("2023");
    } else if (question.type === "text_or_media" && options.voice) {
      await user.sendVoice(options.voice, { duration: 3 });
      await untilSavedNote(user, labels.next);
      await user.press(labels.next);
    } else if (question.type === "text" || question.type === "text_or_media") {
      await user.send(options.texts[textIndex++ % options.texts.length] as string);
      await user.nextBotMessage();
      await user.press(labels.next);
    } else if (question.type === "media" && options.file) {
      await user.sendDocument(options.file, { file_name: "evidence.bin" });
      await user.nextBotMessage();
      await user.press(labels.next);
    } else {
      await user.press(labels.skip);
    }
  }
  if (options.notifyReplies) {
    await user.press(/Сообщить об ответе: нет|Tell me about a reply: no/);
    await api.waitFor(() =>
      user
        .botMessages()
        .some((m) =>
          m.reply_markup?.inline_keyboard.flat().some((b) => /: да$|: yes$/.test(b.text)),
        ),
    );
  }
  if (options.stopAtReview) return undefined;
  return submitFromReview(api, user, options.language);
}

/** Presses Send at the review; returns the codename the bot shows. */
export async function submitFromReview(
  api: FakeBotApi,
  user: FakeUser,
  language: "ru" | "en" = "ru",
  // A submit derives two slow keys and scrubs the draft's table before it answers.
  timeoutMs = 15_000,
): Promise<string | undefined> {
  const labels = LABELS[language];
  await user.press(labels.submit);
  const receipt = await api.waitFor(
    () => user.botMessages().find((m) => m.text?.includes(labels.codename)),
    timeoutMs,
    "codename",
  );
  return receipt.text?.split("\n")[2]?.trim();
}

/**
 * After a recording: what happened to the voice comes first, then the note with its Next button
 * (disguising runs in a worker: slower than a text on a busy machine).
 */
export async function untilSavedNote(user: FakeUser, nextLabel: string): Promise<void> {
  for (;;) {
    const message = await user.nextBotMessage({ newOnly: true, timeoutMs: 30_000 });
    const buttons = message.reply_markup?.inline_keyboard.flat() ?? [];
    if (buttons.some((b) => b.text === nextLabel)) return;
  }
}
