// Editor key generation (`npm run editor -- keygen`, the demo and tests; never on the server).
import { generateKey } from "openpgp";
import { GPG22_CONFIG } from "./internal.js";

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
