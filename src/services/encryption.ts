// The only module that touches openpgp: editor keyring validation, encryption to editors
// (GnuPG 2.2 compatible), padding, source reply keys and the editors' decryption helpers.
import { readdir, readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import {
  createMessage,
  decrypt,
  decryptKey,
  encrypt,
  enums,
  generateKey,
  type Key,
  type Message,
  type PartialConfig,
  type PrivateKey,
  type PublicKey,
  readKey,
  readKeys,
  readMessage,
  readPrivateKey,
  type SessionKey,
} from "openpgp";

/** Text answers are padded to a multiple of this many bytes, so length says less (DESIGN §7.5). */
export const TEXT_PAD_BLOCK = 512;

/** File name endings taken from an EDITOR_KEYS folder. */
export const KEY_FILE_EXTENSIONS = [".asc", ".pgp", ".gpg", ".key"] as const;

/**
 * Settings for everything we write. GnuPG 2.2 reads neither AEAD (SEIPDv2) data, v6 keys, nor
 * AEAD-protected secret keys; compression is off because it would squeeze the padding away.
 */
const GPG22_CONFIG: PartialConfig = {
  aeadProtect: false,
  v6Keys: false,
  preferredSymmetricAlgorithm: enums.symmetric.aes256,
  preferredCompressionAlgorithm: enums.compression.uncompressed,
};

/** Public-key algorithms GnuPG 2.2 knows (RFC 4880 / 6637 / EdDSA draft). */
const GPG22_ALGORITHMS: ReadonlySet<number> = new Set([
  enums.publicKey.rsaEncryptSign,
  enums.publicKey.rsaEncrypt,
  enums.publicKey.rsaSign,
  enums.publicKey.elgamal,
  enums.publicKey.dsa,
  enums.publicKey.ecdh,
  enums.publicKey.ecdsa,
  enums.publicKey.eddsaLegacy,
]);

/** The user id of every source reply key: nothing about the source. */
const REPLY_KEY_USER_ID = "source";

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// Errors

/** An editor key file that the server must not use; the message says what to do about it. */
export class KeyError extends Error {
  override readonly name = "KeyError";
  readonly file: string;
  readonly reason: string;

  /** `option`: where the user gave the keys (EDITOR_KEYS, or --keys on the command line). */
  constructor(file: string, reason: string, option = "EDITOR_KEYS") {
    super(file ? `${option}: ${file} ${reason}` : `${option}: ${reason}`);
    this.file = file;
    this.reason = reason;
  }
}

/** A message or private key that cannot be decrypted. */
export class DecryptionError extends Error {
  override readonly name: string = "DecryptionError";
}

export class WrongPassphraseError extends DecryptionError {
  override readonly name = "WrongPassphraseError";

  constructor(message = "wrong passphrase for this private key") {
    super(message);
  }
}

export class NotForThisKeyError extends DecryptionError {
  override readonly name = "NotForThisKeyError";
  readonly fingerprint: string;
  readonly recipientKeyIds: string[];
  /** Primary fingerprints of the keys it is for, where known (an export's manifest says). */
  readonly recipientFingerprints: string[];

  constructor(
    fingerprint: string,
    recipientKeyIds: string[],
    recipientFingerprints: string[] = [],
  ) {
    super(
      `this message was not encrypted to your key ${formatFingerprint(fingerprint)}; ` +
        `it is for ${describeRecipients(recipientKeyIds, recipientFingerprints)}`,
    );
    this.fingerprint = fingerprint;
    this.recipientKeyIds = recipientKeyIds;
    this.recipientFingerprints = recipientFingerprints;
  }

  /** The same refusal, now naming the recipients' primary fingerprints. */
  withRecipients(fingerprints: string[]): NotForThisKeyError {
    return new NotForThisKeyError(this.fingerprint, this.recipientKeyIds, fingerprints);
  }
}

/**
 * Primary fingerprints in the form `/keys` and `keys check` print; encryption subkey ids (all a
 * message itself names) only when the fingerprints are not known.
 */
export function describeRecipients(keyIds: string[], fingerprints: string[]): string {
  if (fingerprints.length > 0) return `the keys ${fingerprints.map(formatFingerprint).join("; ")}`;
  if (keyIds.length === 0) return "no key at all";
  return `other keys (encryption subkey ids ${keyIds.join(", ")})`;
}

// ---------------------------------------------------------------------------------------------
// Editor keys

export interface EditorKeyInfo {
  /** The file the key came from, as given (folder entries are joined to their folder). */
  file: string;
  /** Primary key fingerprint, uppercase hex without spaces; see formatFingerprint. */
  fingerprint: string;
  userIds: string[];
  created: Date;
  /** null: the key does not expire. */
  expires: Date | null;
}

/** Validated editor public keys. Only loadEditorKeys makes one; the key objects stay inside. */
export interface EditorKeyring {
  readonly fingerprints: readonly string[];
  readonly editors: readonly EditorKeyInfo[];
  /** Things to tell whoever gave the keys, e.g. a private key file lying next to them. */
  readonly warnings: readonly string[];
}

const keyringKeys = new WeakMap<EditorKeyring, readonly PublicKey[]>();

function keysOf(keyring: EditorKeyring): readonly PublicKey[] {
  const keys = keyringKeys.get(keyring);
  if (!keys) throw new Error("EditorKeyring must come from loadEditorKeys");
  return keys;
}

/** "ABCD1234..." → "ABCD 1234 ..." */
export function formatFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/\s+/g, "").toUpperCase();
  return hex.match(/.{1,4}/g)?.join(" ") ?? "";
}

