// Hidden data in files a source sends (GPS positions, camera serials, author names, edit dates):
// removed in memory, before encryption, without re-encoding pictures or video. One file per
// format; see each for what is removed and what is kept. A file that is not one of these formats,
// or does not parse as the format it claims, is returned unchanged and marked "not cleaned".
import { isJpeg, stripJpeg } from "./jpeg.js";
import { isoKind, stripMp4 } from "./mp4.js";
import { stripOffice, unzipOffice } from "./office.js";
import { isPdf, stripPdf } from "./pdf.js";
import { isPng, stripPng } from "./png.js";
import {
  LEFT_KINDS,
  type LeftKind,
  METADATA_KINDS,
  type MetadataKind,
  type NotCleanedReason,
  type Stripped,
  TooComplexError,
  UnparseableError,
} from "./types.js";
import { isWebp, stripWebp } from "./webp.js";

export { LEFT_KINDS, type LeftKind, METADATA_KINDS, type MetadataKind, type NotCleanedReason };

export type Format = "jpeg" | "png" | "webp" | "mp4" | "pdf" | "zip" | "heif";

/** Bytes needed to tell the format from the start of a file. */
export const SNIFF_BYTES = 1024;

/** The format by content (never by the name or type the sender's app claims). */
export function sniffFormat(head: Uint8Array): Format | undefined {
  if (isJpeg(head)) return "jpeg";
  if (isPng(head)) return "png";
  if (isWebp(head)) return "webp";
  const iso = isoKind(head);
  if (iso) return iso === "image" ? "heif" : "mp4";
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return "zip";
  if (isPdf(head)) return "pdf";
  return undefined;
}

/** Whether stripMetadata may do anything with a file that starts with `head`. */
export function mayClean(head: Uint8Array): boolean {
  const format = sniffFormat(head);
  return format !== undefined && format !== "heif";
}

export interface StripResult {
  /** Pieces of the file to store, in order (views into the input where nothing changed). */
  pieces: Uint8Array[];
  cleaned: boolean;
  /** Kinds of data removed, sorted; empty when nothing was found. */
  removed: MetadataKind[];
  /** What a cleaned file still holds (then it is "not fully cleaned"); sorted, usually empty. */
  left: LeftKind[];
  reason?: NotCleanedReason;
}

/**
 * Removes hidden data from `bytes`. The input buffer may be changed in place (MP4) and must not
 * be used afterwards except through the result.
 */
export async function stripMetadataPieces(bytes: Uint8Array): Promise<StripResult> {
  const format = sniffFormat(bytes.subarray(0, SNIFF_BYTES));
  const unchanged = (reason: NotCleanedReason): StripResult => ({
    pieces: [bytes],
    cleaned: false,
    removed: [],
    left: [],
    reason,
  });
  // HEIF/HEIC keeps EXIF inside the image's item structure; no maintained JavaScript library
  // removes it without re-encoding, so such pictures are stored as sent and say so.
  if (format === undefined) return unchanged("unknown-format");
  if (format === "heif") return unchanged("unsupported-format");
  try {
    const result = await stripFormat(format, bytes);
    if (!result) return unchanged("unknown-format");
    return {
      pieces: result.pieces,
      cleaned: true,
      removed: METADATA_KINDS.filter((kind) => result.removed.has(kind)),
      left: LEFT_KINDS.filter((kind) => result.left?.has(kind)),
    };
  } catch (error) {
    if (error instanceof UnparseableError) return unchanged("unparseable");
    if (error instanceof TooComplexError) return unchanged("too-complex");
    throw error;
  }
}

/** The same as stripMetadataPieces, as one buffer. */
export async function stripMetadata(
  bytes: Uint8Array,
): Promise<Omit<StripResult, "pieces"> & { bytes: Uint8Array }> {
  const { pieces, ...rest } = await stripMetadataPieces(bytes);
  return {
    ...rest,
    bytes: pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces),
  };
}

async function stripFormat(format: Format, bytes: Uint8Array): Promise<Stripped | undefined> {
  switch (format) {
    case "jpeg":
      return stripJpeg(bytes);
    case "png":
      return stripPng(bytes);
    case "webp":
      return stripWebp(bytes);
    case "mp4":
      return stripMp4Safely(bytes);
    case "pdf":
      return stripPdf(bytes);
    case "zip": {
      const entries = unzipOffice(bytes);
      return entries ? stripOffice(entries) : undefined;
    }
    case "heif":
      return undefined;
  }
}

/** Checks the whole box structure before the first change, so a bad file is left untouched. */
function stripMp4Safely(bytes: Uint8Array): Stripped {
  stripMp4(bytes, { dryRun: true });
  return stripMp4(bytes);
}
