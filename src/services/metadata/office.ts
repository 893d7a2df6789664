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

export function isOfficeZip(entries: Record<string, Uint8Array>): boolean {
  return "[Content_Types].xml" in entries;
}

export function unzipOffice(bytes: Uint8Array): Record<string, Uint8Array> | undefined {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch {
    throw new UnparseableError("zip does not open");
  }
  return isOfficeZip(entries) ? entries : undefined;
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
