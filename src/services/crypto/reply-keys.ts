// Source reply keys (invariant 7): one key pair per submission, sealed with the codename, so
// an editor's reply can be read by the source (with the codename) and by every editor.
import { type PrivateKey, type PublicKey, readKey, readPrivateKey } from "openpgp";
import { DecryptionError, decryptMessage, WrongPassphraseError } from "./decrypt.js";
import { type EditorKeyring, keysOf } from "./editor-keys.js";
import { encryptBytes } from "./for-editors.js";
import { errorMessage, GPG22_CONFIG, startOfDay } from "./internal.js";
import { keyWorkerCall } from "./key-worker.js";
import { decodePaddedText, padText } from "./padding.js";

/** The user id of every source reply key: nothing about the source. */
const REPLY_KEY_USER_ID = "source";

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
