// What a metadata stripper reports: the kinds of data removed (never their values).

/** Kinds of hidden data a file can carry; the editors see them by name, never the values. */
export const METADATA_KINDS = [
  "gps",
  "camera",
  "dates",
  "author",
  "software",
  "comments",
  "history",
  "thumbnail",
  "xmp",
  "iptc",
  "other",
] as const;
export type MetadataKind = (typeof METADATA_KINDS)[number];

/** Why a file was stored as sent. */
export type NotCleanedReason =
  | "unknown-format"
  | "unsupported-format"
  | "unparseable"
  | "too-complex";

/** What a cleaned file may still hold, because the cleaner could not take it out safely. */
export const LEFT_KINDS = ["embedded-files", "timed-metadata", "unknown-parts"] as const;
export type LeftKind = (typeof LEFT_KINDS)[number];

/** Thrown by a format's stripper when the file does not have the structure it claims. */
export class UnparseableError extends Error {
  constructor(what: string) {
    super(what);
    this.name = "UnparseableError";
  }
}

/**
 * Thrown when a file is over a cap (unpacked size, compression ratio, object count): it is kept
 * as sent rather than cleaned with memory or time nobody can bound.
 */
export class TooComplexError extends Error {
  constructor(what: string) {
    super(what);
    this.name = "TooComplexError";
  }
}

/** A stripped file as pieces (views into the input where possible, so nothing is copied). */
export interface Stripped {
  pieces: Uint8Array[];
  removed: Set<MetadataKind>;
  /** What was understood but could not be taken out (the label then says "not fully cleaned"). */
  left?: Set<LeftKind>;
}

export const ascii = (bytes: Uint8Array, start: number, length: number) =>
  Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString("latin1");

/** Whether `needle` (as single bytes, e.g. "\xa9xyz") occurs in `haystack`. */
export function contains(haystack: Uint8Array, needle: string): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).includes(
    Buffer.from(needle, "latin1"),
  );
}
