// Small steps shared by the bad-input, codename, wipe and limits tests: reaching a question
// quickly, reading what is stored for a source, decrypting it as an editor would.
import type { CallbackQuery, Message } from "grammy/types";
import {
  decryptPartWithUnlockedKey,
  decryptWithPrivateKey,
  unlockPrivateKey,
} from "../../src/services/crypto/decrypt.js";
import { decodePaddedText } from "../../src/services/crypto/padding.js";
import type { Draft } from "../../src/services/interview/draft-store.js";
import { deriveSourceKey } from "../../src/services/sources/keys.js";
import type { PartRow } from "../../src/storage/parts.repo.js";
import type { FakeUser } from "./fake-bot-api.js";
import type { TestBot } from "./harness.js";

/** The question a bot message asks, read from its buttons ("review" for the review). */
export function questionIdOf(message: Message): string | undefined {
  for (const button of message.reply_markup?.inline_keyboard.flat() ?? []) {
    if (!("callback_data" in button)) continue;
    if (button.callback_data === "iv:submit") return "review";
    const id = /^iv:(?:a|t|back|skip|next):(\w+)/.exec(button.callback_data)?.[1];
    if (id) return id;
  }
  return undefined;
}

/** /start → "Начать рассказ" → consent "Да, начнём"; returns the role question. */
export async function beginInterview(user: FakeUser, language: "ru" | "en" = "ru") {
  await user.command("start");
  await user.nextBotMessage({ newOnly: true });
  await user.press(language === "ru" ? "Начать рассказ" : "Begin my testimony");
  await user.nextBotMessage({ newOnly: true });
  await user.press(language === "ru" ? "Да, начнём" : "Yes, start");
  // May wait for the source key's derivation (Begin shows the consent before it).
  return user.nextBotMessage({ newOnly: true, timeoutMs: 20_000 });
}

/** Waits for the next new bot message that asks `questionId`, skipping notes in between. */
export async function nextQuestion(user: FakeUser, questionId: string): Promise<Message> {
  for (;;) {
    const message = await user.nextBotMessage({ newOnly: true });
    if (questionIdOf(message) === questionId) return message;
  }
}

export async function draftOf(bot: TestBot, user: FakeUser): Promise<Draft> {
  await bot.idle();
  const draft = await bot.app.services.interview.find(user.id);
  if (!draft) throw new Error(`user ${user.id} has no draft`);
  return draft;
}

/** Polls the stored draft until `predicate` holds (the bot saves after it sends a question). */
export async function waitForDraft(
  bot: TestBot,
  user: FakeUser,
  predicate: (draft: Draft) => boolean,
  timeoutMs = 5000,
): Promise<Draft> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const draft = await bot.app.services.interview.find(user.id);
    if (draft && predicate(draft)) return draft;
    if (Date.now() > deadline) throw new Error(`draft of ${user.id} not as expected in time`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // polls the database
  }
}

/**
 * The draft once the bot is done with it: no update waiting and no handler running (the draft
 * session saves right after the bot answers, so an answer alone does not mean "saved").
 */
export async function settledDraft(bot: TestBot, user: FakeUser): Promise<Draft> {
  return draftOf(bot, user);
}

/**
 * Moves an existing draft to `questionId` (as a restart at that position would leave it) and
 * resumes with /start; returns the question message.
 */
export async function jumpTo(bot: TestBot, user: FakeUser, questionId: string): Promise<Message> {
  const draft = await settledDraft(bot, user);
  draft.position = questionId;
  await bot.app.services.interview.save(user.id, draft);
  await user.command("start");
  return nextQuestion(user, questionId);
}

/** The stored parts of the user's draft, optionally of one question only. */
export async function partsOf(
  bot: TestBot,
  user: FakeUser,
  questionId?: string,
): Promise<PartRow[]> {
  const stored = await bot.app.repositories.parts.listForDraft((await draftOf(bot, user)).id);
  // At rest an answer names neither its question nor its kind: read them as an editor would.
  const key = bot.editorKeys[0];
  if (!key) throw new Error("no editor key");
  const unlocked = await unlockPrivateKey(key.armoredPrivateKey, key.passphrase);
  const rows: PartRow[] = [];
  for (const row of stored) {
    if (row.questionId !== null) throw new Error("an answer's question id is stored in plaintext");
    const { label } = await decryptPartWithUnlockedKey(unlocked, row.ciphertext);
    rows.push({ ...row, questionId: label?.questionId ?? null, kind: label?.kind ?? row.kind });
  }
  return questionId === undefined ? rows : rows.filter((row) => row.questionId === questionId);
}

/** Parts in a comparable form: question, kind and id (no ciphertext to print on failure). */
export const partKeys = (rows: PartRow[]) => rows.map((r) => `${r.questionId}:${r.kind}:${r.id}`);

/** Decrypts one stored ciphertext with the first editor's private key (text answers unpadded). */
export async function decryptAsEditor(bot: TestBot, ciphertext: Uint8Array): Promise<string> {
  const key = bot.editorKeys[0];
  if (!key) throw new Error("no editor key");
  const bytes = await decryptWithPrivateKey(
    { armoredPrivateKey: key.armoredPrivateKey, passphrase: key.passphrase },
    ciphertext,
  );
  return decodePaddedText(bytes);
}

/** The alert (or silent answer) the bot gave to a button press. */
export async function callbackAnswer(bot: TestBot, query: CallbackQuery) {
  return bot.api.waitFor(() => bot.api.callbackAnswer(query.id), 5000, "callback answer");
}

/** The texts of the visible chat, oldest first. */
export const visibleTexts = (user: FakeUser) =>
  user.chat().map((m) => m.text ?? m.caption ?? "<media>");

/**
 * Another update of this source holding its lock (here, or on another instance): resolves once
 * the lock is taken; `release()` lets it go and resolves when it is free again.
 */
export async function holdSourceLock(
  bot: TestBot,
  user: FakeUser,
): Promise<{ release(): Promise<void> }> {
  const key = (await deriveSourceKey(bot.secrets.pepper, user.id)).lockKey;
  let letGo = () => {};
  const held = new Promise<void>((done) => {
    letGo = done;
  });
  let taken = () => {};
  const lockTaken = new Promise<void>((done) => {
    taken = done;
  });
  const holder = bot.app.services.sourceLocks.withLock(key, async () => {
    taken();
    await held;
  });
  await lockTaken;
  return {
    async release() {
      letGo();
      await holder;
    },
  };
}
