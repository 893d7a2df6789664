// PDF: removes the Info dictionary (author, creator, producer, dates, title), every XMP metadata
// stream, page- and object-level /Metadata and /PieceInfo (an application's private data) and
// leftover Info dictionaries of earlier revisions; JPEG images (DCTDecode) lose their EXIF like a
// JPEG sent alone. Then only the objects reachable from the document's root are written, anew,
// as one revision, with @cantoo/pdf-lib (a maintained fork of pdf-lib; pure JavaScript, in
// memory): the unreferenced objects of earlier revisions, which still hold earlier values, go.
// Other streams are copied as they are. Embedded files are kept and reported as left.
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFName,
  type PDFObject,
  PDFRawStream,
  PDFRef,
  PDFStream,
} from "@cantoo/pdf-lib";
import { isJpeg, stripJpeg } from "./jpeg.js";
import {
  ascii,
  type LeftKind,
  type MetadataKind,
  type Stripped,
  TooComplexError,
  UnparseableError,
} from "./types.js";

/** More objects than any document a source sends: a file built to exhaust the parser. */
const MAX_OBJECTS = 100_000;

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
  if (countObjects(bytes) > MAX_OBJECTS) throw new TooComplexError("too many PDF objects");
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
  const left = new Set<LeftKind>();
  if (context.enumerateIndirectObjects().length > MAX_OBJECTS) {
    throw new TooComplexError("too many PDF objects"); // object streams hold more than they show
  }

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
    if (dict.has(PDFName.of("PieceInfo"))) {
      dict.delete(PDFName.of("PieceInfo"));
      removed.add("software");
    }
    if (dict.has(PDFName.of("Metadata"))) {
      dict.delete(PDFName.of("Metadata"));
      removed.add("xmp");
    }
    if (type === PDFName.of("EmbeddedFile") || dict.has(PDFName.of("EF")))
      left.add("embedded-files");
    if (object instanceof PDFRawStream) {
      cleanImage(object, removed, left);
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
  doc.catalog.delete(PDFName.of("Metadata"));
  dropUnreachable(doc);
  const saved = await doc.save({
    useObjectStreams: false,
    addDefaultPage: false,
    updateFieldAppearances: false,
  });
  return { pieces: [saved], removed, left };
}

/** A JPEG image inside the PDF loses its EXIF; any other encoded image is reported as left. */
function cleanImage(stream: PDFRawStream, removed: Set<MetadataKind>, left: Set<LeftKind>): void {
  const { dict } = stream;
  if (dict.get(PDFName.of("Subtype")) !== PDFName.of("Image")) return;
  const filter = dict.get(PDFName.of("Filter"));
  const filters = filter instanceof PDFArray ? filter.asArray() : filter ? [filter] : [];
  if (filters.some((f) => f === PDFName.of("JPXDecode") || f === PDFName.of("JBIG2Decode"))) {
    left.add("unknown-parts");
    return;
  }
  if (filters.length !== 1 || filters[0] !== PDFName.of("DCTDecode")) return;
  try {
    if (!isJpeg(stream.contents)) throw new UnparseableError("not a JPEG");
    const { pieces, removed: kinds } = stripJpeg(stream.contents);
    if (kinds.size === 0) return;
    stream.updateContents(Buffer.concat(pieces));
    for (const kind of kinds) removed.add(kind);
  } catch (error) {
    if (!(error instanceof UnparseableError)) throw error;
    left.add("unknown-parts");
  }
}

/** Deletes every object the document's root does not lead to (old revisions, orphans). */
function dropUnreachable(doc: PDFDocument): void {
  const { context } = doc;
  const reached = new Set<string>();
  const pending: PDFObject[] = [context.trailerInfo.Root as PDFObject];
  while (pending.length > 0) {
    const object = pending.pop();
    if (object instanceof PDFRef) {
      if (reached.has(object.tag)) continue;
      reached.add(object.tag);
      const target = context.lookup(object);
      if (target) pending.push(target);
    } else if (object instanceof PDFDict) {
      for (const [, value] of object.entries()) pending.push(value);
    } else if (object instanceof PDFArray) {
      pending.push(...object.asArray());
    } else if (object instanceof PDFStream) {
      pending.push(object.dict);
    }
  }
  for (const [ref] of context.enumerateIndirectObjects()) {
    if (!reached.has(ref.tag)) context.delete(ref);
  }
}

/** Counts "obj" keywords: a cheap look before the parser builds an object for each. */
function countObjects(bytes: Uint8Array): number {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keyword = Buffer.from(" obj", "latin1");
  let count = 0;
  for (let at = buffer.indexOf(keyword); at !== -1; at = buffer.indexOf(keyword, at + 4)) count++;
  return count;
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
