// WebP: drops the EXIF and XMP chunks of the RIFF container, clears their flags in VP8X and
// fixes the RIFF size. The image chunks are kept byte for byte.
import { summariseExif } from "./exif.js";
import { ascii, type MetadataKind, type Stripped, UnparseableError } from "./types.js";

const EXIF_FLAG = 0x08;
const XMP_FLAG = 0x04;

export function isWebp(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP";
}

export function stripWebp(bytes: Uint8Array): Stripped {
  if (!isWebp(bytes)) throw new UnparseableError("not a WebP");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffEnd = 8 + view.getUint32(4, true);
  if (riffEnd > bytes.length) throw new UnparseableError("WebP cut off");
  const removed = new Set<MetadataKind>();
  const chunks: Uint8Array[] = [];
  let vp8x: Uint8Array | undefined;
  let pos = 12;
  while (pos < riffEnd) {
    if (pos + 8 > riffEnd) throw new UnparseableError("WebP chunk cut off");
    const type = ascii(bytes, pos, 4);
    const size = view.getUint32(pos + 4, true);
    const end = pos + 8 + size + (size % 2);
    if (end > riffEnd) throw new UnparseableError("WebP chunk cut off");
    if (type === "EXIF") {
      let exif = bytes.subarray(pos + 8, pos + 8 + size);
      if (ascii(exif, 0, Math.min(6, exif.length)) === "Exif\0\0") exif = exif.subarray(6);
      for (const kind of summariseExif(exif).kinds) removed.add(kind);
    } else if (type === "XMP ") {
      removed.add("xmp");
    } else {
      // The VP8X header is copied, since its flags change.
      const chunk = type === "VP8X" ? bytes.slice(pos, end) : bytes.subarray(pos, end);
      if (type === "VP8X") vp8x = chunk;
      chunks.push(chunk);
    }
    pos = end;
  }
  if (riffEnd < bytes.length) removed.add("other");
  if (vp8x && vp8x.length > 8) vp8x[8] = (vp8x[8] as number) & ~(EXIF_FLAG | XMP_FLAG);
  const body = chunks.reduce((sum, c) => sum + c.length, 0);
  const header = new Uint8Array(12);
  header.set(bytes.subarray(0, 12));
  new DataView(header.buffer).setUint32(4, 4 + body, true);
  return { pieces: [header, ...chunks], removed };
}
