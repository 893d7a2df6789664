// Encrypted file bodies: streamed from Telegram through the encryptor into the chunk store.
import { CHUNK_SIZE, type PartsRepository } from "../storage/parts.repo.js";
import { attachmentPadding, type EditorKeyring, encryptStreamForEditors } from "./encryption.js";

export interface AttachmentMeta {
  kind: string;
  fileName?: string;
  mimeType?: string;
  size?: number;
  duration?: number;
}

/**
 * Encrypts `body` for the editors and stores the ciphertext in chunks. The plaintext is never
 * whole in memory and never on disk. Returns the attachment id; nothing is left on failure.
 */
export async function storeEncryptedAttachment(
  parts: PartsRepository,
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
