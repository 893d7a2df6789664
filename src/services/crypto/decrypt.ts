// The editors' side: unlocking a private key and decrypting what the bot stored (CLI, desk and
// tests; the server holds no editor private key), and the errors a decryption can end in. The
// server uses recipientKeyIdsOf (export manifests) and decryptMessage (through reply-keys.ts, to
// open replies with a source's codename).
import {
  decrypt,
  decryptKey,
  type Message,
  type PartialConfig,
  type PrivateKey,
  readMessage,
  readPrivateKey,
} from "openpgp";
import { formatFingerprint } from "./editor-keys.js";
import { LABEL_PATTERN } from "./for-editors.js";
import { armoredText, errorMessage } from "./internal.js";
import { withoutLeadingMarkers } from "./padding.js";

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

/** A private key with its secret material unlocked, for decrypting many messages. */
export interface UnlockedPrivateKey {
  readonly fingerprint: string;
  readonly userIds: readonly string[];
}

const unlockedKeys = new WeakMap<UnlockedPrivateKey, PrivateKey>();

/** The openpgp key behind a handle, for the modules of this folder (recipients.ts). */
export function privateKeyOf(handle: UnlockedPrivateKey): PrivateKey {
  const key = unlockedKeys.get(handle);
  if (!key) throw new Error("UnlockedPrivateKey must come from unlockPrivateKey");
  return key;
}

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

export async function decryptMessage(key: PrivateKey, ciphertext: Uint8Array): Promise<Uint8Array> {
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