/**
 * Reads and validates every EDITOR_KEYS entry (files, or folders of key files) and refuses the
 * whole set if any key is unusable or appears twice. Throws the first KeyError found.
 */
export async function loadEditorKeys(
  paths: readonly string[],
  options: { option?: string } = {},
): Promise<EditorKeyring> {
  const option = options.option ?? "EDITOR_KEYS";
  if (paths.length === 0) {
    throw new KeyError("", "is empty; give at least one editor public key file or folder", option);
  }
  const warnings: string[] = [];
  const results = await checkEditorKeys(paths, warnings);
  const keys: PublicKey[] = [];
  const editors: EditorKeyInfo[] = [];
  for (const result of results) {
    if (!result.ok) throw new KeyError(result.error.file, result.error.reason, option);
    keys.push(result.key);
    editors.push(result.info);
  }
  const keyring: EditorKeyring = Object.freeze({
    fingerprints: Object.freeze(editors.map((e) => e.fingerprint)),
    editors: Object.freeze(editors),
    warnings: Object.freeze(warnings.map((warning) => `${option}: ${warning}`)),
  });
  keyringKeys.set(keyring, Object.freeze(keys));
  return keyring;
}

export type EditorKeyCheck =
  | { ok: true; file: string; info: EditorKeyInfo }
  | { ok: false; file: string; error: KeyError };

/**
 * The same checks as loadEditorKeys, but every file gets a verdict instead of stopping at the
 * first bad one (for `npm run editor -- keys check`).
 */
export async function checkEditorKeyPaths(
  paths: readonly string[],
  warnings: string[] = [],
): Promise<EditorKeyCheck[]> {
  const results = await checkEditorKeys(paths, warnings);
  return results.map((r) => (r.ok ? { ok: true, file: r.file, info: r.info } : r));
}

/** Validates one key file with the server's rules; throws KeyError. */
export async function checkEditorKeyFile(file: string): Promise<EditorKeyInfo> {
  return (await readEditorKeyFile(file)).info;
}

type LoadedKey =
  | { ok: true; file: string; info: EditorKeyInfo; key: PublicKey }
  | { ok: false; file: string; error: KeyError };

async function checkEditorKeys(paths: readonly string[], warnings: string[]): Promise<LoadedKey[]> {
  const results: LoadedKey[] = [];
  const seen = new Map<string, string>();
  const listed = new Set<string>();
  for (const entry of paths) {
    let files: string[];
    try {
      files = await listKeyFiles(entry, warnings);
    } catch (error) {
      results.push({ ok: false, file: entry, error: asKeyError(entry, error) });
      continue;
    }
    for (const file of files) {
      try {
        if (listed.has(path.resolve(file))) {
          throw new KeyError(file, "is listed more than once (directly and through its folder?)");
        }
        listed.add(path.resolve(file));
        const loaded = await readEditorKeyFile(file);
        const first = seen.get(loaded.info.fingerprint);
        if (first !== undefined) {
          throw new KeyError(
            file,
            `holds the same key as ${first} (${formatFingerprint(loaded.info.fingerprint)}); ` +
              "list each editor's key once",
          );
        }
        seen.set(loaded.info.fingerprint, file);
        results.push({ ok: true, file, ...loaded });
      } catch (error) {
        results.push({ ok: false, file, error: asKeyError(file, error) });
      }
    }
  }
  return results;
}

function asKeyError(file: string, error: unknown): KeyError {
  if (error instanceof KeyError) return error;
  return new KeyError(file, `could not be checked (${errorMessage(error)})`);
}

