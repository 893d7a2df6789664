// What an editor would read: every part of a submission, decrypted with an editor's private key.
import { decodePaddedText, decryptWithPrivateKey } from "../../src/services/encryption.js";
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
  const unlock = { armoredPrivateKey: key.armoredPrivateKey, passphrase: key.passphrase };
  const result: DecryptedPart[] = [];
  for (const part of await parts.listForSubmission(submissionId)) {
    const text = decodePaddedText(await decryptWithPrivateKey(unlock, part.ciphertext));
    const entry: DecryptedPart = {
      questionId: part.questionId,
      kind: part.kind,
      text,
      ciphertext: part.ciphertext,
    };
    if (part.attachmentId) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of parts.readAttachment(part.attachmentId)) chunks.push(chunk);
      entry.file = await decryptWithPrivateKey(unlock, Buffer.concat(chunks));
    }
    result.push(entry);
  }
  return result;
}
