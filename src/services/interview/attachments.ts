// Encrypted file bodies: streamed from Telegram through the encryptor into the chunk store.
import { CHUNK_SIZE, type PartsRepository } from "../../storage/parts.repo.js";
import type { EditorKeyring } from "../crypto/editor-keys.js";
import { encryptStreamForEditors } from "../crypto/for-editors.js";
import { attachmentPadding } from "../crypto/padding.js";

import { fileCleaner } from "../metadata/cleaner.js";
import {
  type LeftKind,
  type MetadataKind,
  mayClean,
  type NotCleanedReason,
  SNIFF_BYTES,
  sniffFormat,
} from "../metadata/index.js";

import type { VoiceLabel } from "../voice/index.js";

/** Where encrypted file bodies go (the parts repository's chunk store). */
export type ChunkStore = Pick<PartsRepository, "writeChunk" | "deleteAttachments">;

export interface AttachmentMeta {
  kind: string;
  fileName?: string;
  mimeType?: string;
  size?: number;
  duration?: number;
  /** What was removed from the file before encryption (kinds only, never values). */
  cleaning?: AttachmentCleaning;
  /** Recordings: whether the voice was disguised (never how). */
  voice?: VoiceLabel;
}

/** A file above the Bot API's download limit (20 MB): the source is asked for a smaller one. */
export class FileTooBigError extends Error {
  readonly safeToLog = true;
  constructor() {
    super("file is larger than the Bot API download limit");
    this.name = "FileTooBigError";
  }
}

export interface AttachmentCleaning {
  cleaned: boolean;
  removed: MetadataKind[];
  /** What a cleaned file still holds ("not fully cleaned"); absent when nothing is left. */
  left?: LeftKind[];
  /** Why it was stored as sent; "original": the question asks for unaltered files. */
  reason?: NotCleanedReason | "original" | "too-large";
}

/** Telegram makes these itself (photos are re-encoded, voice and round videos recorded in-app). */
const MADE_BY_TELEGRAM = new Set(["photo", "voice", "video_note"]);

/** The most a file may be read into memory for cleaning (the Bot API serves up to 20 MB). */
export const MAX_CLEANED_BYTES = 21 * 1024 * 1024;

/** Pieces handed to the encryptor at a time, so it never holds the whole file twice. */
const PIECE_SIZE = 256 * 1024;

/**
 * Removes hidden data (GPS, camera, author, dates…) from a file before it is encrypted, unless
 * the question asks for unaltered files. Only formats that can be cleaned are read into memory
 * (never to disk); anything else streams on as before. The returned meta says what happened.
 */
export async function prepareAttachment(
  body: ReadableStream<Uint8Array>,
  meta: AttachmentMeta,
  options: { keepOriginal: boolean },
): Promise<{ body: ReadableStream<Uint8Array>; meta: AttachmentMeta }> {
  if (MADE_BY_TELEGRAM.has(meta.kind)) return { body, meta };
  const notCleaned = (reason: AttachmentCleaning["reason"]) => ({
    ...meta,
    cleaning: { cleaned: false, removed: [], reason },
  });
  if (options.keepOriginal) return { body, meta: notCleaned("original") };

  const reader = body.getReader();
  const read: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (!done && length < SNIFF_BYTES) {
    const next = await reader.read();
    if (next.done) done = true;
    else {
      read.push(next.value);
      length += next.value.length;
    }
  }
  const head = Buffer.concat(read).subarray(0, SNIFF_BYTES);
  if (!mayClean(head)) {
    const reason = sniffFormat(head) === "heif" ? "unsupported-format" : "unknown-format";
    return { body: replay(read, done ? undefined : reader), meta: notCleaned(reason) };
  }
  while (!done) {
    const next = await reader.read();
    if (next.done) done = true;
    else {
      read.push(next.value);
      length += next.value.length;
      if (length > MAX_CLEANED_BYTES) {
        return { body: replay(read, reader), meta: notCleaned("too-large") };
      }
    }
  }
  const bytes = read.length === 1 ? (read[0] as Uint8Array) : Buffer.concat(read, length);
  read.length = 0;
  // In a worker, within memory, time and size caps: see metadata/cleaner.ts.
  const result = await fileCleaner().clean(bytes);
  const cleaning: AttachmentCleaning = { cleaned: result.cleaned, removed: result.removed };
  if (result.left.length > 0) cleaning.left = result.left;
  if (result.reason) cleaning.reason = result.reason;
  return {
    body: streamOf([result.bytes]),
    meta: { ...meta, size: result.bytes.length, cleaning },
  };
}

/** What was read so far, then the rest of the stream. */
function replay(
  read: Uint8Array[],
  rest: ReadableStreamDefaultReader<Uint8Array> | undefined,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const first = read.shift();
      if (first) return controller.enqueue(first);
      const next = rest ? await rest.read() : { done: true as const, value: undefined };
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => rest?.cancel(reason),
  });
}

function streamOf(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  let index = 0;
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces[index];
      if (!piece) return controller.close();
      const end = Math.min(piece.length, offset + PIECE_SIZE);
      controller.enqueue(piece.subarray(offset, end));
      offset = end;
      if (offset >= piece.length) {
        pieces[index] = new Uint8Array(0); // let the memory go as the encryptor moves on
        index++;
        offset = 0;
      }
    },
  });
}

/**
 * Encrypts `body` for the editors and stores the ciphertext in chunks. The plaintext is never
 * whole in memory and never on disk. Returns the attachment id; nothing is left on failure.
 */
export async function storeEncryptedAttachment(
  parts: ChunkStore,
  keyring: EditorKeyring,
  body: ReadableStream<Uint8Array>,
): Promise<string> {
  const attachmentId = crypto.randomUUID();
  let seq = 0;
  // Each chunk is written while the next one is encrypted (one write in flight, so memory stays
  // at about two chunks): the database's latency hides behind the encryption.
  let writing: Promise<void> | undefined;
  try {
    let length = 0;
    for await (const chunk of rechunk(encryptStreamForEditors(keyring, body))) {
      await writing;
      length += chunk.length;
      writing = parts.writeChunk(attachmentId, seq++, chunk);
      writing.catch(() => {}); // awaited above or below; only keeps it from counting as unhandled
    }
    await writing;
    // The padding goes in front (negative sequence numbers), once the length is known.
    const padding = attachmentPadding(length);
    const pieces = Math.ceil(padding.length / CHUNK_SIZE);
    for (let piece = 0; piece < pieces; piece++) {
      const data = padding.subarray(piece * CHUNK_SIZE, (piece + 1) * CHUNK_SIZE);
      await parts.writeChunk(attachmentId, piece - pieces, data);
    }
  } catch (error) {
    await writing?.catch(() => {}); // no write may land after the cleanup
    await parts.deleteAttachments([attachmentId]);
    throw error;
  }
  return attachmentId;
}

/** Collects stream output into CHUNK_SIZE pieces (openpgp emits many small ones). */
async function* rechunk(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending.push(value);
    length += value.length;
    if (length >= CHUNK_SIZE) {
      yield Buffer.concat(pending);
      pending = [];
      length = 0;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}
