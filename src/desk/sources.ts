// Where the review desk's testimonies come from: export archives given on the command line (read
// only), or the server's database through the repositories and the export service. Either way the
// desk gets ciphertext; it decrypts on the editor's computer (session.ts).
import { open, readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { SubmissionSummary } from "../services/editorial.js";
import { createEditorialService } from "../services/editorial.js";
import type { EditorKeyring } from "../services/encryption.js";
import { createExportService, type Manifest } from "../services/export.js";
import type { Status } from "../services/submissions.js";
import { ArchiveError, groupVolumes, parseTarHeader, TAR_BLOCK } from "../services/tar.js";
import { readManifest } from "../services/testimony.js";
import { createAuditRepository } from "../storage/audit.repo.js";
import type { Storage } from "../storage/db.js";
import { createPartsRepository } from "../storage/parts.repo.js";
import { createSubmissionsRepository } from "../storage/submissions.repo.js";

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
  /** The whole encrypted archive of one submission, or undefined if there is none. */
  archive(number: number): Promise<Uint8Array | undefined>;
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
  manifest: Manifest;
}

/** Counts per kind of part, as the editors' chat shows them. */
export function countsOf(manifest: Manifest): InboxEntry {
  const of = (kind: string) => manifest.parts.filter((part) => part.kind === kind).length;
  return {
    number: manifest.submission,
    status: manifest.status,
    createdOn: manifest.createdOn,
    locale: manifest.locale,
    questionnaireVersion: manifest.questionnaireVersion,
    answers: of("answer") + of("text") + of("choice"),
    attachments: of("attachment"),
    followUps: of("followup"),
    replies: of("reply"),
    notes: of("note"),
  };
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

/**
 * The first `count` entries of an archive, read from the start of its first volume without
 * reading the rest (the manifest comes first, then the small parts).
 */
async function leadingEntries(file: string, count: number): Promise<Map<string, Uint8Array>> {
  const handle = await open(file, "r");
  try {
    const entries = new Map<string, Uint8Array>();
    let offset = 0;
    while (entries.size < count) {
      const header = Buffer.alloc(TAR_BLOCK);
      const { bytesRead } = await handle.read(header, 0, TAR_BLOCK, offset);
      if (bytesRead < TAR_BLOCK) throw new ArchiveError("the archive is truncated");
      const entry = parseTarHeader(header);
      if (!entry) break;
      const data = Buffer.alloc(entry.size);
      const read = await handle.read(data, 0, entry.size, offset + TAR_BLOCK);
      if (read.bytesRead < entry.size) throw new ArchiveError("the archive is truncated");
      entries.set(entry.name, data);
      offset += TAR_BLOCK + Math.ceil(entry.size / TAR_BLOCK) * TAR_BLOCK;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/** Reads only the manifests at start: the archives themselves are read when a testimony opens. */
export async function openArchiveSource(paths: readonly string[]): Promise<DeskSource> {
  const problems: string[] = [];
  const byNumber = new Map<number, ArchiveSet>();
  const groups = groupVolumes(await archiveFiles(paths));
  for (const [base, files] of groups) {
    try {
      const manifest = readManifest(await leadingEntries(files[0] as string, 1));
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
      if (!set) return undefined;
      return Buffer.concat(await Promise.all(set.files.map((file) => readFile(file))));
    },
    async samplePart(number) {
      const set = byNumber.get(number);
      const first = set?.manifest.parts[0];
      if (!set || !first) return undefined;
      try {
        return (await leadingEntries(set.files[0] as string, 2)).get(first.file);
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
  const { db } = storage;
  const submissions = createSubmissionsRepository({ db });
  const parts = createPartsRepository({ db });
  const exporter = createExportService({ parts });
  // No sealer: the reply notice to a source's chat needs the bot; the desk only stores replies.
  const editorial = createEditorialService({
    db,
    submissions,
    parts,
    audit: createAuditRepository({ db }),
    keyring,
  });

  return {
    kind: "database",
    problems: [],
    list: () => editorial.list(undefined, Number.MAX_SAFE_INTEGER),
    async archive(number) {
      const row = await submissions.findByNumber(number);
      if (!row) return undefined;
      const chunks: Uint8Array[] = [];
      for await (const chunk of exporter.archive(row)) chunks.push(chunk);
      return Buffer.concat(chunks);
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
