// MP4/MOV (ISO base media, QuickTime): metadata boxes (udta, meta, uuid: GPS ©xyz, make, model,
// software, dates, XMP) become `free` boxes of the same size with their content zeroed, and the
// creation/modification times of the movie, tracks and media are zeroed. Sizes and positions do
// not change, so chunk offsets (stco/co64) stay valid and no sample is touched. Edits in place.
// A track that is neither picture nor sound nor text (a timed-metadata track: GoPro GPMF, camera
// motion, sensor data, often GPS positions, as samples in mdat) is not taken out: the file is
// reported as "not fully cleaned" instead.
import {
  ascii,
  contains,
  type LeftKind,
  type MetadataKind,
  type Stripped,
  UnparseableError,
} from "./types.js";

/** Boxes whose children are boxes, on the way to metadata and time stamps. */
const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl", "edts", "moof", "traf"]);
const METADATA_BOXES = new Set(["udta", "meta", "uuid", "XMP_"]);
const TIMED_HEADERS = new Set(["mvhd", "tkhd", "mdhd"]);
/** Track handlers a player needs (video, sound, subtitles, timecode, hints). */
const PLAYABLE_HANDLERS = new Set(["vide", "soun", "text", "sbtl", "subt", "clcp", "tmcd", "hint"]);
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
  const left = new Set<LeftKind>();
  walk({ bytes, view, removed, left, dryRun: options.dryRun ?? false }, 0, bytes.length, "");
  return { pieces: [bytes], removed, left };
}

interface Walk {
  bytes: Uint8Array;
  view: DataView;
  removed: Set<MetadataKind>;
  left: Set<LeftKind>;
  dryRun: boolean;
}

/** `parent`: the enclosing box type ("" at the top level). */
function walk(walker: Walk, start: number, end: number, parent: string): void {
  const { bytes, view, removed, left, dryRun } = walker;
  const topLevel = parent === "";
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
      walk(walker, pos + header, boxEnd, type);
    } else if (type === "hdlr" && parent === "mdia") {
      // version and flags, then pre_defined (QuickTime: component type), then the handler type
      if (pos + header + 12 > boxEnd) throw new UnparseableError("hdlr cut off");
      if (!PLAYABLE_HANDLERS.has(ascii(bytes, pos + header + 8, 4))) left.add("timed-metadata");
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
