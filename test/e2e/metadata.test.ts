// Hidden data in files (GPS, camera serials, authors): a source sends files as documents through
// the fake Bot API; at the materials question they are stored without it and still open, at the
// originals question they are stored byte for byte. Files that do not parse are kept as sent.
// Nothing under the temp directory or DATA_DIR holds a planted value, during or after upload.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFDocument } from "@cantoo/pdf-lib";
import type { Message } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttachmentMeta } from "../../src/services/interview/attachments.js";
import { type DecryptedPart, decryptSubmission } from "../helpers/decrypt.js";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { LABELS } from "../helpers/interview-driver.js";
import {
  docxText,
  docxWithMetadata,
  jpegPixels,
  jpegWithMetadata,
  mp4Boxes,
  mp4ChunkOffset,
  mp4WithMetadata,
  type Planted,
  pdfWithMetadata,
  pngPixels,
  pngWithMetadata,
} from "../helpers/metadata-files.js";
import { findPlanted, findPlantedInFiles } from "../helpers/scan.js";
import { questionIdOf, waitForDraft } from "../helpers/steps.js";

interface SentFile {
  name: string;
  mime: string;
  file: Planted;
}

const jpegFile = jpegWithMetadata(64, 48, "mat");
const pngFile = pngWithMetadata(40, 30, "mat");
const mp4File = mp4WithMetadata(8192, "mat");
const pdfFile = pdfWithMetadata("mat");
const docxFile = docxWithMetadata("mat");
const truncatedJpeg = {
  bytes: jpegFile.bytes.subarray(0, jpegFile.bytes.length - 300),
  planted: [],
};
const brokenPdf = pdfWithMetadata("brk", { brokenXref: true });

const MATERIALS: SentFile[] = [
  { name: "IMG_0412.jpg", mime: "image/jpeg", file: jpegFile },
  { name: "scan.png", mime: "image/png", file: pngFile },
  { name: "clip.mp4", mime: "video/mp4", file: mp4File },
  { name: "order.pdf", mime: "application/pdf", file: pdfFile },
  {
    name: "report.docx",
    mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    file: docxFile,
  },
  { name: "cut.jpg", mime: "image/jpeg", file: truncatedJpeg },
  { name: "broken.pdf", mime: "application/pdf", file: brokenPdf },
];
// The same files at the originals question: they must come back exactly as sent.
const ORIGINALS: SentFile[] = MATERIALS.slice(0, 5).map((sent) => ({
  ...sent,
  name: `original-${sent.name}`,
}));

const PLANTED = [...MATERIALS.flatMap((sent) => sent.file.planted)];

/** Entries of the temp directory before the test: other processes' files, not looked at. */
const before = new Set(readdirSync(tmpdir()));

/** What each file looked like when last read (modification time and size), to read it once. */
const seen = new Map<string, string>();

/**
 * Files written since `since` in what appeared under the temp directory during the test (new
 * files and folders, DATA_DIR among them), each read again only once it has changed.
 */
function changedTempFiles(since: number, maxBytes: number): { path: string; bytes: Buffer }[] {
  const found: { path: string; bytes: Buffer }[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (dir === tmpdir() && (before.has(name) || name.startsWith("bash_"))) continue;
      const path = join(dir, name);
      try {
        const stat = statSync(path);
        if (stat.isDirectory()) walk(path);
        if (!stat.isFile() || stat.mtimeMs < since || stat.size > maxBytes) continue;
        const version = `${stat.mtimeMs}:${stat.size}`;
        if (seen.get(path) === version) continue;
        seen.set(path, version);
        found.push({ path, bytes: readFileSync(path) });
      } catch {
        // Gone in the meantime (another process's temp file).
      }
    }
  };
  walk(tmpdir());
  return found;
}