/**
 * A file stays itself; a folder becomes its key files, sorted by name: the *.public.asc files that
 * keygen writes, or, without any, every key file. Files named as private keys (keygen's
 * *.private.asc) are never taken from a folder; each one found adds a warning.
 */
async function listKeyFiles(entry: string, warnings: string[]): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(entry);
  } catch (error) {
    throw new KeyError(entry, describeFsError(error));
  }
  if (!info.isDirectory()) return [entry];

  let names: string[];
  try {
    names = await readdir(entry);
  } catch (error) {
    throw new KeyError(entry, describeFsError(error));
  }
  const candidates = names.filter((name) => !name.startsWith(".") && hasKeyFileExtension(name));
  const privateNamed = candidates.filter(isPrivateKeyName).sort();
  const others = candidates.filter((name) => !isPrivateKeyName(name));
  const publicNamed = others.filter((name) => name.toLowerCase().endsWith(PUBLIC_KEY_SUFFIX));
  const keyFiles = (publicNamed.length > 0 ? publicNamed : others)
    .sort()
    .map((name) => path.join(entry, name));
  for (const name of privateNamed) {
    warnings.push(
      `${path.join(entry, name)} looks like a private key and was not used; ` +
        "a private key should stay on its editor's computer, not next to the server's keys",
    );
  }
  if (keyFiles.length === 0) {
    const found = privateNamed.length > 0 ? ` (only private keys: ${privateNamed.join(", ")})` : "";
    throw new KeyError(
      entry,
      `is a folder with no public key files (*${PUBLIC_KEY_SUFFIX}, or ` +
        `${KEY_FILE_EXTENSIONS.map((e) => `*${e}`).join(", ")})${found}`,
    );
  }
  return keyFiles;
}

/** What keygen names the two halves of a key. */
const PUBLIC_KEY_SUFFIX = ".public.asc";
const isPrivateKeyName = (name: string) => /[.\-_](private|secret)\.[a-z]+$/i.test(name);

function hasKeyFileExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return KEY_FILE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "does not exist";
  if (code === "EACCES" || code === "EPERM") return "cannot be read (permission denied)";
  if (code === "EISDIR") return "is a folder, not a key file";
  return `cannot be read (${code ?? errorMessage(error)})`;
}

async function readEditorKeyFile(file: string): Promise<{ info: EditorKeyInfo; key: PublicKey }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new KeyError(file, describeFsError(error));
  }
  const key = await parseSingleKey(file, bytes);
  const info = await checkUsableByEditors(file, key);
  return { info, key };
}

const PRIVATE_KEY_REASON =
  "is a private key; give the public key (gpg --export --armor <id>), and keep the private key " +
  "off the server";

async function parseSingleKey(file: string, bytes: Uint8Array): Promise<PublicKey> {
  if (bytes.length === 0) throw new KeyError(file, "is empty; it should hold one public key");

  const armored = armoredText(bytes);
  if (armored !== null) {
    const blocks = armored.match(/-----BEGIN PGP [A-Z ,/0-9]+-----/g) ?? [];
    if (blocks.some((b) => b.includes("PRIVATE KEY"))) throw new KeyError(file, PRIVATE_KEY_REASON);
    if (blocks.length > 1) {
      throw new KeyError(
        file,
        `holds ${blocks.length} armored blocks; put each editor's key in its own file`,
      );
    }
  }

  let keys: Key[];
  try {
    keys =
      armored !== null
        ? await readKeys({ armoredKeys: armored, config: GPG22_CONFIG })
        : await readKeys({ binaryKeys: bytes, config: GPG22_CONFIG });
  } catch (error) {
    throw new KeyError(file, `is not an OpenPGP public key (${errorMessage(error)})`);
  }
  const [key, ...others] = keys;
  if (!key) throw new KeyError(file, "is not an OpenPGP public key (no key found)");
  if (others.length > 0) {
    const fingerprints = keys.map((k) => formatFingerprint(k.getFingerprint())).join("; ");
    throw new KeyError(
      file,
      `holds ${keys.length} keys (${fingerprints}); put each editor's key in its own file`,
    );
  }
  if (key.isPrivate()) throw new KeyError(file, PRIVATE_KEY_REASON);
  return key;
}

/** The file's text if it is ASCII-armored, null if it is binary OpenPGP (or garbage). */
function armoredText(bytes: Uint8Array): string | null {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3; // UTF-8 BOM
  const first = bytes[start];
  // Every binary OpenPGP packet header has its top bit set; armored text starts with ASCII.
  if (first === undefined || (first & 0x80) !== 0) return null;
  return utf8Decoder.decode(bytes.subarray(start));
}

