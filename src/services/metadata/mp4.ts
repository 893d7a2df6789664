// MP4/MOV (ISO base media, QuickTime): metadata boxes (udta, meta, uuid: GPS ©xyz, make, model,
// software, dates, XMP) become `free` boxes of the same size with their content zeroed, and the
// creation/modification times of the movie, tracks and media are zeroed. Sizes and positions do
// not change, so chunk offsets (stco/co64) stay valid and no sample is touched. Edits in place.
import { ascii, contains, type MetadataKind, type Stripped, UnparseableError } from "./types.js";

/** Boxes whose children are boxes, on the way to metadata and time stamps. */
const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl", "edts", "moof", "traf"]);
const METADATA_BOXES = new Set(["udta", "meta", "uuid", "XMP_"]);
const TIMED_HEADERS = new Set(["mvhd", "tkhd", "mdhd"]);
/** Brands of HEIF/AVIF pictures: same box format, but their metadata is part of the image. */
const IMAGE_BRANDS = new Set([
  "heic",
  "heix",
  "heim",
  "heis",
  "hevc",
  "mif1",
  "msf1",
  "avif",
  "avis",
]);
const QUICKTIME_FIRST = new Set(["moov", "mdat", "wide", "free", "skip", "pnot"]);

const NEEDLE_KINDS: [string, MetadataKind][] = [
  ["\xa9xyz", "gps"],
  ["location", "gps"],
  ["\xa9mak", "camera"],
  ["\xa9mod", "camera"],
  ["make", "camera"],
  ["model", "camera"],
  ["\xa9day", "dates"],
  ["creationdate", "dates"],
  ["\xa9swr", "software"],
  ["software", "software"],
  ["\xa9too", "software"],
  ["\xa9ART", "author"],
  ["\xa9aut", "author"],
  ["author", "author"],
  ["\xa9cmt", "comments"],
  ["x:xmpmeta", "xmp"],
];

export type IsoKind = "video" | "image";

export function isoKind(bytes: Uint8Array): IsoKind | undefined {
  if (bytes.length < 12) return undefined;
  const type = ascii(bytes, 4, 4);
  if (type === "ftyp") return IMAGE_BRANDS.has(ascii(bytes, 8, 4)) ? "image" : "video";
  return QUICKTIME_FIRST.has(type) ? "video" : undefined;
}

/** `dryRun`: only checks the structure (the edits are in place, so check first, then edit). */
export function stripMp4(bytes: Uint8Array, options: { dryRun?: boolean } = {}): Stripped {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const removed = new Set<MetadataKind>();
  walk({ bytes, view, removed, dryRun: options.dryRun ?? false }, 0, bytes.length, true);
  return { pieces: [bytes], removed };
}

interface Walk {
  bytes: Uint8Array;
  view: DataView;
  removed: Set<MetadataKind>;
  dryRun: boolean;
}

function walk(walker: Walk, start: number, end: number, topLevel: boolean): void {
  const { bytes, view, removed, dryRun } = walker;
  let pos = start;
  while (pos < end) {
    if (pos + 8 > end) throw new UnparseableError("box header cut off");
    let size = view.getUint32(pos);
    const type = ascii(bytes, pos + 4, 4);
    let header = 8;
    if (size === 1) {
      if (pos + 16 > end) throw new UnparseableError("box header cut off");
      size = Number(view.getBigUint64(pos + 8));
      header = 16;
    } else if (size === 0) {
      if (!topLevel) throw new UnparseableError("open-ended box inside a box");
      size = end - pos;
    }
    const boxEnd = pos + size;
    if (size < header || boxEnd > end) throw new UnparseableError(`box ${type} cut off`);
    if (METADATA_BOXES.has(type)) {
      const payload = bytes.subarray(pos + header, boxEnd);
      for (const kind of kindsIn(type, payload)) removed.add(kind);
      if (!dryRun) {
        bytes.set([0x66, 0x72, 0x65, 0x65], pos + 4); // "free"
        payload.fill(0);
      }
    } else if (CONTAINERS.has(type)) {
      walk(walker, pos + header, boxEnd, false);
    } else if (TIMED_HEADERS.has(type)) {
      if (zeroTimes(bytes, pos + header, boxEnd, dryRun)) removed.add("dates");
    }
    pos = boxEnd;
  }
}

function kindsIn(type: string, payload: Uint8Array): MetadataKind[] {
  const found = NEEDLE_KINDS.filter(([needle]) => contains(payload, needle)).map(([, k]) => k);
  if (type === "XMP_") found.push("xmp");
  return found.length > 0 ? found : ["other"];
}

/** Zeroes creation and modification time of a version 0 or 1 header box; true if any was set. */
function zeroTimes(bytes: Uint8Array, start: number, end: number, dryRun: boolean): boolean {
  const version = bytes[start];
  const width = version === 1 ? 8 : 4;
  const from = start + 4; // after version and flags
  if (from + 2 * width > end) throw new UnparseableError("header box cut off");
  const times = bytes.subarray(from, from + 2 * width);
  const wasSet = times.some((b) => b !== 0);
  if (!dryRun) times.fill(0);
  return wasSet;
}
