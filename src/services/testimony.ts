// The editors' side of an export: open an archive with an editor's private key and turn it into
// a readable testimony. Runs on an editor's computer (CLI, review desk), never on the server.
import type { AttachmentMeta } from "./attachments.js";
import { decodePaddedText, decryptWithUnlockedKey, type UnlockedPrivateKey } from "./encryption.js";
import { EXPORT_FORMAT, type Manifest } from "./export.js";
import { METADATA_KINDS, type MetadataKind } from "./metadata/index.js";
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

/** One answer, addition, reply or note of a testimony, ready to show. */
export type TestimonyEntry =
  /** `item`: the index in Testimony.items (the desk serves files by it). */
  | { type: "text"; item: number; text: string }
  | { type: "choice"; item: number; options: { id: string; label: string }[] }
  | {
      type: "attachment";
      item: number;
      fileName: string;
      meta: AttachmentMeta;
      /** What was removed from the file before encryption ("cleaned: GPS, camera"), if known. */
      cleaning?: string;
    };

export interface TestimonySection {
  /** A question id, or "followup", "reply" or "note". */
  id: string;
  heading: string;
  /** A question with no answer (never set for additions, replies and notes). */
  skipped: boolean;
  entries: TestimonyEntry[];
}

/** A testimony in the editor's language: what testimony.md and the review desk both show. */
export interface TestimonyOutline {
  title: string;
  meta: string;
  /** Every question shown to the source, in order; skipped ones marked. */
  questions: TestimonySection[];
  /** Additions from the source, editors' replies and editors' notes: only those that exist. */
  extras: TestimonySection[];
}

/** Parts that are not answers to a question, with their headings, in the order shown. */
const EXTRA_SECTIONS = [
  ["followup", "export-followups"],
  ["reply", "export-replies"],
  ["note", "export-notes"],
] as const;
const EXTRA_IDS: readonly string[] = EXTRA_SECTIONS.map(([id]) => id);

/** Questions in the editor's language, each with its answers; skipped ones marked. */
export function outlineTestimony(
  testimony: Testimony,
  locale: Locale,
  questionnaire: Questionnaire = loadQuestionnaire(DEFAULT_QUESTIONNAIRE_PATH),
): TestimonyOutline {
  const t = (key: string, args?: Record<string, string | number>) => translate(locale, key, args);
  const { manifest, items } = testimony;
  const choices: Choices = {};
  for (const item of items) {
    if (item.kind === "choice" && item.text) choices[item.questionId] = item.text.split("\n");
  }
  const entriesOf = (id: string, options: readonly string[]) =>
    items.flatMap((item, index) =>
      item.questionId === id ? [entryOf(item, index, options, id, t)] : [],
    );
  const sameVersion = manifest.questionnaireVersion === questionnaire.version;
  const questionIds = sameVersion
    ? visibleQuestions(questionnaire, choices).map((q) => q.id)
    : [...new Set(items.map((item) => item.questionId))].filter((id) => !EXTRA_IDS.includes(id));

  const questions = questionIds.map((id) => {
    const question = questionnaire.questions.find((q) => q.id === id);
    const entries = entriesOf(id, question ? optionsOf(question) : []);
    return { id, heading: t(questionKey(id)), skipped: entries.length === 0, entries };
  });
  const extras = EXTRA_SECTIONS.map(([id, heading]) => ({
    id,
    heading: t(heading),
    skipped: false,
    entries: entriesOf(id, []),
  })).filter((section) => section.entries.length > 0);
  return {
    title: t("export-title", { number: manifest.submission }),
    meta: t("export-meta", {
      day: manifest.createdOn,
      locale: manifest.locale,
      version: manifest.questionnaireVersion,
      status: t(`status-${manifest.status}`),
    }),
    questions,
    extras,
  };
}

function entryOf(
  item: TestimonyItem,
  index: number,
  options: readonly string[],
  questionId: string,
  t: (key: string, args?: Record<string, string | number>) => string,
): TestimonyEntry {
  if (item.attachment) {
    return {
      type: "attachment",
      item: index,
      fileName: item.attachment.fileName,
      meta: item.attachment.meta,
      cleaning: cleaningLabel(item.attachment.meta.cleaning, t),
    };
  }
  if (item.kind === "choice") {
    const ids = (item.text ?? "").split("\n");
    return {
      type: "choice",
      item: index,
      options: ids.map((id) => ({
        id,
        label: options.includes(id) ? t(optionKey(questionId, id)) : id,
      })),
    };
  }
  return { type: "text", item: index, text: item.text ?? "" };
}

const NOT_CLEANED_REASONS = [
  "unknown-format",
  "unsupported-format",
  "unparseable",
  "original",
  "too-large",
];

/**
 * "cleaned: GPS, camera, dates" or "not cleaned: unknown format". The description comes from an
 * archive (hostile input): only known kinds and reasons are shown, anything else is left out.
 */
export function cleaningLabel(
  cleaning: unknown,
  t: (key: string, args?: Record<string, string | number>) => string,
): string | undefined {
  if (typeof cleaning !== "object" || cleaning === null) return undefined;
  const { cleaned, removed, reason } = cleaning as Record<string, unknown>;
  if (cleaned === true) {
    const kinds = Array.isArray(removed)
      ? removed.filter((kind): kind is MetadataKind => METADATA_KINDS.includes(kind))
      : [];
    if (kinds.length === 0) return t("file-cleaned-nothing");
    return t("file-cleaned", { kinds: kinds.map((kind) => t(`file-kind-${kind}`)).join(", ") });
  }
  if (typeof reason === "string" && NOT_CLEANED_REASONS.includes(reason)) {
    return t(`file-not-cleaned-${reason}`);
  }
  return undefined;
}

/** The testimony as Markdown, questions in the editor's language, skipped ones marked. */
export function renderMarkdown(
  testimony: Testimony,
  locale: Locale,
  questionnaire: Questionnaire = loadQuestionnaire(DEFAULT_QUESTIONNAIRE_PATH),
): string {
  const outline = outlineTestimony(testimony, locale, questionnaire);
  const skipped = translate(locale, "export-skipped");
  const fileLabel = translate(locale, "export-attachment");
  const lines = [`# ${outline.title}`, "", outline.meta, ""];
  for (const section of [...outline.questions, ...outline.extras]) {
    lines.push(`## ${section.heading}`, "");
    if (section.skipped) lines.push(`_${skipped}_`, "");
    for (const entry of section.entries) lines.push(...markdownOf(entry, fileLabel), "");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function markdownOf(entry: TestimonyEntry, fileLabel: string): string[] {
  switch (entry.type) {
    case "attachment": {
      const original = entry.meta.fileName ? ` (${entry.meta.fileName})` : "";
      const link = `attachments/${entry.fileName}`;
      const cleaning = entry.cleaning ? ` — ${entry.cleaning}` : "";
      return [`- ${fileLabel}: [${link}](${link})${original}${cleaning}`];
    }
    case "choice":
      return entry.options.map((option) => `- ${option.label}`);
    case "text":
      return entry.text.split("\n").map((line) => `> ${line}`);
  }
}
