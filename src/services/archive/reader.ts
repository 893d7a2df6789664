// Reading export archives on an editor's computer. An archive is hostile input (anyone with an
// editor's public key can make one, anyone who can write to the database can plant what /export
// copies): it is read as a stream with fixed limits, nothing is allocated by a size a header
// declares, every entry name and every manifest value is checked against an allow-list, and a
// bad archive fails as a whole before anything is written.
import { createReadStream } from "node:fs";
import { z } from "zod";
import { EXPORT_FORMAT, type Manifest } from "../submissions/export.js";
import { ArchiveError, parseTarHeader, TAR_BLOCK } from "./tar-header.js";

const MiB = 1024 * 1024;

/** Documented in README ("Limits of the editor tool"). */
export const ARCHIVE_LIMITS = {
  /** manifest.json */
  manifestBytes: 1 * MiB,
  /** One encrypted answer, file description, follow-up, reply or note (parts/NNNN.pgp). */
  partBytes: 1 * MiB,
  /** One encrypted file (parts/NNNN.body.pgp): Telegram lets a bot download at most 20 MB. */
  bodyBytes: 64 * MiB,
  /** Everything in one archive (all volumes together). */
  totalBytes: 512 * MiB,
  /** Parts listed in one manifest. */
  parts: 10_000,
} as const;

export type ArchiveLimits = { [K in keyof typeof ARCHIVE_LIMITS]: number };

/** Question ids, part kinds, file kinds: what may become part of a file name. */
export const SAFE_ID = /^[a-z0-9_]{1,64}$/;
const PART_FILE = /^parts\/\d{4,6}\.pgp$/;
const BODY_FILE = /^parts\/\d{4,6}\.body\.pgp$/;
const MANIFEST = "manifest.json";

const id = z.string().regex(SAFE_ID, "expected [a-z0-9_], at most 64 characters");
const manifestSchema = z.object({
  format: z.number().int().min(1).max(EXPORT_FORMAT),
  submission: z.number().int().min(1).max(999_999_999),
  questionnaireVersion: z.number().int().min(0).max(1_000_000),
  locale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{1,8})?$/, "expected a language code"),
  status: id,
  createdOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD"),
  // Primary fingerprints of the keys the parts are encrypted to (for "not for your key").
  recipients: z
    .array(z.string().regex(/^[0-9A-F]{40,64}$/i, "expected key fingerprints"))
    .max(32)
    .optional(),
  statusNote: z
    .string()
    .max(64 * 1024)
    .regex(/^[A-Za-z0-9+/]+=*$/, "expected base64")
    .optional(),
  parts: z
    .array(
      z.object({
        file: z.string().regex(PART_FILE, "expected parts/NNNN.pgp"),
        // Optional: newer archives carry the question id inside the encrypted part.
        questionId: id.optional(),
        kind: id,
        seq: z.number().int().min(0).max(1_000_000),
        createdOn: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD")
          .optional(),
        body: z.string().regex(BODY_FILE, "expected parts/NNNN.body.pgp").optional(),
      }),
    )
    .max(ARCHIVE_LIMITS.parts),
});

/** A manifest whose every value has been checked; question ids may be absent. */
export type CheckedManifest = Omit<Manifest, "parts"> & {
  parts: (Omit<Manifest["parts"][number], "questionId"> & { questionId?: string })[];
};

/** Parses and checks manifest.json: one clear error for the first thing that is wrong. */
export function parseManifest(raw: Uint8Array): CheckedManifest {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw).toString("utf8"));
  } catch {
    throw new ArchiveError("manifest.json is damaged");
  }
  const format = (value as { format?: unknown } | null)?.format;
  if (typeof format === "number" && format > EXPORT_FORMAT) {
    throw new ArchiveError(
      `this archive uses export format ${format}, newer than this tool understands (${EXPORT_FORMAT}); update the editor tool`,
    );
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "manifest";
    throw new ArchiveError(
      `manifest.json is not a valid export manifest (${where}: ${issue?.message})`,
    );
  }
  const manifest = parsed.data as CheckedManifest;
  const files = new Set<string>();
  for (const part of manifest.parts) {
    for (const file of [part.file, part.body]) {
      if (file === undefined) continue;
      if (files.has(file)) throw new ArchiveError(`manifest.json lists ${file} twice`);
      files.add(file);
    }
    if ((part.kind === "attachment") !== (part.body !== undefined)) {
      throw new ArchiveError(`manifest.json: ${part.file} has a file body only if it is a file`);
    }
  }
  return manifest;
}

/** Bytes in, exactly as many as asked out, never more held than what has arrived. */
class ChunkReader {
  private pending: Uint8Array[] = [];
  private length = 0;
  private done = false;
  consumed = 0;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(want: number): Promise<void> {
    while (this.length < want && !this.done) {
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
        break;
      }
      if (next.value.length === 0) continue;
      this.pending.push(next.value);
      this.length += next.value.length;
    }
  }

  /** `size` bytes, or fewer at the end of the stream. */
  async read(size: number): Promise<Buffer> {
    await this.fill(size);
    const take = Math.min(size, this.length);
    const out: Uint8Array[] = [];
    let need = take;
    while (need > 0) {
      const head = this.pending[0] as Uint8Array;
      if (head.length <= need) {
        out.push(head);
        this.pending.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        this.pending[0] = head.subarray(need);
        need = 0;
      }
    }
    this.length -= take;
    this.consumed += take;
    return Buffer.concat(out, take);
  }

  /** Reads and drops `size` bytes in bounded steps. */
  async skip(size: number): Promise<number> {
    let skipped = 0;
    while (skipped < size) {
      const got = await this.read(Math.min(size - skipped, 64 * 1024));
      if (got.length === 0) break;
      skipped += got.length;
    }
    return skipped;
  }

  async close(): Promise<void> {
    await this.source.return?.();
  }
}

