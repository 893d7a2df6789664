// What an editor would read: every part of a submission, decrypted with an editor's private key.
import {
  decryptPartWithUnlockedKey,
  decryptWithUnlockedKey,
  unlockPrivateKey,
} from "../../src/services/crypto/decrypt.js";
import { decodePaddedText } from "../../src/services/crypto/padding.js";
import type { PartsRepository } from "../../src/storage/parts.repo.js";
import type { TestKey } from "./keys.js";

export interface DecryptedPart {
  questionId: string;
  kind: string;
  text: string;
  /** The file body, for attachments. */
  file?: Uint8Array;
  ciphertext: Uint8Array;
}

export async function decryptSubmission(
  parts: PartsRepository,
  submissionId: string,
  key: TestKey,
): Promise<DecryptedPart[]> {
  const unlocked = await unlockPrivateKey(key.armoredPrivateKey, key.passphrase);
  const result: DecryptedPart[] = [];
  for (const part of await parts.listForSubmission(submissionId)) {
    // Answers name their question and kind only inside the encryption.
    const { data, label } = await decryptPartWithUnlockedKey(unlocked, part.ciphertext);
    const entry: DecryptedPart = {
      questionId: label?.questionId ?? part.questionId ?? part.kind,
      kind: label?.kind ?? part.kind,
      text: decodePaddedText(data),
      ciphertext: part.ciphertext,
    };
    if (part.attachmentId) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of parts.readAttachment(part.attachmentId)) chunks.push(chunk);
      entry.file = await decryptWithUnlockedKey(unlocked, Buffer.concat(chunks));
    }
    result.push(entry);
  }
  return result;
}
