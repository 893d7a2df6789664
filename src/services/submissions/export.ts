// Encrypted export: one tar archive per submission with every part exactly as stored
// (ciphertext) and a manifest that says what each part is. No plaintext content.
import type { PartKind, PartRow, PartsRepository } from "../../storage/parts.repo.js";
import type { SubmissionRow } from "../../storage/submissions.repo.js";
import { recipientKeyIdsOf } from "../crypto/decrypt.js";
import { type EditorKeyring, primaryFingerprintsOf } from "../crypto/editor-keys.js";

import { parseRecipients } from "../crypto/recipients.js";
import { writeTar } from "./tar.js";

/**
 * 2: answers carry their question id and kind inside the encryption (the literal data packet's
 * file name), so the manifest lists them without; 1: the manifest names each part's question.
 */
export const EXPORT_FORMAT = 2;
/** Telegram bots may upload up to 50 MB; volumes stay below it. */
export const VOLUME_SIZE = 49 * 1024 * 1024;

export interface ManifestPart {
  /** The encrypted part (an answer, a file's description, a follow-up, a reply). */
  file: string;
  /** Only for parts stored before question ids moved inside the ciphertext (and format 1). */
  questionId?: string;
  kind: PartKind;
  seq: number;
  /** The day it was stored (YYYY-MM-DD): editors see when an addition or reply came. */
  createdOn?: string;
  /** For attachments: the encrypted file body. */
  body?: string;
}

export interface Manifest {
  format: number;
  submission: number;
  questionnaireVersion: number;
  locale: string;
  status: string;
  createdOn: string;
  /**
   * Primary fingerprints of the editors' keys the parts are encrypted to (from the first part),
   * so "not for your key" can say whose key it is for. Absent when the exporter had no keyring.
   */
  recipients?: string[];
  /** The public note a source sees with the status (base64 of its ciphertext, also to editors). */
  statusNote?: string;
  parts: ManifestPart[];
}

export function archiveName(number: number): string {
  if (!Number.isSafeInteger(number) || number < 1)
    throw new Error(`not a submission number: ${number}`);
  return `submission-${number}.tar`;
}

export function createExportService(deps: { parts: PartsRepository; keyring?: EditorKeyring }) {
  const recipientsOf = async (row: PartRow | undefined) => {
    if (!row) return undefined;
    // The part's own list says whose keys it is for (grants included); older parts only name
    // subkey ids, which the keyring maps to fingerprints.
    const listed = storedFingerprints(row.recipients);
    if (listed.length > 0) return listed;
    if (!deps.keyring) return undefined;
    return primaryFingerprintsOf(deps.keyring, await recipientKeyIdsOf(row.ciphertext));
  };
  return {
    /** The archive as a stream of chunks; attachment bodies are read chunk by chunk. */
    async *archive(submission: SubmissionRow): AsyncGenerator<Uint8Array> {
      const rows = await deps.parts.listForSubmission(submission.id);
      const recipients = await recipientsOf(rows[0]);
      const manifest: Manifest = {
        format: EXPORT_FORMAT,
        submission: submission.number,
        questionnaireVersion: submission.questionnaireVersion,
        locale: submission.locale,
        status: submission.status,
        createdOn: submission.createdOn,
        ...(recipients ? { recipients } : {}),
        ...(submission.statusNote
          ? { statusNote: Buffer.from(submission.statusNote).toString("base64") }
          : {}),
        parts: rows.map((row, index) => {
          const base = `parts/${String(index + 1).padStart(4, "0")}`;
          return {
            file: `${base}.pgp`,
            ...(row.questionId ? { questionId: row.questionId } : {}),
            kind: row.kind as PartKind,
            seq: row.seq,
            createdOn: row.createdOn,
            ...(row.attachmentId ? { body: `${base}.body.pgp` } : {}),
          };
        }),
      };
      const parts = deps.parts;
      async function* entries() {
        const json = Buffer.from(JSON.stringify(manifest, null, 2), "utf8");
        yield { name: "manifest.json", size: json.length, chunks: [json] };
        for (const [index, row] of rows.entries()) {
          const entry = manifest.parts[index] as ManifestPart;
          yield { name: entry.file, size: row.ciphertext.length, chunks: [row.ciphertext] };
          if (row.attachmentId && entry.body) {
            yield {
              name: entry.body,
              size: await parts.attachmentSize(row.attachmentId),
              chunks: parts.readAttachment(row.attachmentId),
            };
          }
        }
      }
      yield* writeTar(entries());
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;

/** The fingerprints a stored recipient list names; none for a missing or malformed list. */
function storedFingerprints(value: unknown): string[] {
  try {
    return (parseRecipients(value) ?? []).flatMap((r) => (r.fingerprint ? [r.fingerprint] : []));
  } catch {
    return [];
  }
}
