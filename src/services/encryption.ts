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

  constructor(file: string, reason: string) {
    super(file ? `EDITOR_KEYS: ${file} ${reason}` : `EDITOR_KEYS: ${reason}`);
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

  constructor(fingerprint: string, recipientKeyIds: string[]) {
    const recipients = recipientKeyIds.length > 0 ? recipientKeyIds.join(", ") : "none";
    super(
      `this message was not encrypted to key ${formatFingerprint(fingerprint)}; ` +
        `it is for key ids: ${recipients}`,
    );
    this.fingerprint = fingerprint;
    this.recipientKeyIds = recipientKeyIds;
  }
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
export async function loadEditorKeys(paths: readonly string[]): Promise<EditorKeyring> {
  if (paths.length === 0) {
    throw new KeyError("", "is empty; give at least one editor public key file or folder");
  }
  const results = await checkEditorKeys(paths);
  const keys: PublicKey[] = [];
  const editors: EditorKeyInfo[] = [];
  for (const result of results) {
    if (!result.ok) throw result.error;
    keys.push(result.key);
    editors.push(result.info);
  }
  const keyring: EditorKeyring = Object.freeze({
    fingerprints: Object.freeze(editors.map((e) => e.fingerprint)),
    editors: Object.freeze(editors),
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
export async function checkEditorKeyPaths(paths: readonly string[]): Promise<EditorKeyCheck[]> {
  const results = await checkEditorKeys(paths);
  return results.map((r) => (r.ok ? { ok: true, file: r.file, info: r.info } : r));
}

/** Validates one key file with the server's rules; throws KeyError. */
export async function checkEditorKeyFile(file: string): Promise<EditorKeyInfo> {
  return (await readEditorKeyFile(file)).info;
}

type LoadedKey =
  | { ok: true; file: string; info: EditorKeyInfo; key: PublicKey }
  | { ok: false; file: string; error: KeyError };

async function checkEditorKeys(paths: readonly string[]): Promise<LoadedKey[]> {
  const results: LoadedKey[] = [];
  const seen = new Map<string, string>();
  const listed = new Set<string>();
  for (const entry of paths) {
    let files: string[];
    try {
      files = await listKeyFiles(entry);
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

/** A file stays itself; a folder becomes its key files, sorted by name. */
async function listKeyFiles(entry: string): Promise<string[]> {
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
  const keyFiles = names
    .filter((name) => !name.startsWith(".") && hasKeyFileExtension(name))
    .sort()
    .map((name) => path.join(entry, name));
  if (keyFiles.length === 0) {
    throw new KeyError(
      entry,
      `is a folder with no key files (${KEY_FILE_EXTENSIONS.map((e) => `*${e}`).join(", ")})`,
    );
  }
  return keyFiles;
}

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

export async function encryptTextForEditors(
  keyring: EditorKeyring,
  text: string,
): Promise<Uint8Array> {
  return encryptBytes(keysOf(keyring), padText(text));
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

async function encryptBytes(keys: readonly PublicKey[], bytes: Uint8Array): Promise<Uint8Array> {
  const message = await createMessage({ binary: bytes, format: "binary", date: startOfDay() });
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

/** Reads an armored (or binary) private key and unlocks it; WrongPassphraseError if wrong. */
export async function unlockPrivateKey(
  privateKey: string | Uint8Array,
  passphrase: string,
): Promise<UnlockedPrivateKey> {
  let locked: PrivateKey;
  try {
    locked =
      typeof privateKey === "string"
        ? await readPrivateKey({ armoredKey: privateKey })
        : await readPrivateKey({ binaryKey: privateKey });
  } catch (error) {
    throw new DecryptionError(`this is not an OpenPGP private key (${errorMessage(error)})`);
  }
  const key = await unlock(locked, passphrase, "private key");
  const handle: UnlockedPrivateKey = Object.freeze({
    fingerprint: key.getFingerprint().toUpperCase(),
    userIds: Object.freeze(key.getUserIDs()),
  });
  unlockedKeys.set(handle, key);
  return handle;
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

async function decryptMessage(key: PrivateKey, ciphertext: Uint8Array): Promise<Uint8Array> {
  const armored = armoredText(ciphertext);
  let message: Message<string> | Message<Uint8Array>;
  try {
    message =
      armored !== null
        ? await readMessage({ armoredMessage: armored })
        : await readMessage({ binaryMessage: ciphertext });
  } catch (error) {
    throw new DecryptionError(`this is not an OpenPGP message (${errorMessage(error)})`);
  }

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
    const { data } = await decrypt({ message, decryptionKeys: key, format: "binary" });
    return data;
  } catch (error) {
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
