// JPEG: drops EXIF (with its thumbnail), XMP, IPTC/Photoshop, comments, MPF extra images and any
// data after the end of the image. Keeps what decoding and colour need: JFIF, ICC profile,
// Adobe colour transform, tables and the compressed scans, byte for byte. The orientation is
// kept (re-written alone into a tiny EXIF block) so the picture is not shown turned on its side.
import { orientationOnlyTiff, summariseExif } from "./exif.js";
import { ascii, type MetadataKind, type Stripped, UnparseableError } from "./types.js";

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const COM = 0xfe;
const EXIF_ID = "Exif\0\0";

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === SOI && bytes[2] === 0xff;
}

export function stripJpeg(bytes: Uint8Array): Stripped {
  if (!isJpeg(bytes)) throw new UnparseableError("not a JPEG");
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: Uint8Array[] = [];
  const removed = new Set<MetadataKind>();
  let orientation: number | undefined;
  let pos = 2;
  for (;;) {
    if (pos + 1 >= bytes.length) throw new UnparseableError("JPEG ends before its end marker");
    if (bytes[pos] !== 0xff) throw new UnparseableError("JPEG segment expected");
    const marker = bytes[pos + 1] as number;
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === EOI) {
      kept.push(bytes.subarray(pos, pos + 2));
      // Data after the image: other pictures (MPF), vendor trailers. Never needed to show it.
      if (pos + 2 < bytes.length) removed.add("other");
      break;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      kept.push(bytes.subarray(pos, pos + 2));
      pos += 2;
      continue;
    }
    if (pos + 4 > bytes.length) throw new UnparseableError("JPEG segment cut off");
    const length = ((bytes[pos + 2] as number) << 8) | (bytes[pos + 3] as number);
    const end = pos + 2 + length;
    if (length < 2 || end > bytes.length) throw new UnparseableError("JPEG segment cut off");
    const payload = bytes.subarray(pos + 4, end);
    const verdict = judgeSegment(marker, payload);
    if (verdict === "keep") kept.push(bytes.subarray(pos, end));
    else if ("replacement" in verdict) {
      kept.push(verdict.replacement);
      for (const kind of verdict.kinds) removed.add(kind);
    } else {
      for (const kind of verdict.kinds) removed.add(kind);
      if (verdict.orientation !== undefined) orientation = verdict.orientation;
    }
    pos = end;
    if (marker !== SOS) continue;
    // Entropy-coded data: runs to the next marker that is not a stuffed byte or a restart.
    let scan = pos;
    for (;;) {
      const ff = buffer.indexOf(0xff, scan);
      if (ff < 0 || ff + 1 >= bytes.length) throw new UnparseableError("JPEG scan cut off");
      const next = bytes[ff + 1] as number;
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
        scan = ff + 2;
        continue;
      }
      if (next === 0xff) {
        scan = ff + 1;
        continue;
      }
      kept.push(bytes.subarray(pos, ff));
      pos = ff;
      break;
    }
  }
  const pieces = [bytes.subarray(0, 2)];
  if (orientation !== undefined && orientation >= 2 && orientation <= 8) {
    pieces.push(exifSegment(orientation));
  }
  pieces.push(...kept);
  return { pieces, removed };
}

type Verdict =
  | "keep"
  | { kinds: Iterable<MetadataKind>; orientation?: number }
  | { kinds: Iterable<MetadataKind>; replacement: Uint8Array };

/** JFIF's fixed part: identifier, version, units, densities, thumbnail width and height. */
const JFIF_HEADER = 14;

function judgeSegment(marker: number, payload: Uint8Array): Verdict {
  const id = (length: number) => ascii(payload, 0, Math.min(length, payload.length));
  if (marker === COM) return { kinds: ["comments"] };
  if (marker < 0xe0 || marker > 0xef) return "keep"; // tables, frame and scan headers
  switch (marker) {
    case 0xe0:
      // JFIF is needed by some decoders, its optional thumbnail (a small picture of the
      // uncropped original) is not; JFXX carries only a thumbnail.
      if (id(5) !== "JFIF\0") return { kinds: ["thumbnail"] };
      if (payload.length <= JFIF_HEADER) return "keep";
      return { kinds: ["thumbnail"], replacement: jfifWithoutThumbnail(payload) };
    case 0xe1: {
      if (id(6) === EXIF_ID) {
        const summary = summariseExif(payload.subarray(6));
        return { kinds: summary.kinds, orientation: summary.orientation };
      }
      if (id(29).startsWith("http://ns.adobe.com/xap/1.0/") || id(35).includes("xmp")) {
        return { kinds: ["xmp"] };
      }
      return { kinds: ["other"] };
    }
    case 0xe2:
      // The colour profile decides how the picture looks; MPF holds extra pictures.
      if (id(12) === "ICC_PROFILE\0") return "keep";
      return { kinds: [id(4) === "MPF\0" ? "thumbnail" : "other"] };
    case 0xed:
      return { kinds: ["iptc"] };
    case 0xee:
      // Adobe's colour transform flag: CMYK pictures decode wrongly without it.
      return id(5) === "Adobe" ? "keep" : { kinds: ["other"] };
    default:
      return { kinds: ["other"] };
  }
}

function jfifWithoutThumbnail(payload: Uint8Array): Uint8Array {
  const segment = new Uint8Array(4 + JFIF_HEADER);
  segment.set([0xff, 0xe0, 0, 2 + JFIF_HEADER]);
  segment.set(payload.subarray(0, JFIF_HEADER - 2), 4);
  return segment; // thumbnail width and height: 0
}

function exifSegment(orientation: number): Uint8Array {
  const tiff = orientationOnlyTiff(orientation);
  const length = 2 + EXIF_ID.length + tiff.length;
  const segment = new Uint8Array(2 + length);
  segment.set([0xff, 0xe1, length >> 8, length & 0xff]);
  segment.set(Buffer.from(EXIF_ID, "latin1"), 4);
  segment.set(tiff, 4 + EXIF_ID.length);
  return segment;
}
