// The editors' side of an export: open an archive with an editor's private key and turn it into
// a readable testimony. Runs on an editor's computer (CLI, review desk), never on the server.

import {
  checkMessageIsFor,
  type DecryptedPart,
  DecryptionError,
  decryptPartWithUnlockedKey,
  NotForThisKeyError,
  type UnlockedPrivateKey,
} from "../crypto/decrypt.js";
import { decodePaddedText } from "../crypto/padding.js";
import type { AttachmentMeta } from "../interview/attachments.js";
import {
  type Choices,
  DEFAULT_QUESTIONNAIRE_PATH,
  loadQuestionnaire,
  optionKey,
  optionsOf,
  type Questionnaire,
  questionKey,
  visibleQuestions,
} from "../interview/questionnaire.js";
import type { Locale } from "../locale.js";
import { cleaningLabel } from "../metadata/labels.js";

import { translate } from "../texts.js";
import { type CheckedManifest, readArchive, SAFE_ID } from "./reader.js";
import { ArchiveError } from "./tar-header.js";

export { cleaningLabel };

export interface TestimonyItem {
  questionId: string;
  kind: string;
  /** Text answers, choices (option ids, one per line), follow-ups and replies. */
  text?: string;
  attachment?: { meta: AttachmentMeta; bytes: Uint8Array; fileName: string };
  /** The day it was stored (YYYY-MM-DD), when the archive says. */
  day?: string;
}

export interface Testimony {
  manifest: CheckedManifest;
  items: TestimonyItem[];
  /** The public note a source sees with the status, if there is one. */
  statusNote?: string;
}

/** The manifest's recipient fingerprints, if it names any well-formed ones (hostile input). */
function manifestRecipients(manifest: CheckedManifest): string[] {
  if (!Array.isArray(manifest.recipients)) return [];
  return manifest.recipients
    .filter((fp): fp is string => typeof fp === "string" && /^[0-9A-F]{40,64}$/i.test(fp))
    .slice(0, 32);
}

/** NotForThisKeyError, told whose keys the archive is for (as its manifest says). */
function withRecipients(error: unknown, manifest: CheckedManifest): unknown {
  if (!(error instanceof NotForThisKeyError)) return error;
  return error.withRecipients(manifestRecipients(manifest));
}

/** Bytes, or a stream of chunks (all volumes in order). */
const readArchiveOf = (archive: Uint8Array | AsyncIterable<Uint8Array>) =>
  readArchive(archive instanceof Uint8Array ? [archive] : archive);

/**
 * Before the passphrase is asked: throws NotForThisKeyError (naming the primary fingerprints the
 * archive is for) when the archive is not encrypted to this private key. The archive is read and
 * checked whole here too, so a hostile one is refused before anything else.
 */
export async function checkArchiveIsFor(
  archive: Uint8Array | AsyncIterable<Uint8Array>,
  privateKey: string,
): Promise<void> {
  const { manifest, entries } = await readArchiveOf(archive);
  const first = manifest.parts[0];
  const ciphertext = first ? entries.get(first.file) : undefined;
  if (!ciphertext) return; // nothing to decrypt
  try {
    await checkMessageIsFor(privateKey, ciphertext);
  } catch (error) {
    throw withRecipients(error, manifest);
  }
}

/**
 * Reads, checks and decrypts a whole archive (bytes, or a stream of chunks: all volumes in
 * order). Throws NotForThisKeyError/DecryptionError/ArchiveError with a clear message; when it
 * returns, every value that may become part of a file name has passed its allow-list.
 */
export async function openArchive(
  archive: Uint8Array | AsyncIterable<Uint8Array>,
  key: UnlockedPrivateKey,
): Promise<Testimony> {
  const { manifest, entries } = await readArchiveOf(archive);
  const items: TestimonyItem[] = [];
  for (const [index, part] of manifest.parts.entries()) {
    const ciphertext = entries.get(part.file) as Uint8Array;
    const decrypted = await decryptPart(key, ciphertext, part.file).catch((error: unknown) => {
      throw withRecipients(error, manifest);
    });
    const text = decodePaddedText(decrypted.data);
    // Answers say inside the encryption which question they belong to (format 2); older parts
    // are named by the manifest. Additions, replies and notes are named by their kind. A label
    // passed the same allow-list as manifest values (LABEL_PATTERN ⊂ SAFE_ID:SAFE_ID).
    const questionId = decrypted.label?.questionId ?? part.questionId ?? part.kind;
    const kind = decrypted.label?.kind ?? part.kind;
    const day = part.createdOn;
    if (kind !== "attachment") {
      items.push({ questionId, kind, text, ...(day ? { day } : {}) });
      continue;
    }
    const meta = parseAttachmentMeta(text, part.file);
    const body = entries.get(part.body as string) as Uint8Array;
    const bytes = (await decryptPart(key, body, part.body)).data;
    items.push({
      questionId,
      kind,
      attachment: {
        meta,
        bytes,
        fileName: attachmentFileName(index + 1, questionId, meta, bytes),
      },
      ...(day ? { day } : {}),
    });
  }
  const statusNote = manifest.statusNote
    ? decodePaddedText(
        (await decryptPart(key, Buffer.from(manifest.statusNote, "base64"), "statusNote")).data,
      )
    : undefined;
  return { manifest, items, ...(statusNote !== undefined ? { statusNote } : {}) };
}