async function checkUsableByEditors(file: string, key: PublicKey): Promise<EditorKeyInfo> {
  const fingerprint = key.getFingerprint().toUpperCase();
  const version = key.keyPacket.version;
  if (version !== 4) {
    throw new KeyError(
      file,
      `is a version ${version} key, which GnuPG 2.2 cannot use; give a version 4 key ` +
        "(made with gpg 2.2/2.4 defaults or `npm run editor -- keygen`)",
    );
  }
  if (!GPG22_ALGORITHMS.has(key.keyPacket.algorithm)) {
    throw new KeyError(file, unsupportedAlgorithmReason(key.keyPacket.algorithm));
  }
  const now = new Date();
  if (await key.isRevoked(undefined, undefined, now)) {
    throw new KeyError(file, "is revoked; ask its owner for their current public key");
  }
  const expires = await key.getExpirationTime();
  if (expires === null) {
    throw new KeyError(file, "has no valid self-signature; export the key again from its owner");
  }
  if (expires instanceof Date && expires.getTime() <= now.getTime()) {
    throw new KeyError(
      file,
      `expired on ${isoDay(expires)}; ask its owner to extend it ` +
        "(gpg --quick-set-expire <fingerprint> 2y '*' and gpg --quick-set-expire <fingerprint> 2y) " +
        "and export it again",
    );
  }
  try {
    await key.verifyPrimaryKey(now);
  } catch (error) {
    throw new KeyError(file, `cannot be used (${errorMessage(error)})`);
  }

  let encryptionKey: Awaited<ReturnType<Key["getEncryptionKey"]>>;
  try {
    encryptionKey = await key.getEncryptionKey(undefined, now);
  } catch (error) {
    throw new KeyError(
      file,
      "has no encryption subkey that is valid now " +
        `(${errorMessage(error)}); add one (gpg --quick-add-key <fingerprint> cv25519 encr) ` +
        "and export the key again",
    );
  }
  if (!GPG22_ALGORITHMS.has(encryptionKey.keyPacket.algorithm)) {
    throw new KeyError(file, unsupportedAlgorithmReason(encryptionKey.keyPacket.algorithm));
  }

  return {
    file,
    fingerprint,
    userIds: key.getUserIDs(),
    created: key.getCreationTime(),
    expires: expires instanceof Date ? expires : null,
  };
}

function unsupportedAlgorithmReason(algorithm: number): string {
  const name = enums.read(enums.publicKey, algorithm as enums.publicKey) ?? String(algorithm);
  return (
    `uses the ${name} algorithm, which GnuPG 2.2 cannot use; give a key made with ` +
    "gpg (ed25519/cv25519 or RSA) or `npm run editor -- keygen`"
  );
}

// ---------------------------------------------------------------------------------------------
// Encryption to editors

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

/** Text is padded (see padText); bytes are encrypted as they are. Returns binary OpenPGP. */
export async function encryptForEditors(
  keyring: EditorKeyring,
  data: string | Uint8Array,
): Promise<Uint8Array> {
  return typeof data === "string"
    ? encryptTextForEditors(keyring, data)
    : encryptBytesForEditors(keyring, data);
}

/**
 * `label` says what the part is (e.g. "choice:role"). It travels inside the encryption, as the
 * literal data packet's file name, so question ids never sit beside the ciphertext (DESIGN §3.5).
 */
export async function encryptTextForEditors(
  keyring: EditorKeyring,
  text: string,
  label?: string,
): Promise<Uint8Array> {
  return encryptBytes(keysOf(keyring), padText(text), label);
}

export async function encryptBytesForEditors(
  keyring: EditorKeyring,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  return encryptBytes(keysOf(keyring), bytes);
}

/** A web ReadableStream, which in Node is also async-iterable (`for await`). */
export type CiphertextStream = ReadableStream<Uint8Array> & AsyncIterable<Uint8Array>;

/**
 * Encrypts a stream (e.g. a downloaded attachment) chunk by chunk, so the plaintext and the
 * ciphertext are never both held whole. Nothing is read before the result is read.
 */
export function encryptStreamForEditors(
  keyring: EditorKeyring,
  input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): CiphertextStream {
  const keys = keysOf(keyring);
  const source = input instanceof ReadableStream ? input : iterableToStream(input);
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const output = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= (await encryptStream(keys, source)).getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await (reader ? reader.cancel(reason) : source.cancel(reason));
      },
    },
    { highWaterMark: 0 },
  );
  // Node's ReadableStream is async-iterable; the DOM lib types only say so with DOM.AsyncIterable.
  return output as CiphertextStream;
}