describe("files lose their hidden data before encryption, except at the originals question", () => {
  let bot: TestBot;
  let dataDir: string;
  let parts: DecryptedPart[] = [];
  /** Every message the bot sent the source, in order (the chat itself is wiped at the end). */
  const told: string[] = [];
  const scans: string[] = [];
  const started = Date.now();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tb-metadata-"));
    bot = await startTestBot({ dataDir });
    const user = bot.api.user({ id: 5512044871, first_name: "Source", language_code: "en" });
    await interview(user).catch((error) => {
      console.log(bot.logs());
      throw error;
    });
    for (const event of bot.api.state(user.id).events) {
      // The line sits on top of the "saved" note, which is sent once and then edited (its
      // text names the file count, so each file's version is told once).
      const text = event.message.text ?? "";
      if (event.fromBot && event.kind !== "deleted" && !told.includes(text)) told.push(text);
    }
    const row = await bot.app.repositories.submissions.findByNumber(1);
    if (!row) throw new Error("no submission");
    const key = bot.editorKeys[0];
    if (!key) throw new Error("no editor key");
    parts = await decryptSubmission(bot.app.repositories.parts, row.id, key);
  }, 120_000);

  afterAll(async () => {
    await bot?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends each file and, while the bot works on it, looks at the disk. */
  async function sendFiles(user: FakeUser, questionId: string, files: SentFile[]) {
    for (const [index, sent] of files.entries()) {
      await user.sendDocument(sent.file.bytes, { file_name: sent.name, mime_type: sent.mime });
      // The bot confirms by editing its "saved" note: wait for the stored count instead.
      const stored = waitForDraft(
        bot,
        user,
        (d) => d.state.attachments[questionId] === index + 1,
        60_000,
      );
      let done = false;
      const finished = stored.finally(() => {
        done = true;
      });
      // During: what changes under the temp directory (DATA_DIR included) while the bot works.
      do {
        scans.push(...findPlantedInFiles(changedTempFiles(started, 1 << 20), PLANTED));
        await new Promise((resolve) => setTimeout(resolve, 20));
      } while (!done);
      await finished;
    }
  }

  async function interview(user: FakeUser) {
    const labels = LABELS.en;
    await user.command("start");
    await user.nextBotMessage();
    await user.press(labels.begin);
    await user.nextBotMessage();
    await user.press(labels.consent);
    for (;;) {
      const message: Message = await user.nextBotMessage({ newOnly: true });
      const question = questionIdOf(message);
      if (!question) continue;
      if (question === "review") break;
      const option = message.reply_markup?.inline_keyboard
        .flat()
        .find((b) => "callback_data" in b && b.callback_data.startsWith("iv:a:"));
      if (question === "materials" || question === "originals") {
        await sendFiles(user, question, question === "materials" ? MATERIALS : ORIGINALS);
        await user.press(labels.next);
      } else if (option) {
        await user.press(option.text);
      } else {
        await user.press(labels.skip);
      }
    }
    await user.press(labels.submit);
    await bot.api.waitFor(() => user.botMessages().find((m) => m.text?.includes(labels.codename)));
  }

  const files = (questionId: string) =>
    parts
      .filter((part) => part.questionId === questionId && part.file)
      .map((part) => ({
        meta: JSON.parse(part.text) as AttachmentMeta,
        bytes: part.file as Uint8Array,
      }));
  const byName = (questionId: string, name: string) => {
    const found = files(questionId).find((f) => f.meta.fileName === name);
    if (!found) throw new Error(`${name} not stored`);
    return found;
  };

  it("stores every file sent", () => {
    expect(files("materials")).toHaveLength(MATERIALS.length);
    expect(files("originals")).toHaveLength(ORIGINALS.length);
  });

  it("the cleaned files hold none of the planted values", () => {
    for (const sent of MATERIALS.slice(0, 5)) {
      const { bytes, meta } = byName("materials", sent.name);
      expect(findPlanted(Buffer.from(bytes), sent.file.planted), sent.name).toEqual([]);
      expect(meta.cleaning?.cleaned, sent.name).toBe(true);
      expect(meta.size).toBe(bytes.length);
    }
    expect(byName("materials", "IMG_0412.jpg").meta.cleaning?.removed).toEqual(
      expect.arrayContaining(["gps", "camera", "thumbnail", "xmp", "comments"]),
    );
    expect(byName("materials", "clip.mp4").meta.cleaning?.removed).toEqual(
      expect.arrayContaining(["gps", "camera", "dates"]),
    );
    expect(byName("materials", "order.pdf").meta.cleaning?.removed).toContain("author");
    expect(byName("materials", "report.docx").meta.cleaning?.removed).toContain("author");
  });

  it("and still open: same pictures, valid boxes, a readable page and text", async () => {
    const jpeg = jpegPixels(byName("materials", "IMG_0412.jpg").bytes);
    const jpegBefore = jpegPixels(jpegFile.bytes);
    expect([jpeg.width, jpeg.height]).toEqual([64, 48]);
    expect(jpeg.pixels.equals(jpegBefore.pixels)).toBe(true);

    const png = pngPixels(byName("materials", "scan.png").bytes);
    expect([png.width, png.height]).toEqual([40, 30]);
    expect(png.pixels.equals(pngPixels(pngFile.bytes).pixels)).toBe(true);

    const mp4 = byName("materials", "clip.mp4").bytes;
    expect(mp4Boxes(mp4)).toContain("moov/trak/mdia");
    expect(mp4ChunkOffset(mp4)).toBe(mp4ChunkOffset(mp4File.bytes));

    const pdf = await PDFDocument.load(byName("materials", "order.pdf").bytes);
    expect(pdf.getPageCount()).toBe(1);

    expect(docxText(byName("materials", "report.docx").bytes)).toContain("Statement text");
  });

  it("files that do not parse are stored unchanged and marked not cleaned", () => {
    for (const [name, sent] of [
      ["cut.jpg", truncatedJpeg],
      ["broken.pdf", brokenPdf],
    ] as const) {
      const { bytes, meta } = byName("materials", name);
      expect(Buffer.from(bytes).equals(sent.bytes), name).toBe(true);
      expect(meta.cleaning).toEqual({ cleaned: false, removed: [], reason: "unparseable" });
    }
  });

  it("the source is told, file by file, what was removed or that it is stored as sent", () => {
    const lines = told.filter((text) =>
      /^(Hidden data removed|No hidden data|Removed from the file|The file still holds|The bot could not clean|This file is too large)/.test(
        text,
      ),
    );
    // One line per file at the materials question; none at the originals question.
    expect(lines).toHaveLength(MATERIALS.length);
    expect(lines[0]).toMatch(/^Hidden data removed from the file: .*GPS/);
    expect(lines.filter((text) => /stored as sent/.test(text))).toHaveLength(2);
  });

  it("at the originals question the same files come back byte for byte", () => {
    for (const sent of ORIGINALS) {
      const { bytes, meta } = byName("originals", sent.name);
      expect(Buffer.from(bytes).equals(sent.file.bytes), sent.name).toBe(true);
      expect(meta.cleaning).toEqual({ cleaned: false, removed: [], reason: "original" });
    }
  });

  it("no file under the temp directory or DATA_DIR held a planted value, during or after", () => {
    expect(scans).toEqual([]);
    // After: every file written since the start, large ones (database segments) too.
    seen.clear();
    const after = changedTempFiles(started, 256 << 20);
    expect(after.some((file) => file.path.startsWith(dataDir))).toBe(true);
    expect(findPlantedInFiles(after, PLANTED)).toEqual([]);
  });
});
