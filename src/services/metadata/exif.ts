// Reads just enough of an EXIF (TIFF) block to say what it held and which way the image is
// turned. Values are looked at only to name their kind; nothing is kept.
import type { MetadataKind } from "./types.js";

const IFD0_KINDS: Record<number, MetadataKind> = {
  271: "camera", // Make
  272: "camera", // Model
  305: "software",
  306: "dates", // DateTime
  315: "author", // Artist
  33432: "author", // Copyright
  270: "comments", // ImageDescription
  40092: "comments", // XPComment
  40093: "author", // XPAuthor
};
const EXIF_IFD_KINDS: Record<number, MetadataKind> = {
  36867: "dates", // DateTimeOriginal
  36868: "dates", // DateTimeDigitized
  37500: "camera", // MakerNote (serial numbers live here)
  37510: "comments", // UserComment
  42016: "camera", // ImageUniqueID
  42032: "author", // CameraOwnerName
  42033: "camera", // BodySerialNumber
  42035: "camera", // LensMake
  42036: "camera", // LensModel
  42037: "camera", // LensSerialNumber
};
const GPS_IFD = 0x8825;
const EXIF_IFD = 0x8769;
const ORIENTATION = 0x0112;

export interface ExifSummary {
  kinds: Set<MetadataKind>;
  /** 1–8 when the image says how it is turned. */
  orientation?: number;
}

/** `tiff` starts at the byte order mark ("II" or "MM"). Malformed parts are simply not read. */
export function summariseExif(tiff: Uint8Array): ExifSummary {
  const kinds = new Set<MetadataKind>();
  const summary: ExifSummary = { kinds };
  if (tiff.length < 8) return summary;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = tiff[0] === 0x49;
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const readIfd = (offset: number, each: (tag: number, entry: number) => void): number => {
    if (offset < 8 || offset + 2 > tiff.length) return 0;
    const count = u16(offset);
    if (offset + 2 + count * 12 + 4 > tiff.length) return 0;
    for (let i = 0; i < count; i++) each(u16(offset + 2 + i * 12), offset + 2 + i * 12);
    return u32(offset + 2 + count * 12);
  };
  const next = readIfd(u32(4), (tag, entry) => {
    const kind = IFD0_KINDS[tag];
    if (kind) kinds.add(kind);
    if (tag === GPS_IFD) kinds.add("gps");
    if (tag === ORIENTATION) summary.orientation = u16(entry + 8);
    if (tag === EXIF_IFD) {
      readIfd(u32(entry + 8), (inner) => {
        const innerKind = EXIF_IFD_KINDS[inner];
        if (innerKind) kinds.add(innerKind);
      });
    }
  });
  // A second IFD is the embedded thumbnail (a small copy of the original picture).
  if (next !== 0) kinds.add("thumbnail");
  if (kinds.size === 0) kinds.add("other");
  return summary;
}

/** A minimal big-endian TIFF block holding only the orientation (so the picture stays upright). */
export function orientationOnlyTiff(orientation: number): Uint8Array {
  const tiff = new Uint8Array(26);
  const view = new DataView(tiff.buffer);
  tiff.set([0x4d, 0x4d, 0x00, 0x2a]);
  view.setUint32(4, 8); // IFD0 right after the header
  view.setUint16(8, 1); // one entry
  view.setUint16(10, ORIENTATION);
  view.setUint16(12, 3); // SHORT
  view.setUint32(14, 1);
  view.setUint16(18, orientation);
  view.setUint32(22, 0); // no next IFD
  return tiff;
}
