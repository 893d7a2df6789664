// Voice notes through the fake Bot API: disguised by default; "Keep my real voice" (at the first
// recording, or from the review) stores the next ones byte for byte; editors see which.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSubmission } from "../helpers/decrypt.js";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import {
  driveInterview,
  LABELS,
  submitFromReview,
  untilSavedNote,
} from "../helpers/interview-driver.js";
import { decode, encodeVoiceNote, fundamental, vowel } from "../services/voice/speech.js";

const original = encodeVoiceNote(vowel({ seconds: 2, f0: 120, formants: [800, 2400] }));

describe("voice notes, end to end", () => {
  let bot: TestBot;
  const seen = new Set<string>();
  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(() => bot.stop());

  /** The story's recording and its description in the newest submission. */
  const storyRecording = async () => {
    const submissions = await bot.app.repositories.submissions.list();
    const submission = submissions.find((s) => !seen.has(s.id));
    if (!submission) throw new Error("no new submission");
    seen.add(submission.id);
    const parts = await decryptSubmission(
      bot.app.repositories.parts,
      submission.id,
      bot.editorKeys[0] as (typeof bot.editorKeys)[number],
    );
    const part = parts.find((p) => p.questionId === "story" && p.file);
    if (!part?.file) throw new Error("no recording stored for the story");
    return { file: Buffer.from(part.file), meta: JSON.parse(part.text) };
  };

  const atReview = async (user: FakeUser) => {
    await driveInterview(bot.api, user, {
      texts: ["Answer"],
      voice: original,
      language: "en",
      stopAtReview: true,
    });
  };

  /** From the review: answer the story again with the same recording, then back to the review. */
  const redoStoryWithVoice = async (user: FakeUser) => {
    const review = user.botMessages().findLast((m) => hasButton(m, "iv:submit"));
    const redo = review?.reply_markup?.inline_keyboard
      .flat()
      .find((b) => "callback_data" in b && b.callback_data === "iv:redo:story");
    await user.press(redo?.text as string);
    await user.nextBotMessage({ newOnly: true });
    await user.sendVoice(original, { duration: 2 });
    await untilSavedNote(user, LABELS.en.next);
    await user.press(LABELS.en.next);
    await bot.api.waitFor(() => user.botMessages().at(-1)?.text?.includes("Check"));
  };

  it("disguises a voice note by default and tells the source what that means", async () => {
    const user = bot.api.user({ id: 7101, first_name: "A", language_code: "en" });
    await atReview(user);
    const explained = user.botMessages().find((m) => m.text?.includes("A voice can give you away"));
    expect(explained?.text).toContain("Telegram keeps the original recording");
    expect(explained?.text).toContain("typing is the safest");
    expect(hasLabel(explained, "Keep my real voice")).toBe(true);
    const review = user.botMessages().at(-1);
    expect(hasLabel(review, "🎙 Voice in recordings: changed")).toBe(true);
    await submitFromReview(bot.api, user, "en");

    const { file, meta } = await storyRecording();
    expect(meta.voice).toEqual({ disguised: true });
    expect(meta.duration).toBeUndefined(); // Telegram's duration would tell the timing change
    expect(file.equals(Buffer.from(original))).toBe(false);
    const [before, after] = [await decode(original), await decode(file)];
    expect(Math.abs(after.length / before.length - 1)).toBeLessThan(0.1);
    const ratio = fundamental(after) / fundamental(before);
    expect(Math.max(ratio, 1 / ratio)).toBeGreaterThan(1.15);
  });

  it("keeps the real voice byte for byte once the source chooses it from the review", async () => {
    const user = bot.api.user({ id: 7102, first_name: "B", language_code: "en" });
    await atReview(user);
    await user.press("🎙 Voice in recordings: changed");
    await bot.api.waitFor(() =>
      user.botMessages().some((m) => hasLabel(m, "🎙 Voice in recordings: real")),
    );
    await redoStoryWithVoice(user);
    await submitFromReview(bot.api, user, "en");

    const { file, meta } = await storyRecording();
    expect(file.equals(Buffer.from(original))).toBe(true);
    expect(meta.voice).toEqual({ disguised: false, reason: "kept-by-source" });
  });

  it("keeps the real voice after one tap on the note at the first recording", async () => {
    const user = bot.api.user({ id: 7103, first_name: "C", language_code: "en" });
    await atReview(user);
    await user.press("Keep my real voice");
    const confirmed = await bot.api.waitFor(() =>
      user.botMessages().find((m) => m.text?.includes("will keep your real voice")),
    );
    expect(hasLabel(confirmed, "Change my voice again")).toBe(true);
    await redoStoryWithVoice(user);
    await submitFromReview(bot.api, user, "en");
    const kept = await storyRecording();
    expect(kept.file.equals(Buffer.from(original))).toBe(true);
  });

  it("shows the choice made under the note at the review in the review's own button", async () => {
    const user = bot.api.user({ id: 7104, first_name: "D", language_code: "en" });
    await atReview(user);
    await user.press("Keep my real voice");
    // The review the source now sees: the newest one, below the confirmation.
    const review = await bot.api.waitFor(() => {
      const messages = user.botMessages();
      const confirmed = messages.findIndex((m) => m.text?.includes("will keep your real voice"));
      return confirmed < 0
        ? undefined
        : messages.slice(confirmed + 1).findLast((m) => hasButton(m, "iv:submit"));
    });
    expect(hasLabel(review, "🎙 Voice in recordings: real")).toBe(true);
    expect(hasLabel(review, "🎙 Voice in recordings: changed")).toBe(false);
  });
});

type BotMessage = ReturnType<FakeUser["botMessages"]>[number];

function buttonsOf(message: BotMessage | undefined) {
  return message?.reply_markup?.inline_keyboard.flat() ?? [];
}

function hasLabel(message: BotMessage | undefined, label: string): boolean {
  return buttonsOf(message).some((b) => b.text === label);
}

function hasButton(message: BotMessage, data: string): boolean {
  return buttonsOf(message).some((b) => "callback_data" in b && b.callback_data === data);
}
