// Pictures inside other files (Office media, PDF images) go through the same cleaners as a
// picture sent on its own; office.ts and pdf.ts use this.
import { isJpeg, stripJpeg } from "./jpeg.js";
import { isPng, stripPng } from "./png.js";
import type { MetadataKind, Stripped } from "./types.js";
import { isWebp, stripWebp } from "./webp.js";

/** The picture without its hidden data, or undefined when it is no JPEG, PNG or WebP. */
export function cleanPicture(
  bytes: Uint8Array,
): { bytes: Uint8Array; removed: Set<MetadataKind> } | undefined {
  let stripped: Stripped;
  if (isJpeg(bytes)) stripped = stripJpeg(bytes);
  else if (isPng(bytes)) stripped = stripPng(bytes);
  else if (isWebp(bytes)) stripped = stripWebp(bytes);
  else return undefined;
  const { pieces, removed } = stripped;
  return {
    bytes: pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces),
    removed,
  };
}
