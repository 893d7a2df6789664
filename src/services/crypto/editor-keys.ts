// The editors' public keys: which key files the server accepts (one v4 public key per file, not
// revoked, not expired, with an encryption subkey GnuPG 2.2 can use) and their fingerprints.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { enums, type Key, type PublicKey, readKeys } from "openpgp";
import { armoredText, errorMessage, GPG22_CONFIG } from "./internal.js";

/** File name endings taken from an EDITOR_KEYS folder. */
export const KEY_FILE_EXTENSIONS = [".asc", ".pgp", ".gpg", ".key"] as const;

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

export interface EditorKeyInfo {
  /** The file the key came from, as given (folder entries are joined to their folder). */
  file: string;
  /** Primary key fingerprint, uppercase hex without spaces; see formatFingerprint. */
  fingerprint: string;
  userIds: string[];
  created: Date;
  /** null: the key does not expire. */
  expires: Date | null;
  /** The id of the subkey messages are encrypted to (what their recipient packets name). */
  encryptionKeyId: string;
}

/** Validated editor public keys. Only loadEditorKeys makes one; the key objects stay inside. */
export interface EditorKeyring {
  readonly fingerprints: readonly string[];
  readonly editors: readonly EditorKeyInfo[];
  /** Things to tell whoever gave the keys, e.g. a private key file lying next to them. */
  readonly warnings: readonly string[];
}

/** Fixed keys, or (a live keyring) the keys in use right now. */
const keyringKeys = new WeakMap<
  EditorKeyring,
  readonly PublicKey[] | (() => readonly PublicKey[])
>();

/** The openpgp keys behind a keyring, for the encryption modules of this folder. */
export function keysOf(keyring: EditorKeyring): readonly PublicKey[] {
  const keys = keyringKeys.get(keyring);
  if (!keys) throw new Error("EditorKeyring must come from loadEditorKeys");
  return typeof keys === "function" ? keys() : keys;
}

/**
 * The keys in use right now, fixed: what one message (or an attachment and its description) is
 * encrypted to, and what its part records as recipients.
 */
export function currentKeys(keyring: EditorKeyring): EditorKeyring {
  const entry = keyringKeys.get(keyring);
  if (typeof entry !== "function") return keyring;
  const fixed: EditorKeyring = Object.freeze({
    fingerprints: keyring.fingerprints,
    editors: keyring.editors,
    warnings: keyring.warnings,
  });
  keyringKeys.set(fixed, entry());
  return fixed;
}

/** A keyring whose keys in use can change while the bot runs (see liveKeyring). */
export interface LiveKeyring {
  /** Encrypts to the keys in use only; hand it to everything that encrypts for editors. */
  readonly keyring: EditorKeyring;
  /** Every key EDITOR_KEYS gave, in use or not. */
  readonly all: EditorKeyring;
  /** Puts these keys (fingerprints of `all`) in use, and no others. */
  use(fingerprints: readonly string[]): void;
}

/**
 * The editors' keys with only some of them in use: a key that appeared in EDITOR_KEYS since the
 * last start receives nothing until an editor confirms it (services/crypto/key-set.ts).
 */
export function liveKeyring(all: EditorKeyring, inUse: readonly string[]): LiveKeyring {
  const allKeys = keysOf(all);
  let editors: readonly EditorKeyInfo[] = [];
  let keys: readonly PublicKey[] = [];
  const use = (fingerprints: readonly string[]) => {
    const wanted = new Set(fingerprints);
    const picked = all.editors.flatMap((editor, i) =>
      wanted.has(editor.fingerprint) ? [{ editor, key: allKeys[i] as PublicKey }] : [],
    );
    editors = Object.freeze(picked.map((p) => p.editor));
    keys = Object.freeze(picked.map((p) => p.key));
  };
  use(inUse);
  const keyring: EditorKeyring = Object.freeze({
    get fingerprints() {
      return Object.freeze(editors.map((e) => e.fingerprint));
    },
    get editors() {
      return editors;
    },
    warnings: all.warnings,
  });
  keyringKeys.set(keyring, () => keys);
  return { keyring, all, use };
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
    encryptionKeyId: encryptionKey.getKeyID().toHex().toUpperCase(),
  };
}

function unsupportedAlgorithmReason(algorithm: number): string {
  const name = enums.read(enums.publicKey, algorithm as enums.publicKey) ?? String(algorithm);
  return (
    `uses the ${name} algorithm, which GnuPG 2.2 cannot use; give a key made with ` +
    "gpg (ed25519/cv25519 or RSA) or `npm run editor -- keygen`"
  );
}

/** For each recipient key id that belongs to a key of the keyring: that key's primary fingerprint. */
export function primaryFingerprintsOf(keyring: EditorKeyring, keyIds: string[]): string[] {
  const wanted = new Set(keyIds.map((id) => id.toUpperCase()));
  return keysOf(keyring)
    .filter((key) => key.getKeys().some((k) => wanted.has(k.getKeyID().toHex().toUpperCase())))
    .map((key) => key.getFingerprint().toUpperCase());
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
