// What the modules of this folder share; nothing outside src/services/crypto/ imports it.
import type { PartialConfig } from "openpgp";
import { enums } from "openpgp";

const utf8Decoder = new TextDecoder();

/**
 * Settings for everything we write. GnuPG 2.2 reads neither AEAD (SEIPDv2) data, v6 keys, nor
 * AEAD-protected secret keys; compression is off because it would squeeze the padding away.
 */
export const GPG22_CONFIG: PartialConfig = {
  aeadProtect: false,
  v6Keys: false,
  preferredSymmetricAlgorithm: enums.symmetric.aes256,
  preferredCompressionAlgorithm: enums.compression.uncompressed,
};

/** The file's text if it is ASCII-armored, null if it is binary OpenPGP (or garbage). */
export function armoredText(bytes: Uint8Array): string | null {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3; // UTF-8 BOM
  const first = bytes[start];
  // Every binary OpenPGP packet header has its top bit set; armored text starts with ASCII.
  if (first === undefined || (first & 0x80) !== 0) return null;
  return utf8Decoder.decode(bytes.subarray(start));
}

/** Midnight UTC today: the only time we write into packets (DESIGN §5, coarse timestamps). */
export function startOfDay(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
