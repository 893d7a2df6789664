// Export archives made in tests: a valid one encrypted to a test editor key (without running the
// bot), and raw tar entries with any header an attacker could write (links, devices, long names,
// NUL bytes, lying sizes), for the hostile-archive and fuzz tests.
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
// Only to make the compressed message the bot never writes.
import * as openpgp from "openpgp";
import type { EditorKeyring } from "../../src/services/crypto/editor-keys.js";
import {
  encryptBytesForEditors,
  encryptTextForEditors,
} from "../../src/services/crypto/for-editors.js";
import type { Manifest, ManifestPart } from "../../src/services/submissions/export.js";

const BLOCK = 512;

export interface RawEntry {
  /** Raw name bytes (may hold a NUL or be any length up to 100). */
  name: string | Uint8Array;
  data?: Uint8Array;
  /** Defaults to data.length; may lie. */
  size?: number;
  type?: string;
  linkName?: string;
  /** The ustar prefix field (345..500). */
  prefix?: string;
}

/** One 512-byte ustar header with a correct checksum, whatever the fields say. */
export function rawHeader(entry: RawEntry): Buffer {
  const block = Buffer.alloc(BLOCK);
  const name = typeof entry.name === "string" ? Buffer.from(entry.name) : Buffer.from(entry.name);
  name.copy(block, 0, 0, Math.min(name.length, 100));
  const octal = (offset: number, length: number, value: number) =>
    block.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, length, "latin1");
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, entry.size ?? entry.data?.length ?? 0);
  octal(136, 12, 0);
  block.write(entry.type ?? "0", 156, 1, "latin1");
  if (entry.linkName) block.write(entry.linkName, 157, 100, "utf8");
  block.write("ustar\0", 257, 6, "latin1");
  block.write("00", 263, 2, "latin1");
  if (entry.prefix) block.write(entry.prefix, 345, 155, "utf8");
  fixChecksum(block);
  return block;
}

/** Recomputes a header's checksum (after a test changed some of its bytes). */
export function fixChecksum(block: Buffer): void {
  block.write("        ", 148, 8, "latin1");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
}

/** Entries (data padded to blocks) and the end-of-archive marker. */
export function rawTar(entries: RawEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const entry of entries) {
    out.push(rawHeader(entry));
    const data = entry.data ?? new Uint8Array(0);
    out.push(Buffer.from(data), Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  out.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(out);
}

export function manifestOf(overrides: Partial<Manifest> & { parts?: unknown[] }): Manifest {
  return {
    format: 1,
    submission: 7,
    questionnaireVersion: 1,
    locale: "ru",
    status: "new",
    createdOn: "2026-03-01",
    parts: [],
    ...overrides,
  } as Manifest;
}

export const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2));

export interface ValidArchive {
  bytes: Buffer;
  manifest: Manifest;
  /** name → data, in archive order (manifest first). */
  entries: { name: string; data: Uint8Array }[];
}

/**
 * A valid archive of submission 7: a text answer, a choice, a voice file and a reply, encrypted
 * to `keyring` as the bot would. `meta` replaces the voice file's description (still encrypted).
 */
export async function makeValidArchive(
  keyring: EditorKeyring,
  options: { meta?: unknown; story?: string } = {},
): Promise<ValidArchive> {
  const parts: ManifestPart[] = [
    { file: "parts/0001.pgp", questionId: "service", kind: "choice", seq: 0 },
    { file: "parts/0002.pgp", questionId: "story", kind: "text", seq: 0 },
    {
      file: "parts/0003.pgp",
      questionId: "story",
      kind: "attachment",
      seq: 1,
      body: "parts/0003.body.pgp",
    },
    { file: "parts/0004.pgp", questionId: "reply", kind: "reply", seq: 0 },
  ];
  const manifest = manifestOf({ parts });
  const meta = options.meta ?? { kind: "voice", mimeType: "audio/ogg", duration: 3 };
  const entries = [
    { name: "manifest.json", data: json(manifest) },
    { name: "parts/0001.pgp", data: await encryptTextForEditors(keyring, "mobilized") },
    {
      name: "parts/0002.pgp",
      data: await encryptTextForEditors(keyring, options.story ?? "Нас держали в ангаре"),
    },
    { name: "parts/0003.pgp", data: await encryptTextForEditors(keyring, JSON.stringify(meta)) },
    {
      name: "parts/0003.body.pgp",
      data: await encryptBytesForEditors(keyring, Buffer.from("OggS fake voice bytes")),
    },
    { name: "parts/0004.pgp", data: await encryptTextForEditors(keyring, "Спасибо") },
  ];
  return { bytes: rawTar(entries), manifest, entries };
}

/**
 * A message to the editors whose literal data sits in a zlib-compressed packet: `size` zero
 * bytes that compress about a thousandfold. The bot never writes one.
 */
export async function compressedMessage(armoredPublicKey: string, size: number) {
  const key = await openpgp.readKey({ armoredKey: armoredPublicKey });
  const message = await openpgp.createMessage({ binary: new Uint8Array(size) });
  return (await openpgp.encrypt({
    message,
    encryptionKeys: key,
    format: "binary",
    config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib },
  })) as Uint8Array;
}

/** Every file below `root` (recursively), as paths relative to it. */
export function filesBelow(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      if (lstatSync(full).isDirectory()) walk(full, rel);
      else out.push(rel);
    }
  };
  walk(root, "");
  return out.sort();
}
