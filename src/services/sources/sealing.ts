// Small secrets at rest: HMAC of Telegram ids (pepper) and AES-256-GCM sealing (server key).
// OpenPGP is for what editors read; this is for what only the server itself needs back.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

export class SealError extends Error {
  readonly safeToLog = true;
  constructor(message: string) {
    super(message);
    this.name = "SealError";
  }
}

/** HMAC-SHA256(pepper, id): the only form in which a Telegram id may be stored. */
export function hashTelegramId(pepper: Uint8Array, id: number | string, purpose = "user"): string {
  return createHmac("sha256", pepper).update(`${purpose}:${id}`).digest("hex");
}

export interface Sealer {
  /** `context` binds the ciphertext to its use (e.g. "draft:<user id>"): it must match on unseal. */
  seal(plaintext: Uint8Array, context: string): Uint8Array;
  unseal(sealed: Uint8Array, context: string): Uint8Array;
  sealJson(value: unknown, context: string): Uint8Array;
  unsealJson<T>(sealed: Uint8Array, context: string): T;
}

const VERSION = 1;

export function createSealer(serverKey: Uint8Array): Sealer {
  const keyFor = (context: string) =>
    Buffer.from(hkdfSync("sha256", serverKey, "testimony-bot", `seal:${context}`, 32));

  const seal = (plaintext: Uint8Array, context: string): Uint8Array => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", keyFor(context), iv);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  };

  const unseal = (sealed: Uint8Array, context: string): Uint8Array => {
    const data = Buffer.from(sealed);
    if (data.length < 29 || data[0] !== VERSION) throw new SealError("sealed data is damaged");
    const decipher = createDecipheriv("aes-256-gcm", keyFor(context), data.subarray(1, 13));
    decipher.setAuthTag(data.subarray(13, 29));
    try {
      return Buffer.concat([decipher.update(data.subarray(29)), decipher.final()]);
    } catch {
      throw new SealError("sealed data does not match this key or context");
    }
  };

  return {
    seal,
    unseal,
    sealJson: (value, context) => seal(Buffer.from(JSON.stringify(value), "utf8"), context),
    unsealJson: <T>(sealed: Uint8Array, context: string) =>
      JSON.parse(Buffer.from(unseal(sealed, context)).toString("utf8")) as T,
  };
}
