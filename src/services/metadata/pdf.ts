// PDF: removes the Info dictionary (author, creator, producer, dates, title), every XMP metadata
// stream and leftover Info dictionaries of earlier revisions, then writes the file anew with
// @cantoo/pdf-lib (a maintained fork of pdf-lib; pure JavaScript, in memory). Page content,
// fonts and images are copied as they are (streams are not re-encoded). Rewriting, rather than
// an incremental update, is what drops the old revisions that still hold the earlier values.
import { PDFDict, PDFDocument, PDFName, PDFRef, PDFStream } from "@cantoo/pdf-lib";
import { ascii, type MetadataKind, type Stripped, UnparseableError } from "./types.js";

const INFO_KINDS: Record<string, MetadataKind> = {
  Author: "author",
  Creator: "software",
  Producer: "software",
  CreationDate: "dates",
  ModDate: "dates",
  Title: "other",
  Subject: "other",
  Keywords: "other",
};

/** Annotation types that carry an author (/T) and dates; form fields use /T as a name, not these. */
const MARKUP = new Set([
  "Text",
  "FreeText",
  "Line",
  "Square",
  "Circle",
  "Polygon",
  "PolyLine",
  "Highlight",
  "Underline",
  "Squiggly",
  "StrikeOut",
  "Stamp",
  "Caret",
  "Ink",
  "FileAttachment",
  "Sound",
  "Redact",
]);
const MARKUP_KEYS: [string, MetadataKind][] = [
  ["T", "author"],
  ["M", "dates"],
  ["CreationDate", "dates"],
];

export function isPdf(bytes: Uint8Array): boolean {
  return ascii(bytes, 0, Math.min(1024, bytes.length)).includes("%PDF-");
}

export async function stripPdf(bytes: Uint8Array): Promise<Stripped> {
  checkCrossReference(bytes);
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, {
      updateMetadata: false,
      ignoreEncryption: true,
      throwOnInvalidObject: true,
    });
  } catch {
    throw new UnparseableError("PDF does not parse");
  }
  const { context } = doc;
  // An encrypted file would come out decrypted or broken: leave it as it is.
  if (context.trailerInfo.Encrypt) throw new UnparseableError("encrypted PDF");
  const removed = new Set<MetadataKind>();

  const info = context.trailerInfo.Info;
  if (info) for (const kind of infoKinds(context.lookup(info))) removed.add(kind);
  context.trailerInfo.Info = undefined;
  if (info instanceof PDFRef) context.delete(info);

  for (const [ref, object] of context.enumerateIndirectObjects()) {
    const dict = object instanceof PDFStream ? object.dict : object;
    if (!(dict instanceof PDFDict)) continue;
    const type = dict.get(PDFName.of("Type"));
    if (object instanceof PDFStream && type === PDFName.of("Metadata")) {
      context.delete(ref);
      removed.add("xmp");
      continue;
    }
    if (object instanceof PDFStream) continue;
    // Comments and other markup: who made them and when.
    const subtype = dict.get(PDFName.of("Subtype"));
    if (subtype instanceof PDFName && MARKUP.has(subtype.decodeText())) {
      for (const [key, kind] of MARKUP_KEYS) {
        if (dict.has(PDFName.of(key))) {
          dict.delete(PDFName.of(key));
          removed.add(kind);
        }
      }
      continue;
    }
    // An Info dictionary of an earlier revision: no /Type, and the Info keys.
    if (type === undefined) {
      const kinds = infoKinds(dict);
      if (kinds.length > 0) {
        context.delete(ref);
        for (const kind of kinds) removed.add(kind);
      }
    }
  }
  // The catalog's (and pages') /Metadata now points nowhere, which reads as null: drop the key.
  doc.catalog.delete(PDFName.of("Metadata"));
  const saved = await doc.save({
    useObjectStreams: false,
    addDefaultPage: false,
    updateFieldAppearances: false,
  });
  return { pieces: [saved], removed };
}

function infoKinds(object: unknown): MetadataKind[] {
  if (!(object instanceof PDFDict)) return [];
  const kinds: MetadataKind[] = [];
  for (const [key] of object.entries()) {
    const kind = INFO_KINDS[key.decodeText()];
    if (kind) kinds.push(kind);
  }
  return kinds;
}

/**
 * pdf-lib reads objects in file order and ignores the cross-reference table, so it would rebuild
 * a damaged file silently. A file whose last `startxref` does not point at a cross-reference
 * section is stored as sent instead: the editors then get it exactly as the source had it.
 */
function checkCrossReference(bytes: Uint8Array): void {
  const tail = ascii(bytes, Math.max(0, bytes.length - 2048), Math.min(2048, bytes.length));
  const match = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (!match) throw new UnparseableError("PDF has no startxref");
  const offset = Number(match[1]);
  if (offset >= bytes.length) throw new UnparseableError("PDF startxref out of range");
  const at = ascii(bytes, offset, Math.min(32, bytes.length - offset));
  if (!/^(xref|\d+\s+\d+\s+obj)/.test(at)) {
    throw new UnparseableError("PDF startxref points at no cross-reference");
  }
}
