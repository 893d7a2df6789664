// Invariant 11: a disguised voice note's original exists only in the handler's memory. After a
// source sends one, no stored part (decrypted, as editors read it), no file under DATA_DIR, no
// database row and no log line holds a piece of the original recording.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSubmission } from "../helpers/decrypt.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import { dumpDatabase, readTree } from "../helpers/scan.js";
import { encodeVoiceNote, vowel } from "../services/voice/speech.js";

const original = Buffer.from(
  encodeVoiceNote(vowel({ seconds: 2, f0: 110, formants: [700, 2200] })),
);
/** Windows of the original's audio packets (past its headers), as they would appear anywhere. */
const windows = [200, 800, 1600, 3000].map((at) => original.subarray(at, at + 48));

const holdsOriginal = (bytes: Buffer) =>
  windows.some(
    (w) =>
      bytes.includes(w) ||
      bytes.includes(Buffer.from(w.toString("hex"))) ||
      bytes.includes(Buffer.from(w.toString("base64").slice(0, 40))),
  );

describe("a disguised voice leaves no original behind", () => {
  let bot: TestBot;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tb-voice-"));
    bot = await startTestBot({ dataDir });
    const user = bot.api.user({ id: 7420001, first_name: "Source", language_code: "ru" });
    await driveInterview(bot.api, user, { texts: ["Ответ"], voice: original });
  });
  afterAll(async () => {
    await bot.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is in no part the editors decrypt", async () => {
    const [submission] = await bot.app.repositories.submissions.list();
    const parts = await decryptSubmission(
      bot.app.repositories.parts,
      submission?.id as string,
      bot.editorKeys[0] as (typeof bot.editorKeys)[number],
    );
    const recordings = parts.filter((p) => p.file);
    expect(recordings).toHaveLength(1);
    expect(JSON.parse(recordings[0]?.text ?? "{}").voice).toEqual({ disguised: true });
    for (const part of parts) {
      expect(holdsOriginal(Buffer.from(part.text))).toBe(false);
      if (part.file) expect(holdsOriginal(Buffer.from(part.file))).toBe(false);
    }
  });

  it("is in no database row, no file under DATA_DIR and no log line", async () => {
    expect(holdsOriginal(Buffer.from(await dumpDatabase(bot.storage)))).toBe(false);
    for (const file of readTree(dataDir)) expect(holdsOriginal(file.bytes), file.path).toBe(false);
    expect(holdsOriginal(Buffer.from(bot.logs()))).toBe(false);
  });
});
