// Office Open XML (DOCX, XLSX, PPTX): a zip read and written in memory with fflate. Document
// properties (author, last editor, company, dates, application, custom properties) are
// emptied; the names, initials and dates of comment authors and tracked changes are blanked
// (the text of comments and changes stays: it is content the editors may need); revision
// session ids are zeroed; zip entry times are set to one fixed date.
import { strFromU8, strToU8, unzipSync, type Zippable, zipSync } from "fflate";
import { type MetadataKind, type Stripped, UnparseableError } from "./types.js";

const FIXED_DATE = new Date("1980-01-01T00:00:00Z");

const EMPTY_PARTS: Record<string, string> = {
  "docProps/core.xml":
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
  "docProps/app.xml":
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>',
  "docProps/custom.xml":
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>',
};

/** What each kind of property element reveals. */
const PROPERTY_KINDS: [RegExp, MetadataKind][] = [
  [/<(dc:creator|cp:lastModifiedBy|Company|Manager)\b[^>]*>[^<]/, "author"],
  [/<(dcterms:created|dcterms:modified|cp:lastPrinted)\b[^>]*>[^<]/, "dates"],
  [/<(Application|AppVersion)\b[^>]*>[^<]/, "software"],
  [/<(cp:revision|TotalTime|Template)\b[^>]*>[^<]/, "history"],
  [/<(dc:title|dc:subject|cp:keywords|dc:description|cp:category|property)\b[^>]*>/, "other"],
];

/** Attributes and elements naming people in comments, tracked changes and co-authoring. */
const PEOPLE: [RegExp, string, MetadataKind][] = [
  [/\b(w|w15|w16cex|p188):(author|initials|userId|providerId)="[^"]+"/g, '$1:$2=""', "author"],
  [/\b(w|w16cex):(date|dateUtc)="[^"]*"/g, "", "dates"],
  [/<author>[^<]+<\/author>/g, "<author></author>", "author"], // XLSX comment authors
  [/\b(displayName|userId|providerId|initials)="[^"]+"/g, '$1=""', "author"], // XLSX persons, PPTX
  [/(<p:cmAuthor\b[^>]*\bname=)"[^"]+"/g, '$1""', "author"],
  [/\bw:rsid\w*="[0-9A-Fa-f]{8}"/g, "", "history"],
  [/<w:rsid w:val="[0-9A-Fa-f]{8}"\/>/g, "", "history"],
];

/** What a zip may unpack to before it is left as sent (a "zip bomb" must not take the memory). */
const MAX_UNPACKED_BYTES = 200 * 1024 * 1024;

export function unzipOffice(bytes: Uint8Array): Record<string, Uint8Array> | undefined {
  try {
    // First only the directory: is it an office file, and what does it unpack to?
    let office = false;
    let unpacked = 0;
    unzipSync(bytes, {
      filter: (file) => {
        if (file.name === "[Content_Types].xml") office = true;
        unpacked += file.originalSize;
        return false;
      },
    });
    if (!office) return undefined;
    if (unpacked > MAX_UNPACKED_BYTES) throw new UnparseableError("zip unpacks too large");
    const entries = unzipSync(bytes);
    const actual = Object.values(entries).reduce((sum, data) => sum + data.length, 0);
    if (actual > MAX_UNPACKED_BYTES) throw new UnparseableError("zip unpacks too large");
    return entries;
  } catch (error) {
    if (error instanceof UnparseableError) throw error;
    throw new UnparseableError("zip does not open");
  }
}

export function stripOffice(entries: Record<string, Uint8Array>): Stripped {
  const removed = new Set<MetadataKind>();
  const out: Zippable = {};
  for (const [name, data] of Object.entries(entries)) {
    out[name] = [cleanPart(name, data, removed), { mtime: FIXED_DATE }];
  }
  removed.add("dates"); // the zip's own entry times
  let zipped: Uint8Array;
  try {
    zipped = zipSync(out, { level: 6, mtime: FIXED_DATE });
  } catch {
    throw new UnparseableError("zip does not write");
  }
  return { pieces: [zipped], removed };
}

function cleanPart(name: string, data: Uint8Array, removed: Set<MetadataKind>): Uint8Array {
  const empty = EMPTY_PARTS[name];
  if (empty !== undefined) {
    const text = strFromU8(data);
    for (const [pattern, kind] of PROPERTY_KINDS) if (pattern.test(text)) removed.add(kind);
    return strToU8(empty);
  }
  if (!/\.(xml|rels)$/i.test(name) || name.startsWith("docProps/")) return data;
  let text = strFromU8(data);
  const before = text;
  for (const [pattern, replacement, kind] of PEOPLE) {
    const next = text.replace(pattern, replacement);
    if (next !== text) removed.add(kind);
    text = next;
  }
  return text === before ? data : strToU8(text);
}
