// Identity hidden one level down, through the bot: a source sends the crafted corpus (a picture
// inside a Word file, a PDF photo with EXIF, a JFIF thumbnail, a C2PA chunk, a sensor track, a
// workbook's folder) and a Word "zip bomb" as documents at the materials question. The stored
// parts, decrypted the editors' way and unpacked, hold no planted marker, except a flagged one
// whose label and message say "not fully cleaned"; the bomb is stored as sent and said so.
import type { Message } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleaningLabel } from "../../src/services/archive/testimony.js";
import type { AttachmentMeta } from "../../src/services/interview/attachments.js";
import { translate } from "../../src/services/texts.js";
import { type DecryptedPart, decryptSubmission } from "../helpers/decrypt.js";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { LABELS } from "../helpers/interview-driver.js";
import { type CorpusFile, metadataCorpus } from "../helpers/metadata-corpus.js";
import { docxBomb } from "../helpers/metadata-files.js";
import { findPlanted } from "../helpers/scan.js";
import { questionIdOf, waitForDraft } from "../helpers/steps.js";
import { unpacked } from "../helpers/unpack.js";

const corpus = metadataCorpus("e2e");
const bomb = docxBomb(190);
const SENT: CorpusFile[] = [
  ...corpus,
  {
    name: "bomb.docx",
    mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    bytes: bomb,
    planted: [],
  },
];

describe("nested hidden data and a zip bomb, sent through the bot", () => {
  let bot: TestBot;
  let parts: DecryptedPart[] = [];
  const told: string[] = [];

  beforeAll(async () => {
    bot = await startTestBot();
    const user = bot.api.user({ id: 5512044872, first_name: "Source", language_code: "ru" });
    await interview(user);
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
  }, 180_000);

  afterAll(async () => {
    await bot?.stop();
  });

  async function interview(user: FakeUser) {
    const labels = LABELS.ru;
    await user.command("start");
    await user.nextBotMessage();
    await user.press(labels.begin);
    await user.nextBotMessage();
    await user.press(labels.consent);
    // Each question is answered once: the notes under the files carry the materials question's
    // Next button too, and may arrive after it was pressed (on a busy machine).
    const answered = new Set<string>();
    for (;;) {
      const message: Message = await user.nextBotMessage({ newOnly: true, timeoutMs: 60_000 });
      const question = questionIdOf(message);
      if (!question || answered.has(question)) continue;
      answered.add(question);
      if (question === "review") break;
      const option = message.reply_markup?.inline_keyboard
        .flat()
        .find((b) => "callback_data" in b && b.callback_data.startsWith("iv:a:"));
      if (question === "materials") {
        for (const [index, sent] of SENT.entries()) {
          await user.sendDocument(sent.bytes, { file_name: sent.name, mime_type: sent.mime });
          await waitForDraft(bot, user, (d) => d.state.attachments.materials === index + 1, 90_000);
        }
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

  const stored = (name: string) => {
    const part = parts.find(
      (p) => p.file && (JSON.parse(p.text) as AttachmentMeta).fileName === name,
    );
    if (!part?.file) throw new Error(`${name} not stored`);
    return { bytes: part.file, meta: JSON.parse(part.text) as AttachmentMeta };
  };

  it("unpacked, the stored files hold no planted marker except the flagged one", () => {
    for (const file of corpus) {
      const { bytes } = stored(file.name);
      expect(findPlanted(unpacked(bytes), file.planted), file.name).toEqual(file.flagged ?? []);
    }
  });

  it("labels: 'cleaned' where everything was understood, 'not fully cleaned' otherwise", () => {
    const label = (name: string) =>
      cleaningLabel(stored(name).meta.cleaning, (key, args) => translate("en", key, args));
    for (const file of corpus) {
      if (file.flagged)
        expect(label(file.name), file.name).toMatch(
          /^not fully cleaned: left — a sensor data track/,
        );
      else expect(label(file.name), file.name).toMatch(/^cleaned: /);
    }
    expect(label("bomb.docx")).toBe(
      "not cleaned: too large or too complex to clean safely; stored as sent",
    );
  });

  it("the bomb is stored byte for byte", () => {
    expect(Buffer.from(stored("bomb.docx").bytes).equals(bomb)).toBe(true);
  });

  it("the source is told each time, in their language", () => {
    const lines = told.filter((text) => /^(Из файла|В файле|Скрытых данных|Этот файл)/.test(text));
    expect(lines).toHaveLength(SENT.length);
    expect(lines.filter((text) => text.startsWith("Из файла удалены скрытые данные"))).toHaveLength(
      5,
    );
    expect(lines.some((text) => text.includes("дорожка с данными датчиков"))).toBe(true);
    expect(lines.at(-1)).toMatch(/слишком большой или сложный.*сохранён как прислан/);
  });
});