/** Decrypts one part; a damaged one is named in the error (a key that does not fit is not). */
async function decryptPart(
  key: UnlockedPrivateKey,
  ciphertext: Uint8Array,
  file?: string,
): Promise<DecryptedPart> {
  try {
    return await decryptPartWithUnlockedKey(key, ciphertext);
  } catch (error) {
    if (error instanceof NotForThisKeyError || !(error instanceof DecryptionError)) throw error;
    throw new DecryptionError(`${file}: ${error.message}`);
  }
}

/** The decrypted description of a file: whoever has a public key can write one, so check it. */
function parseAttachmentMeta(text: string, file: string): AttachmentMeta {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ArchiveError(`the description of ${file} is damaged`);
  }
  const meta = value as Record<string, unknown> | null;
  const optional = (key: string, type: "string" | "number") =>
    meta?.[key] === undefined || typeof meta[key] === type;
  if (
    !meta ||
    typeof meta !== "object" ||
    typeof meta.kind !== "string" ||
    !SAFE_ID.test(meta.kind) ||
    !optional("fileName", "string") ||
    !optional("mimeType", "string") ||
    !optional("size", "number") ||
    !optional("duration", "number") ||
    String(meta.fileName ?? "").length > 1024 ||
    String(meta.mimeType ?? "").length > 255
  ) {
    throw new ArchiveError(`the description of ${file} is not a valid file description`);
  }
  return meta as unknown as AttachmentMeta;
}

const EXTENSIONS: ReadonlyMap<string, string> = new Map([
  ["audio/ogg", "ogg"],
  ["audio/mpeg", "mp3"],
  ["audio/mp4", "m4a"],
  ["video/mp4", "mp4"],
  ["video/quicktime", "mov"],
  ["image/jpeg", "jpg"],
  ["image/png", "png"],
  ["image/webp", "webp"],
  ["image/gif", "gif"],
  ["image/heic", "heic"],
  ["application/pdf", "pdf"],
  ["text/plain", "txt"],
]);
const KIND_EXTENSIONS: ReadonlyMap<string, string> = new Map([
  ["voice", "ogg"],
  ["audio", "mp3"],
  ["video", "mp4"],
  ["video_note", "mp4"],
  ["photo", "jpg"],
  ["document", "bin"],
]);
/** Formats told by their first bytes, for files that came without a name or type. */
const SIGNATURES: { extension: string; bytes: number[] }[] = [
  { extension: "png", bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { extension: "jpg", bytes: [0xff, 0xd8, 0xff] },
  { extension: "gif", bytes: [0x47, 0x49, 0x46, 0x38] },
  { extension: "pdf", bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { extension: "ogg", bytes: [0x4f, 0x67, 0x67, 0x53] },
];

function sniffExtension(bytes: Uint8Array | undefined): string | undefined {
  if (!bytes) return undefined;
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && ascii(bytes, 8, 4) === "WEBP") return "webp";
  return SIGNATURES.find((signature) => startsWith(bytes, signature.bytes))?.extension;
}

const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
const ascii = (bytes: Uint8Array, start: number, length: number) =>
  String.fromCharCode(...bytes.subarray(start, start + length));

/**
 * "03-story-voice.ogg": numbered, named for the question, with an extension that opens: from the
 * file's own name, its type, its first bytes (a PNG sent as a photo stays .png), or its kind.
 * Every piece is checked again here, so no caller can turn a hostile value into a path.
 */
export function attachmentFileName(
  index: number,
  questionId: string,
  meta: AttachmentMeta,
  bytes?: Uint8Array,
): string {
  if (!Number.isSafeInteger(index) || index < 1) throw new ArchiveError("bad attachment number");
  if (!SAFE_ID.test(questionId) || !SAFE_ID.test(meta.kind)) {
    throw new ArchiveError("an attachment has an id that cannot be part of a file name");
  }
  const fromName = meta.fileName?.match(/\.([A-Za-z0-9]{1,8})$/)?.[1]?.toLowerCase();
  const extension =
    fromName ??
    (meta.mimeType && EXTENSIONS.get(meta.mimeType)) ??
    sniffExtension(bytes) ??
    KIND_EXTENSIONS.get(meta.kind) ??
    "bin";
  return `${String(index).padStart(2, "0")}-${questionId}-${meta.kind}.${extension}`;
}

/**
 * One answer, addition, reply or note of a testimony, ready to show (`day`: when it was stored;
 * `item`: the index in Testimony.items, by which the desk serves files).
 */
export type TestimonyEntry = {
  day?: string;
} & (
  | { type: "text"; item: number; text: string }
  /** `known`: the label is the questionnaire's; otherwise it is the stored id (hostile text). */
  | { type: "choice"; item: number; options: { id: string; label: string; known: boolean }[] }
  | {
      type: "attachment";
      item: number;
      fileName: string;
      meta: AttachmentMeta;
      /** What was removed from the file before encryption ("cleaned: GPS, camera"), if known. */
      cleaning?: string;
      /** Recordings: whether the voice was disguised ("voice disguised"), if known. */
      voice?: string;
    }
);

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
  /** The public note a source sees with the status, if there is one. */
  statusNote?: string;
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
      item.questionId === id
        ? [{ ...entryOf(item, index, options, id, t), ...(item.day ? { day: item.day } : {}) }]
        : [],
    );
  const sameVersion = manifest.questionnaireVersion === questionnaire.version;
  const questionIds = sameVersion
    ? visibleQuestions(questionnaire, choices).map((q) => q.id)
    : [...new Set(items.map((item) => item.questionId))].filter((id) => !EXTRA_IDS.includes(id));

  const questions = questionIds.map((id) => {
    const question = questionnaire.questions.find((q) => q.id === id);
    const entries = entriesOf(id, question ? optionsOf(question) : []);
    // The consent "question" is the briefing itself: a short heading reads better for editors.
    const heading = id === "consent" ? t("export-consent") : t(questionKey(id));
    return { id, heading, skipped: entries.length === 0, entries };
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
    ...(testimony.statusNote !== undefined ? { statusNote: testimony.statusNote } : {}),
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
      voice: voiceLabel(item.attachment.meta.voice, t),
    };
  }
  if (item.kind === "choice") {
    const ids = (item.text ?? "").split("\n");
    return {
      type: "choice",
      item: index,
      options: ids.map((id) => {
        const known = options.includes(id);
        return { id, label: known ? t(optionKey(questionId, id)) : id, known };
      }),
    };
  }
  return { type: "text", item: index, text: item.text ?? "" };
}

