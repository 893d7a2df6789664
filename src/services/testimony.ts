// The editors' side of an export: open an archive with an editor's private key and turn it into
// a readable testimony. Runs on an editor's computer (CLI, review desk), never on the server.
import type { AttachmentMeta } from "./attachments.js";
import { decodePaddedText, decryptWithUnlockedKey, type UnlockedPrivateKey } from "./encryption.js";
import { EXPORT_FORMAT, type Manifest } from "./export.js";
import type { Locale } from "./preferences.js";
import {
  type Choices,
  DEFAULT_QUESTIONNAIRE_PATH,
  loadQuestionnaire,
  optionKey,
  optionsOf,
  type Questionnaire,
  questionKey,
  visibleQuestions,
} from "./questionnaire.js";
import { ArchiveError, readTar } from "./tar.js";
import { translate } from "./texts.js";

export interface TestimonyItem {
  questionId: string;
  kind: string;
  /** Text answers, choices (option ids, one per line), follow-ups and replies. */
  text?: string;
  attachment?: { meta: AttachmentMeta; bytes: Uint8Array; fileName: string };
}

export interface Testimony {
  manifest: Manifest;
  items: TestimonyItem[];
}

/** Reads the manifest only (no key needed): which submission, which format. */
export function readManifest(entries: Map<string, Uint8Array>): Manifest {
  const raw = entries.get("manifest.json");
  if (!raw) throw new ArchiveError("this archive has no manifest.json: it is not an export");
  let manifest: Manifest;
  try {
    manifest = JSON.parse(Buffer.from(raw).toString("utf8")) as Manifest;
  } catch {
    throw new ArchiveError("manifest.json is damaged");
  }
  if (typeof manifest.format !== "number" || !Array.isArray(manifest.parts)) {
    throw new ArchiveError("manifest.json is not an export manifest");
  }
  if (manifest.format > EXPORT_FORMAT) {
    throw new ArchiveError(
      `this archive uses export format ${manifest.format}, newer than this tool understands (${EXPORT_FORMAT}); update the editor tool`,
    );
  }
  return manifest;
}

export function archiveEntries(archive: Uint8Array): Map<string, Uint8Array> {
  return new Map(readTar(archive).map((entry) => [entry.name, entry.data]));
}

/** Decrypts every part. Throws NotForThisKeyError/ArchiveError with a clear message. */
export async function openArchive(
  archive: Uint8Array,
  key: UnlockedPrivateKey,
): Promise<Testimony> {
  const entries = archiveEntries(archive);
  const manifest = readManifest(entries);
  const items: TestimonyItem[] = [];
  for (const [index, part] of manifest.parts.entries()) {
    const ciphertext = entries.get(part.file);
    if (!ciphertext) throw new ArchiveError(`the archive is incomplete: ${part.file} is missing`);
    const text = decodePaddedText(await decryptWithUnlockedKey(key, ciphertext));
    if (part.kind !== "attachment") {
      items.push({ questionId: part.questionId, kind: part.kind, text });
      continue;
    }
    const body = part.body ? entries.get(part.body) : undefined;
    if (!body)
      throw new ArchiveError(`the archive is incomplete: the file of ${part.file} is missing`);
    const meta = JSON.parse(text) as AttachmentMeta;
    items.push({
      questionId: part.questionId,
      kind: part.kind,
      attachment: {
        meta,
        bytes: await decryptWithUnlockedKey(key, body),
        fileName: attachmentFileName(index + 1, part.questionId, meta),
      },
    });
  }
  return { manifest, items };
}

const EXTENSIONS: Record<string, string> = {
  "audio/ogg": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp4": "m4a",
  "video/mp4": "mp4",
  "video/quicktime": "mov",
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/heic": "heic",
  "application/pdf": "pdf",
  "text/plain": "txt",
};
const KIND_EXTENSIONS: Record<string, string> = {
  voice: "ogg",
  audio: "mp3",
  video: "mp4",
  video_note: "mp4",
  photo: "jpg",
  document: "bin",
};

/** "03-story-voice.ogg": numbered, named for the question, with an extension that opens. */
export function attachmentFileName(
  index: number,
  questionId: string,
  meta: AttachmentMeta,
): string {
  const fromName = meta.fileName?.match(/\.([A-Za-z0-9]{1,8})$/)?.[1]?.toLowerCase();
  const extension =
    fromName ?? (meta.mimeType && EXTENSIONS[meta.mimeType]) ?? KIND_EXTENSIONS[meta.kind] ?? "bin";
  return `${String(index).padStart(2, "0")}-${questionId}-${meta.kind}.${extension}`;
}

/** The testimony as Markdown, questions in the editor's language, skipped ones marked. */
export function renderMarkdown(
  testimony: Testimony,
  locale: Locale,
  questionnaire: Questionnaire = loadQuestionnaire(DEFAULT_QUESTIONNAIRE_PATH),
): string {
  const t = (key: string, args?: Record<string, string | number>) => translate(locale, key, args);
  const { manifest, items } = testimony;
  const lines = [
    `# ${t("export-title", { number: manifest.submission })}`,
    "",
    t("export-meta", {
      day: manifest.createdOn,
      locale: manifest.locale,
      version: manifest.questionnaireVersion,
      status: t(`status-${manifest.status}`),
    }),
    "",
  ];
  const choices: Choices = {};
  for (const item of items) {
    if (item.kind === "choice" && item.text) choices[item.questionId] = item.text.split("\n");
  }
  const byQuestion = (id: string) => items.filter((item) => item.questionId === id);
  const sameVersion = manifest.questionnaireVersion === questionnaire.version;
  const questionIds = sameVersion
    ? visibleQuestions(questionnaire, choices).map((q) => q.id)
    : [...new Set(items.map((item) => item.questionId))].filter(
        (id) => id !== "followup" && id !== "reply",
      );

  for (const id of questionIds) {
    const question = questionnaire.questions.find((q) => q.id === id);
    lines.push(`## ${t(questionKey(id))}`, "");
    const answers = byQuestion(id);
    if (answers.length === 0) lines.push(`_${t("export-skipped")}_`, "");
    for (const item of answers)
      lines.push(...renderItem(item, question ? optionsOf(question) : [], id, t), "");
  }
  for (const [kind, heading] of [
    ["followup", "export-followups"],
    ["reply", "export-replies"],
  ] as const) {
    const extra = items.filter((item) => item.questionId === kind);
    if (extra.length === 0) continue;
    lines.push(`## ${t(heading)}`, "");
    for (const item of extra) lines.push(...renderItem(item, [], kind, t), "");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function renderItem(
  item: TestimonyItem,
  options: readonly string[],
  questionId: string,
  t: (key: string, args?: Record<string, string | number>) => string,
): string[] {
  if (item.attachment) {
    const { fileName, meta } = item.attachment;
    const original = meta.fileName ? ` (${meta.fileName})` : "";
    return [
      `- ${t("export-attachment")}: [attachments/${fileName}](attachments/${fileName})${original}`,
    ];
  }
  if (item.kind === "choice") {
    return (item.text ?? "")
      .split("\n")
      .map((option) => `- ${options.includes(option) ? t(optionKey(questionId, option)) : option}`);
  }
  return (item.text ?? "").split("\n").map((line) => `> ${line}`);
}