function iterableToStream(
  iterable: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): ReadableStream<Uint8Array> {
  const iterator = (async function* () {
    yield* iterable;
  })();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await iterator.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A fresh AES-256 session key passed explicitly: without one, openpgp.js picks SEIPDv2 (AEAD)
 * whenever every recipient key advertises it, and GnuPG 2.2 cannot read that.
 */
function freshSessionKey(): SessionKey {
  return { data: crypto.getRandomValues(new Uint8Array(32)), algorithm: "aes256" };
}

/** Midnight UTC today: the only time we write into packets (DESIGN §5, coarse timestamps). */
function startOfDay(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

async function encryptBytes(
  keys: readonly PublicKey[],
  bytes: Uint8Array,
  label?: string,
): Promise<Uint8Array> {
  const message = await createMessage({
    binary: bytes,
    format: "binary",
    date: startOfDay(),
    ...(label ? { filename: checkedLabel(label) } : {}),
  });
  return encrypt({
    message,
    encryptionKeys: [...keys],
    sessionKey: freshSessionKey(),
    format: "binary",
    config: GPG22_CONFIG,
  });
}

async function encryptStream(
  keys: readonly PublicKey[],
  source: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const message = await createMessage({ binary: source, format: "binary", date: startOfDay() });
  const encrypted: ReadableStream<Uint8Array> = await encrypt({
    message,
    encryptionKeys: [...keys],
    sessionKey: freshSessionKey(),
    format: "binary",
    config: GPG22_CONFIG,
  });
  return encrypted;
}

/** What a part label may look like: "<kind>:<question id>". */
const LABEL_PATTERN = /^[a-z]{1,32}:[a-z0-9_]{1,64}$/;

function checkedLabel(label: string): string {
  if (!LABEL_PATTERN.test(label)) throw new Error(`not a part label: ${JSON.stringify(label)}`);
  return label;
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
function withoutLeadingMarkers(bytes: Uint8Array): Uint8Array {
  let offset = 0;
  const at = (marker: Uint8Array) =>
    marker.every((byte, i) => bytes[offset + i] === byte) ? marker.length : 0;
  for (;;) {
    const step = at(MARKER) || at(MARKER_6);
    if (step === 0) return offset === 0 ? bytes : bytes.subarray(offset);
    offset += step;
  }
}

// ---------------------------------------------------------------------------------------------
// Source reply keys (invariant 7)

export interface ReplyKeyPair {
  /** Binary public key, stored with the submission. */
  publicKey: Uint8Array;
  /** Binary private key, protected with the codename as passphrase. */
  encryptedPrivateKey: Uint8Array;
}

/** A curve25519 v4 key pair for replies to one source; the codename is its only passphrase. */
export async function createReplyKeyPair(codename: string): Promise<ReplyKeyPair> {
  if (codename.length === 0) throw new Error("createReplyKeyPair: the codename must not be empty");
  const { publicKey, privateKey } = (await keyWorkerCall("generate", {
    userId: REPLY_KEY_USER_ID,
    passphrase: codename,
    // The key's creation time would otherwise date the submission to the second.
    date: startOfDay().getTime(),
    config: GPG22_CONFIG,
  })) as { publicKey: Uint8Array; privateKey: Uint8Array };
  return { publicKey, encryptedPrivateKey: privateKey };
}

/**
 * The OpenPGP S2K of a reply key (16 MiB of SHA-256 per key packet, two packets) is synchronous
 * in openpgp.js: on the main thread it held every other source's answer for tens of ms per
 * submit and per codename login. It runs in one worker thread instead, started on first use
 * (plain JavaScript, openpgp.js loaded from node_modules, so it works the same under tsx, the
 * compiled build and the tests). It only generates protected keys and unlocks them; the
 * unlocked key comes back to the caller, in memory, as openpgp.js would have held it anyway.
 */
const KEY_WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const { pathToFileURL } = require("node:url");
const loaded = import(pathToFileURL(workerData.openpgp).href);
parentPort.on("message", async ({ id, op, args }) => {
  try {
    const openpgp = await loaded;
    if (op === "generate") {
      const { publicKey, privateKey } = await openpgp.generateKey({
        type: "ecc",
        curve: "curve25519Legacy",
        userIDs: [{ name: args.userId }],
        passphrase: args.passphrase,
        date: new Date(args.date),
        format: "binary",
        config: args.config,
      });
      parentPort.postMessage({ id, result: { publicKey, privateKey } });
    } else {
      const locked = await openpgp.readPrivateKey({ binaryKey: args.key });
      const key = await openpgp.decryptKey({ privateKey: locked, passphrase: args.passphrase });
      parentPort.postMessage({ id, result: key.write() });
    }
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});`;

let keyWorker: Worker | undefined;
let nextCall = 0;
const pendingCalls = new Map<
  number,
  { resolve: (value: unknown) => void; reject: (error: Error) => void }
>();

function startKeyWorker(): Worker {
  const worker = new Worker(KEY_WORKER_CODE, {
    eval: true,
    workerData: { openpgp: createRequire(import.meta.url).resolve("openpgp") },
  });
  worker.on("message", (message: { id: number; result?: unknown; error?: string }) => {
    const call = pendingCalls.get(message.id);
    pendingCalls.delete(message.id);
    if (pendingCalls.size === 0) worker.unref(); // an idle worker never keeps the process alive
    if (message.error !== undefined) call?.reject(new Error(message.error));
    else call?.resolve(message.result);
  });
  const fail = (error: Error) => {
    keyWorker = undefined;
    for (const call of pendingCalls.values()) call.reject(error);
    pendingCalls.clear();
  };
  worker.on("error", fail);
  worker.on("exit", () => fail(new Error("the key worker stopped")));
  return worker;
}

function keyWorkerCall(op: "generate" | "unlock", args: Record<string, unknown>): Promise<unknown> {
  keyWorker ??= startKeyWorker();
  const worker = keyWorker;
  const id = nextCall++;
  worker.ref(); // while a call is out, the process waits for it
  return new Promise((resolve, reject) => {
    pendingCalls.set(id, { resolve, reject });
    worker.postMessage({ id, op, args });
  });
}

/** A reply the source (with the codename) and every editor can read; padded like answers. */
export async function encryptForSourceAndEditors(
  keyring: EditorKeyring,
  sourcePublicKey: Uint8Array,
  text: string,
): Promise<Uint8Array> {
  const sourceKey = await readReplyPublicKey(sourcePublicKey);
  return encryptBytes([...keysOf(keyring), sourceKey], padText(text));
}

/** Opens a reply with the codename; a wrong codename throws WrongPassphraseError. */
export async function decryptForSource(
  encryptedPrivateKey: Uint8Array,
  codename: string,
  ciphertext: Uint8Array,
): Promise<string> {
  const [text = ""] = await decryptAllForSource(encryptedPrivateKey, codename, [ciphertext]);
  return text;
}

/**
 * Opens several replies with one unlock of the reply key: the unlock is the slow part (one
 * OpenPGP S2K per key packet), the decryptions after it are fast.
 */
export async function decryptAllForSource(
  encryptedPrivateKey: Uint8Array,
  codename: string,
  ciphertexts: readonly Uint8Array[],
): Promise<string[]> {
  let locked: PrivateKey;
  try {
    locked = await readPrivateKey({ binaryKey: encryptedPrivateKey });
  } catch (error) {
    throw new DecryptionError(`the stored reply key is damaged (${errorMessage(error)})`);
  }
  // An unprotected stored key would open without the codename: refuse it rather than read it.
  if (locked.isDecrypted()) throw new DecryptionError("the stored reply key is not protected");
  let unlocked: Uint8Array;
  try {
    unlocked = (await keyWorkerCall("unlock", {
      key: encryptedPrivateKey,
      passphrase: codename,
    })) as Uint8Array;
  } catch (error) {
    if (/incorrect key passphrase/i.test(errorMessage(error))) {
      throw new WrongPassphraseError("wrong codename");
    }
    throw new DecryptionError(`could not unlock the reply key (${errorMessage(error)})`);
  }
  const key = await readPrivateKey({ binaryKey: unlocked });
  const texts: string[] = [];
  for (const ciphertext of ciphertexts) {
    texts.push(decodePaddedText(await decryptMessage(key, ciphertext)));
  }
  return texts;
}

async function readReplyPublicKey(bytes: Uint8Array): Promise<PublicKey> {
  const key = await readKey({ binaryKey: bytes });
  if (key.isPrivate()) throw new Error("encryptForSourceAndEditors: expected a public reply key");
  return key;
}

// ---------------------------------------------------------------------------------------------
// Editors' side: key generation and decryption (CLI and tests; never on the server)

export interface GeneratedEditorKey {
  armoredPrivateKey: string;
  armoredPublicKey: string;
  /** Uppercase hex without spaces. */
  fingerprint: string;
}

/** A v4 ed25519/cv25519 key pair that GnuPG 2.2 can import, protected with the passphrase. */
export async function generateEditorKey(options: {
  name: string;
  passphrase: string;
}): Promise<GeneratedEditorKey> {
  const name = options.name.trim();
  if (name.length === 0) throw new Error("generateEditorKey: the name must not be empty");
  if (options.passphrase.length === 0) {
    throw new Error("generateEditorKey: the passphrase must not be empty");
  }
  const { privateKey, publicKey } = await generateKey({
    type: "ecc",
    curve: "curve25519Legacy",
    userIDs: [{ name }],
    passphrase: options.passphrase,
    format: "object",
    config: GPG22_CONFIG,
  });
  return {
    armoredPrivateKey: privateKey.armor(),
    armoredPublicKey: publicKey.armor(),
    fingerprint: publicKey.getFingerprint().toUpperCase(),
  };
}

/** A private key with its secret material unlocked, for decrypting many messages. */
export interface UnlockedPrivateKey {
  readonly fingerprint: string;
  readonly userIds: readonly string[];
}

const unlockedKeys = new WeakMap<UnlockedPrivateKey, PrivateKey>();

async function readEditorPrivateKey(privateKey: string | Uint8Array): Promise<PrivateKey> {
  try {
    return typeof privateKey === "string"
      ? await readPrivateKey({ armoredKey: privateKey })
      : await readPrivateKey({ binaryKey: privateKey });
  } catch (error) {
    throw new DecryptionError(`this is not an OpenPGP private key (${errorMessage(error)})`);
  }
}

/** Every secret (sub)key that holds key material is unprotected (gpg with an empty passphrase). */
function isUnprotected(key: PrivateKey): boolean {
  const secrets = key
    .getKeys()
    .map(({ keyPacket }) => keyPacket)
    .filter((packet) => "isDummy" in packet && !packet.isDummy());
  return secrets.length > 0 && secrets.every((packet) => packet.isDecrypted() === true);
}

/**
 * Whether the key asks for a passphrase. A key kept without one (made with gpg, stored on an
 * encrypted disk) opens with none.
 */
export async function privateKeyNeedsPassphrase(privateKey: string | Uint8Array): Promise<boolean> {
  return !isUnprotected(await readEditorPrivateKey(privateKey));
}

/** Reads an armored (or binary) private key and unlocks it; WrongPassphraseError if wrong. */
export async function unlockPrivateKey(
  privateKey: string | Uint8Array,
  passphrase: string,
): Promise<UnlockedPrivateKey> {
  const locked = await readEditorPrivateKey(privateKey);
  const key = isUnprotected(locked) ? locked : await unlock(locked, passphrase, "private key");
  const handle: UnlockedPrivateKey = Object.freeze({
    fingerprint: key.getFingerprint().toUpperCase(),
    userIds: Object.freeze(key.getUserIDs()),
  });
  unlockedKeys.set(handle, key);
  return handle;
}

/** The ids of the (sub)keys a message is encrypted to, uppercase hex. */
export async function recipientKeyIdsOf(ciphertext: Uint8Array): Promise<string[]> {
  const message = await readAnyMessage(ciphertext);
  return message.getEncryptionKeyIDs().map((id) => id.toHex().toUpperCase());
}

/** For each recipient key id that belongs to a key of the keyring: that key's primary fingerprint. */
export function primaryFingerprintsOf(keyring: EditorKeyring, keyIds: string[]): string[] {
  const wanted = new Set(keyIds.map((id) => id.toUpperCase()));
  return keysOf(keyring)
    .filter((key) => key.getKeys().some((k) => wanted.has(k.getKeyID().toHex().toUpperCase())))
    .map((key) => key.getFingerprint().toUpperCase());
}

/**
 * Throws NotForThisKeyError when the message is not for this (still locked) private key: said
 * before the passphrase is asked, which would be typed for nothing.
 */
export async function checkMessageIsFor(privateKey: string, ciphertext: Uint8Array): Promise<void> {
  let key: PrivateKey;
  try {
    key = await readPrivateKey({ armoredKey: privateKey });
  } catch (error) {
    throw new DecryptionError(`this is not an OpenPGP private key (${errorMessage(error)})`);
  }
  const message = await readAnyMessage(ciphertext);
  const recipients = message.getEncryptionKeyIDs();
  const ours = key.getKeys().map((k) => k.getKeyID());
  if (!recipients.some((r) => ours.some((o) => o.equals(r, true)))) {
    throw new NotForThisKeyError(
      key.getFingerprint().toUpperCase(),
      recipients.map((r) => r.toHex().toUpperCase()),
    );
  }
}

async function readAnyMessage(
  ciphertext: Uint8Array,
): Promise<Message<string> | Message<Uint8Array>> {
  const armored = armoredText(ciphertext);
  try {
    return armored !== null
      ? await readMessage({ armoredMessage: armored, config: READ_CONFIG })
      : await readMessage({
          binaryMessage: withoutLeadingMarkers(ciphertext),
          config: READ_CONFIG,
        });
  } catch (error) {
    if (isDecompressionLimit(error)) throw new DecryptionError(COMPRESSED_REFUSED);
    throw new DecryptionError(`this is not an OpenPGP message (${errorMessage(error)})`);
  }
}

/** Decrypts binary or armored OpenPGP ciphertext with an unlocked key; returns the raw bytes. */
export async function decryptWithUnlockedKey(
  key: UnlockedPrivateKey,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const privateKey = unlockedKeys.get(key);
  if (!privateKey) throw new Error("UnlockedPrivateKey must come from unlockPrivateKey");
  return decryptMessage(privateKey, ciphertext);
}

export async function decryptWithPrivateKey(
  options: { armoredPrivateKey: string; passphrase: string },
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const key = await unlockPrivateKey(options.armoredPrivateKey, options.passphrase);
  return decryptWithUnlockedKey(key, ciphertext);
}

async function unlock(
  locked: PrivateKey,
  passphrase: string,
  what: "private key" | "reply key",
): Promise<PrivateKey> {
  if (locked.isDecrypted()) return locked;
  try {
    return await decryptKey({ privateKey: locked, passphrase });
  } catch (error) {
    if (/incorrect key passphrase/i.test(errorMessage(error))) {
      throw new WrongPassphraseError(
        what === "reply key" ? "wrong codename" : "wrong passphrase for this private key",
      );
    }
    throw new DecryptionError(`could not unlock the ${what} (${errorMessage(error)})`);
  }
}

/** A decrypted part and its label ("choice:role"), when the part was written with one. */
export interface DecryptedPart {
  data: Uint8Array;
  label?: { kind: string; questionId: string };
}

/** Like decryptWithUnlockedKey, and also reads the label from inside the encryption. */
export async function decryptPartWithUnlockedKey(
  key: UnlockedPrivateKey,
  ciphertext: Uint8Array,
): Promise<DecryptedPart> {
  const privateKey = unlockedKeys.get(key);
  if (!privateKey) throw new Error("UnlockedPrivateKey must come from unlockPrivateKey");
  const { data, filename } = await decryptLiteral(privateKey, ciphertext);
  if (!LABEL_PATTERN.test(filename)) return { data };
  const [kind = "", questionId = ""] = filename.split(":");
  return { data, label: { kind, questionId } };
}

/**
 * What we decrypt never holds a compressed packet (we never compress: GPG22_CONFIG). A crafted one
 * could expand a thousandfold, so any decompressed byte stops decryption.
 */
const READ_CONFIG: PartialConfig = { maxDecompressedMessageSize: 0 };
const COMPRESSED_REFUSED =
  "this message holds compressed data, which the bot never writes; it was refused unread";

function isDecompressionLimit(error: unknown): boolean {
  return /decompressed message size/i.test(errorMessage(error));
}

async function decryptMessage(key: PrivateKey, ciphertext: Uint8Array): Promise<Uint8Array> {
  return (await decryptLiteral(key, ciphertext)).data;
}

async function decryptLiteral(
  key: PrivateKey,
  ciphertext: Uint8Array,
): Promise<{ data: Uint8Array; filename: string }> {
  const message = await readAnyMessage(ciphertext);

  const fingerprint = key.getFingerprint().toUpperCase();
  const recipients = message.getEncryptionKeyIDs();
  const ours = key.getKeys().map((k) => k.getKeyID());
  const forUs = recipients.some((r) => ours.some((o) => o.equals(r, true)));
  if (!forUs) {
    throw new NotForThisKeyError(
      fingerprint,
      recipients.map((r) => r.toHex().toUpperCase()),
    );
  }

  try {
    const { data, filename } = await decrypt({
      message,
      decryptionKeys: key,
      format: "binary",
      config: READ_CONFIG,
    });
    return { data, filename: filename ?? "" };
  } catch (error) {
    if (isDecompressionLimit(error)) throw new DecryptionError(COMPRESSED_REFUSED);
    if (/session key decryption failed/i.test(errorMessage(error))) {
      throw new NotForThisKeyError(
        fingerprint,
        recipients.map((r) => r.toHex().toUpperCase()),
      );
    }
    throw new DecryptionError(`the message could not be decrypted (${errorMessage(error)})`);
  }
}

// ---------------------------------------------------------------------------------------------

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