const VOICE_KEPT_REASONS = ["kept-by-source", "could-not-decode", "too-long", "video-note"];

/**
 * "voice disguised", "real voice (the source's choice)", "not disguised: could not decode".
 * From an archive (hostile input): only known values are shown. Never how it was disguised.
 */
export function voiceLabel(
  voice: unknown,
  t: (key: string, args?: Record<string, string | number>) => string,
): string | undefined {
  if (typeof voice !== "object" || voice === null) return undefined;
  const { disguised, reason } = voice as Record<string, unknown>;
  if (disguised === true) return t("file-voice-disguised");
  if (typeof reason === "string" && VOICE_KEPT_REASONS.includes(reason)) {
    return t(`file-voice-${reason}`);
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

// Everything a source sent (answers, additions, unknown choice ids, original file names) goes
// into testimony.md as code, never as Markdown: a viewer that rendered it could be made to fetch
// a remote picture (telling the sender who read it, and when) or show a planted link. The
// writer's own text (headings, labels, cleaning notes) stays plain Markdown around it.
function markdownOf(entry: TestimonyEntry, fileLabel: string): string[] {
  switch (entry.type) {
    case "attachment": {
      const original = entry.meta.fileName ? ` ${inlineCode(entry.meta.fileName)}` : "";
      const link = `attachments/${entry.fileName}`; // the writer's own safe name
      const cleaning = entry.cleaning ? ` — ${entry.cleaning}` : "";
      const voice = entry.voice ? ` — ${entry.voice}` : "";
      return [`- ${fileLabel}: [${link}](${link})${original}${cleaning}${voice}`];
    }
    case "choice":
      return entry.options.map((option) =>
        option.known ? `- ${option.label}` : `- ${inlineCode(option.label)}`,
      );
    case "text":
      return fenced(entry.text);
  }
}

/** The longest run of backticks in `text`. */
function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return longest;
}

/** A fenced block whose fence is longer than any backtick run inside, so nothing closes it early. */
export function fenced(text: string): string[] {
  const fence = "`".repeat(Math.max(3, longestBacktickRun(text) + 1));
  return [`${fence}text`, ...text.split(/\r\n|\r|\n/), fence];
}

/** A name as inline code on one line: backticks longer than any inside, no line breaks. */
export function inlineCode(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what goes
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029\s]+/g, " ").trim();
  if (!flat) return "";
  const ticks = "`".repeat(longestBacktickRun(flat) + 1);
  return `${ticks} ${flat} ${ticks}`;
}
