// Where the review desk's testimonies come from: export archives given on the command line (read
// only), or the server's database through the repositories and the export service. Either way the
// desk gets ciphertext; it decrypts on the editor's computer (session.ts).
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { type CheckedManifest, fileChunks, readArchive } from "../services/archive/reader.js";
import { groupVolumes } from "../services/archive/tar-header.js";
import type { EditorKeyring } from "../services/crypto/editor-keys.js";
import { type SubmissionSummary, summaryOf } from "../services/submissions/editorial.js";
import type { Status } from "../services/submissions/submit.js";
import type { Storage } from "../storage/db.js";
import { createEditorServices } from "../wiring.js";

/** What the inbox shows of a submission: metadata and counts, nothing that needs a key. */
export type InboxEntry = SubmissionSummary;

/** What editors can change: only with the database. */
export interface DeskWork {
  setStatus(number: number, status: Status, actorHash: string): Promise<boolean>;
  addNote(number: number, text: string, actorHash: string): Promise<boolean>;
  reply(
    number: number,
    text: string,
    actorHash: string,
  ): Promise<{ stored: boolean; noticeRequested: boolean }>;
}

export interface DeskSource {
  kind: "archives" | "database";
  /** How many archives were given (archives only). */
  archives?: number;
  /** Archives that could not be read, each with the reason (the page lists them). */
  problems: string[];
  list(): Promise<InboxEntry[]>;
  /** The encrypted archive of one submission as a stream, or undefined if there is none. */
  archive(number: number): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** One small encrypted part of the submission, to check that a key fits. */
  samplePart(number: number): Promise<Uint8Array | undefined>;
  work?: DeskWork;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Archives

const ARCHIVE_FILE = /\.tar(\.\d{3})?$/;

interface ArchiveSet {
  /** The volume files in order (one for an archive that was not split). */
  files: string[];
  manifest: CheckedManifest;
}

/** An archive's line in the inbox: the same summary and counts as the editors' chat shows. */
export function countsOf(manifest: CheckedManifest): InboxEntry {
  const byKind = new Map<string, number>();
  for (const { kind } of manifest.parts) byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  return summaryOf(
    {
      number: manifest.submission,
      status: manifest.status,
      createdOn: manifest.createdOn,
      locale: manifest.locale,
      questionnaireVersion: manifest.questionnaireVersion,
    },
    byKind,
  );
}

/** Files and folders (their *.tar and *.tar.NNN files) → archives grouped with their volumes. */
async function archiveFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const entry of paths) {
    const info = await stat(entry).catch(() => undefined);
    if (info?.isDirectory()) {
      const names = (await readdir(entry)).filter((name) => ARCHIVE_FILE.test(name)).sort();
      files.push(...names.map((name) => path.join(entry, name)));
    } else {
      files.push(entry);
    }
  }
  return files;
}

/** Reads only the manifests at start: the archives themselves are read when a testimony opens. */
export async function openArchiveSource(paths: readonly string[]): Promise<DeskSource> {
  const problems: string[] = [];
  const byNumber = new Map<number, ArchiveSet>();
  const groups = groupVolumes(await archiveFiles(paths));
  for (const [base, files] of groups) {
    try {
      const { manifest } = await readArchive(fileChunks([files[0] as string]), { leading: 1 });
      const earlier = byNumber.get(manifest.submission);
      if (earlier) {
        problems.push(`${base}: #${manifest.submission} is already open from ${earlier.files[0]}`);
        continue;
      }
      byNumber.set(manifest.submission, { files, manifest });
    } catch (error) {
      problems.push(`${base}: ${describeReadError(error)}`);
    }
  }

  return {
    kind: "archives",
    archives: byNumber.size,
    problems,
    async list() {
      return [...byNumber.values()].map((set) => countsOf(set.manifest));
    },
    async archive(number) {
      const set = byNumber.get(number);
      return set ? fileChunks(set.files) : undefined;
    },
    async samplePart(number) {
      const set = byNumber.get(number);
      const first = set?.manifest.parts[0];
      if (!set || !first) return undefined;
      try {
        const { entries } = await readArchive(fileChunks([set.files[0] as string]), {
          leading: 2,
        });
        return entries.get(first.file);
      } catch {
        return undefined; // e.g. the first volume ends inside it: no sample, no verdict
      }
    },
    async close() {
      byNumber.clear();
    },
  };
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// The database

/**
 * The server's database, read through the repositories; each testimony is exported in memory
 * (the same archive the editors' chat gets) when it is opened. `keyring`: the editors' public
 * keys, to encrypt notes and replies.
 */
export function databaseSource(
  storage: Storage,
  keyring: EditorKeyring,
  options: { closeStorage: boolean },
): DeskSource {
  // The reply notice to a source's chat needs the bot: the desk only stores replies.
  const { submissions, parts, exporter, editorial } = createEditorServices({
    db: storage.db,
    keyring,
  });

  return {
    kind: "database",
    problems: [],
    list: () => editorial.list(undefined, Number.MAX_SAFE_INTEGER),
    async archive(number) {
      const row = await submissions.findByNumber(number);
      return row ? exporter.archive(row) : undefined;
    },
    async samplePart(number) {
      const row = await submissions.findByNumber(number);
      if (!row) return undefined;
      const [first] = await parts.listForSubmission(row.id);
      return first?.ciphertext;
    },
    work: {
      setStatus: async (number, status, actorHash) =>
        (await editorial.setStatus(number, status, actorHash)) !== undefined,
      addNote: (number, text, actorHash) => editorial.addNote(number, text, actorHash),
      async reply(number, text, actorHash) {
        const result = await editorial.reply(number, text, actorHash);
        // A reply notice is kept in the bot's memory only: the desk cannot send one.
        return { stored: result.stored, noticeRequested: false };
      },
    },
    async close() {
      if (options.closeStorage) await storage.close();
    },
  };
}