function limitFor(name: string, limits: ArchiveLimits): number {
  if (name === MANIFEST) return limits.manifestBytes;
  if (BODY_FILE.test(name)) return limits.bodyBytes;
  return limits.partBytes;
}

function checkName(name: string, seen: Set<string>, first: boolean): void {
  const shown = JSON.stringify(name.slice(0, 60));
  if (name.startsWith("/")) throw new ArchiveError(`entry ${shown} is an absolute path`);
  if (name.split(/[/\\]/).includes(".."))
    throw new ArchiveError(`entry ${shown} leaves its folder (..)`);
  if (first && name !== MANIFEST) {
    throw new ArchiveError("this archive does not start with manifest.json: it is not an export");
  }
  if (name !== MANIFEST && !PART_FILE.test(name) && !BODY_FILE.test(name)) {
    throw new ArchiveError(`entry ${shown} is not part of an export`);
  }
  if (seen.has(name)) throw new ArchiveError(`entry ${shown} appears twice`);
  seen.add(name);
}

export interface ArchiveContents {
  manifest: CheckedManifest;
  /** Every encrypted part the manifest lists, by name. */
  entries: Map<string, Uint8Array>;
}

export interface ReadArchiveOptions {
  limits?: Partial<ArchiveLimits>;
  /**
   * Stop after this many entries (the manifest counts as one) without checking that the rest is
   * there: the desk's inbox reads only the manifest and a sample part.
   */
  leading?: number;
}

/**
 * Reads an archive from a stream of chunks (all volumes in order). Throws ArchiveError for the
 * first thing that is wrong; when it returns, every listed part is present, every name is one an
 * export uses and every manifest value has passed its allow-list.
 */
export async function readArchive(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ReadArchiveOptions = {},
): Promise<ArchiveContents> {
  const limits: ArchiveLimits = { ...ARCHIVE_LIMITS, ...options.limits };
  const reader = new ChunkReader(asAsync(chunks)[Symbol.asyncIterator]());
  try {
    return await readEntries(reader, limits, options.leading);
  } finally {
    await reader.close();
  }
}

async function readEntries(
  reader: ChunkReader,
  limits: ArchiveLimits,
  leading: number | undefined,
): Promise<ArchiveContents> {
  const seen = new Set<string>();
  const entries = new Map<string, Uint8Array>();
  let manifest: CheckedManifest | undefined;
  let listed = new Set<string>();
  let total = 0;
  for (;;) {
    if (leading !== undefined && seen.size >= leading) break;
    const block = await reader.read(TAR_BLOCK);
    if (block.length === 0 && seen.size === 0) throw new ArchiveError("the archive is empty");
    if (block.length < TAR_BLOCK) throw new ArchiveError("the archive is truncated");
    const header = parseTarHeader(block);
    if (!header) {
      await checkEnd(reader);
      break;
    }
    const { name, size } = header;
    checkName(name, seen, seen.size === 0);
    if (seen.size > limits.parts * 2 + 1)
      throw new ArchiveError("the archive has too many entries");
    if (manifest && !listed.has(name)) {
      throw new ArchiveError(`entry ${name} is not listed in manifest.json`);
    }
    const limit = limitFor(name, limits);
    if (size > limit) {
      throw new ArchiveError(`entry ${name} is too large (${size} bytes, at most ${limit})`);
    }
    total += size;
    if (total > limits.totalBytes) {
      throw new ArchiveError(`the archive is too large (more than ${limits.totalBytes} bytes)`);
    }
    const data = await reader.read(size);
    if (data.length < size) throw new ArchiveError("the archive is truncated");
    const padding = (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
    if ((await reader.skip(padding)) < padding) throw new ArchiveError("the archive is truncated");
    if (name === MANIFEST) {
      manifest = parseManifest(data);
      listed = new Set(manifest.parts.flatMap((p) => (p.body ? [p.file, p.body] : [p.file])));
    } else {
      entries.set(name, data);
    }
  }
  if (!manifest) throw new ArchiveError("this archive has no manifest.json: it is not an export");
  if (leading === undefined) {
    for (const file of listed) {
      if (!entries.has(file))
        throw new ArchiveError(`the archive is incomplete: ${file} is missing`);
    }
  }
  return { manifest, entries };
}

/** tar pads an archive to its record size (10 KiB by default); more than this is not padding. */
const MAX_TRAILING_ZEROS = 1024 * 1024;

/** After the end-of-archive block only a little zero padding may follow. */
async function checkEnd(reader: ChunkReader): Promise<void> {
  let trailing = 0;
  for (;;) {
    const rest = await reader.read(64 * 1024);
    if (rest.length === 0) return;
    trailing += rest.length;
    if (trailing > MAX_TRAILING_ZEROS || !rest.every((byte) => byte === 0)) {
      throw new ArchiveError("the archive has data after its end");
    }
  }
}

async function* asAsync(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

/** The files of one archive (its volumes in order) as one stream of chunks. */
export async function* fileChunks(files: readonly string[]): AsyncGenerator<Uint8Array> {
  for (const file of files) {
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
      yield chunk as Buffer;
    }
  }
}
