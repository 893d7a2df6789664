// Office Open XML (DOCX, XLSX, PPTX): a zip read with caps (zip.ts) and written in memory with
// fflate. Document properties (author, last editor, company, dates, application, custom
// properties) are emptied; the names, initials and dates of comment authors and tracked changes
// are blanked (the text of comments and changes stays: it is content the editors may need);
// revision session ids, document ids, template paths and a workbook's folder (absPath) go;
// custom XML data (SharePoint owners…) is emptied; the thumbnail is dropped; pictures in media/
// are cleaned like pictures sent alone; zip entry times are set to one fixed date. What is
// neither XML nor a cleaned picture nor a font (embedded files, printer settings, macros) is
// kept but reported as left, so the label says "not fully cleaned".
import { strFromU8, strToU8, type Zippable, zipSync } from "fflate";
import { cleanPicture } from "./pictures.js";
import { type LeftKind, type MetadataKind, type Stripped, UnparseableError } from "./types.js";
import { unzipCapped, zipNames } from "./zip.js";

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
  [/<w:rsid\w* w:val="[0-9A-Fa-f]{8}"\/>/g, "", "history"],
  [/<w1[45]:docId\b[^>]*\/>/g, "", "history"], // document ids (settings.xml)
  [/<x15ac:absPath\b[^>]*\/>/g, "", "author"], // the folder a workbook was saved in
  // Links to local files and the attached template: the path names the user's folders.
  [/\bTarget="(?:file:\/\/\/?|[A-Za-z]:\\|\\\\)[^"]*?([^"\\/]*)"/g, 'Target="$1"', "author"],
];

const THUMBNAIL = /^docProps\/thumbnail\.[A-Za-z]+$/;
const MEDIA = /^(word|xl|ppt)\/media\//;
/** Binary parts that carry no hidden data of their own: fonts and vector drawings. */
const KNOWN_BINARY = /\.(odttf|fntdata|ttf|otf|emf|wmf)$/i;

/** The entries of an Office file (unpacked within the caps of zip.ts), or undefined for any other zip. */
export function unzipOffice(bytes: Uint8Array): Map<string, Uint8Array> | undefined {
  if (!zipNames(bytes).includes("[Content_Types].xml")) return undefined;
  return unzipCapped(bytes);
}

export function stripOffice(entries: Map<string, Uint8Array>): Stripped {
  const removed = new Set<MetadataKind>();
  const left = new Set<LeftKind>();
  const out: Zippable = {};
  const thumbnails = [...entries.keys()].filter((name) => THUMBNAIL.test(name));
  for (const [name, data] of entries) {
    if (thumbnails.includes(name)) {
      removed.add("thumbnail");
      continue;
    }
    let cleaned = cleanPart(name, data, removed, left);
    if (thumbnails.length > 0 && (name === "_rels/.rels" || name === "[Content_Types].xml")) {
      cleaned = withoutThumbnail(cleaned);
    }
    // Pictures and other media are compressed already: deflating them again costs seconds.
    out[name] = [cleaned, { mtime: FIXED_DATE, level: MEDIA.test(name) ? 0 : 6 }];
  }
  removed.add("dates"); // the zip's own entry times
  let zipped: Uint8Array;
  try {
    zipped = zipSync(out, { level: 6, mtime: FIXED_DATE });
  } catch {
    throw new UnparseableError("zip does not write");
  }
  return { pieces: [zipped], removed, left };
}

/** The package's references to a dropped thumbnail go with it. */
function withoutThumbnail(data: Uint8Array): Uint8Array {
  const text = strFromU8(data)
    .replace(/<Relationship\b[^>]*Target="\/?docProps\/thumbnail\.[A-Za-z]+"[^>]*\/>/g, "")
    .replace(/<Override\b[^>]*PartName="\/docProps\/thumbnail\.[A-Za-z]+"[^>]*\/>/g, "");
  return strToU8(text);
}

function cleanPart(
  name: string,
  data: Uint8Array,
  removed: Set<MetadataKind>,
  left: Set<LeftKind>,
): Uint8Array {
  const empty = EMPTY_PARTS[name];
  if (empty !== undefined) {
    const text = strFromU8(data);
    for (const [pattern, kind] of PROPERTY_KINDS) if (pattern.test(text)) removed.add(kind);
    return strToU8(empty);
  }
  if (MEDIA.test(name)) {
    try {
      const picture = cleanPicture(data);
      if (picture) {
        for (const kind of picture.removed) removed.add(kind);
        return picture.bytes;
      }
    } catch (error) {
      if (!(error instanceof UnparseableError)) throw error;
    }
  }
  if (/^customXml\/item\d+\.xml$/.test(name)) return emptiedCustomXml(data, removed);
  if (!/\.(xml|rels)$/i.test(name)) {
    if (!KNOWN_BINARY.test(name))
      left.add(/embeddings\//.test(name) ? "embedded-files" : "unknown-parts");
    return data;
  }
  if (name.startsWith("docProps/")) return data;
  let text = strFromU8(data);
  const before = text;
  for (const [pattern, replacement, kind] of PEOPLE) {
    const next = text.replace(pattern, replacement);
    if (next !== text) removed.add(kind);
    text = next;
  }
  return text === before ? data : strToU8(text);
}

/**
 * Custom XML data (SharePoint columns such as the owner, bibliography sources): the root element
 * stays, so the part still parses, and everything inside it goes.
 */
function emptiedCustomXml(data: Uint8Array, removed: Set<MetadataKind>): Uint8Array {
  const text = strFromU8(data);
  const root =
    /^(?:\uFEFF)?(<\?xml[^>]*\?>\s*)?<([\w:.-]+)((?:\s+xmlns(?::[\w.-]+)?="[^"]*")*)[^>]*?(\/?)>/.exec(
      text,
    );
  if (!root) return data;
  const emptied = `${root[1] ?? ""}<${root[2]}${root[3] ?? ""}/>`;
  if (emptied === text.trim()) return data;
  removed.add("other");
  return strToU8(emptied);
}
