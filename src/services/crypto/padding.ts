// Padding, so a ciphertext's length says less: text answers to blocks of 512 bytes, attachments
// to size buckets with OpenPGP marker packets in front.

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Text answers are padded to a multiple of this many bytes, so length says less (DESIGN §7.5). */
export const TEXT_PAD_BLOCK = 512;

/**
 * Text answers become UTF-8 + "\n" + spaces up to the next multiple of TEXT_PAD_BLOCK bytes.
 * The "\n" is always added, so unpadText can find where the text ends.
 */
export function padText(text: string): Uint8Array {
  const body = utf8Encoder.encode(`${text}\n`);
  const size = Math.ceil(body.length / TEXT_PAD_BLOCK) * TEXT_PAD_BLOCK;
  const padded = new Uint8Array(size).fill(0x20);
  padded.set(body);
  return padded;
}

/** Undoes padText: drops the last "\n" and the spaces after it (text without them is kept). */
export function unpadText(padded: string): string {
  const end = padded.lastIndexOf("\n");
  if (end === -1) return padded;
  for (let i = end + 1; i < padded.length; i++) {
    if (padded[i] !== " ") return padded;
  }
  return padded.slice(0, end);
}

/** Decodes decrypted text-answer bytes and removes the padding. */
export function decodePaddedText(bytes: Uint8Array): string {
  return unpadText(utf8Decoder.decode(bytes));
}

/**
 * Stored attachment ciphertext is padded to a size bucket so its length says less about the file
 * (DESIGN §3.5): at least 64 KiB, then the next multiple of 1/8 of the size's power of two, so
 * the overhead is at most 12.5% (and at most 64 KiB for small files).
 */
export const ATTACHMENT_MIN_BUCKET = 64 * 1024;

export function paddedAttachmentSize(length: number): number {
  if (length <= ATTACHMENT_MIN_BUCKET) return ATTACHMENT_MIN_BUCKET;
  const step = 2 ** (Math.floor(Math.log2(length)) - 3);
  return Math.ceil(length / step) * step;
}

/** A marker packet ("PGP"), old format, one-octet length: 5 bytes. Every reader skips it. */
const MARKER = Uint8Array.of(0xa8, 0x03, 0x50, 0x47, 0x50);
/** The same with a two-octet length: 6 bytes, so any padding of 24 bytes or more adds up. */
const MARKER_6 = Uint8Array.of(0xa9, 0x00, 0x03, 0x50, 0x47, 0x50);

/**
 * Padding that goes in front of a stored attachment's ciphertext to bring `length` to its
 * bucket: a run of OpenPGP marker packets, which GnuPG 2.2 and openpgp.js both skip. (GnuPG 2.2
 * rejects packets after a streamed message, and a leading padding packet, so markers it is.)
 * Markers come in 5 and 6 bytes, so a ciphertext less than 24 bytes short of its bucket goes
 * to the next one.
 */
export function attachmentPadding(length: number): Uint8Array {
  let target = paddedAttachmentSize(length);
  if (target - length < 24) target = paddedAttachmentSize(target + 1);
  const missing = target - length;
  const sixes = missing % 5;
  const padding = new Uint8Array(missing);
  for (let i = 0; i < sixes; i++) padding.set(MARKER_6, i * 6);
  for (let offset = sixes * 6; offset < missing; offset += 5) padding.set(MARKER, offset);
  return padding;
}

/** openpgp.js reads marker packets one object at a time: drop the leading run first. */
export function withoutLeadingMarkers(bytes: Uint8Array): Uint8Array {
  let offset = 0;
  const at = (marker: Uint8Array) =>
    marker.every((byte, i) => bytes[offset + i] === byte) ? marker.length : 0;
  for (;;) {
    const step = at(MARKER) || at(MARKER_6);
    if (step === 0) return offset === 0 ? bytes : bytes.subarray(offset);
    offset += step;
  }
}
