// PNG: keeps only the chunks a viewer needs to draw the picture (an allow-list: image data,
// palette, transparency, colour and animation chunks), byte for byte. Everything else goes: text
// chunks (tEXt, zTXt, iTXt: authors, software, comments, XMP), eXIf, tIME, C2PA manifests (caBX),
// private chunks of any application, and anything after IEND.
import { summariseExif } from "./exif.js";
import { ascii, type MetadataKind, type Stripped, UnparseableError } from "./types.js";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const TEXT_CHUNKS = new Set(["tEXt", "zTXt", "iTXt"]);
const KEPT_CHUNKS = new Set([
  "IHDR",
  "PLTE",
  "IDAT",
  "IEND",
  "tRNS",
  "cHRM",
  "gAMA",
  "iCCP",
  "sBIT",
  "sRGB",
  "cICP",
  "mDCV",
  "cLLI",
  "bKGD",
  "hIST",
  "pHYs",
  "acTL",
  "fcTL",
  "fdAT",
]);

const KEYWORD_KINDS: Record<string, MetadataKind> = {
  author: "author",
  copyright: "author",
  "creation time": "dates",
  software: "software",
  comment: "comments",
  description: "comments",
  "xml:com.adobe.xmp": "xmp",
  "raw profile type exif": "camera",
  "raw profile type app1": "camera",
  "raw profile type iptc": "iptc",
};

export function isPng(bytes: Uint8Array): boolean {
  return SIGNATURE.every((b, i) => bytes[i] === b);
}

export function stripPng(bytes: Uint8Array): Stripped {
  if (!isPng(bytes)) throw new UnparseableError("not a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pieces = [bytes.subarray(0, 8)];
  const removed = new Set<MetadataKind>();
  let pos = 8;
  for (;;) {
    if (pos + 12 > bytes.length) throw new UnparseableError("PNG ends before IEND");
    const length = view.getUint32(pos);
    const type = ascii(bytes, pos + 4, 4);
    const end = pos + 12 + length;
    if (end > bytes.length) throw new UnparseableError("PNG chunk cut off");
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (TEXT_CHUNKS.has(type)) {
      const keyword = ascii(data, 0, Math.max(0, data.indexOf(0))).toLowerCase();
      removed.add(KEYWORD_KINDS[keyword] ?? "other");
    } else if (type === "eXIf") {
      for (const kind of summariseExif(data).kinds) removed.add(kind);
    } else if (type === "tIME") {
      removed.add("dates");
    } else if (KEPT_CHUNKS.has(type)) {
      pieces.push(bytes.subarray(pos, end));
    } else {
      removed.add(type === "caBX" ? "author" : "other");
    }
    pos = end;
    if (type === "IEND") break;
  }
  if (pos < bytes.length) removed.add("other");
  return { pieces, removed };
}
