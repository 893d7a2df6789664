// Crafted files that hide identity one level down (inside a picture inside a document, in a
// thumbnail, a private chunk, a sensor track, an old PDF revision), one per carrier. Each plants
// its own markers; `flagged` lists markers the cleaner may keep as long as it says so.

import { strToU8, zipSync } from "fflate";
import { PNG } from "pngjs";
import { pngChunk } from "./media.js";
import { jpegWithMetadata, type Planted } from "./metadata-files.js";

export interface CorpusFile extends Planted {
  name: string;
  mime: string;
  /** Markers left in on purpose, for which the label must say "not fully cleaned". */
  flagged?: string[];
}

/** A JPEG whose JFIF segment carries a thumbnail (its pixels spell the marker). */
function jpegWithJfifThumbnail(tag: string): CorpusFile {
  const marker = `JFIFthumb-${tag}-Sokolov`.padEnd(24, "_").slice(0, 24); // 8×1 RGB pixels
  const base = jpegWithMetadata(32, 24, `${tag}j`);
  const soi = base.bytes.subarray(0, 2);
  const jfif = Buffer.concat([
    Buffer.from("JFIF\0\x01\x01\0\0\x01\0\x01\x08\x01", "latin1"),
    Buffer.from(marker, "latin1"),
  ]);
  const app0 = Buffer.concat([Buffer.from([0xff, 0xe0, 0, 0]), jfif]);
  app0.writeUInt16BE(jfif.length + 2, 2);
  return {
    name: "photo-thumb.jpg",
    mime: "image/jpeg",
    bytes: Buffer.concat([soi, app0, base.bytes.subarray(2)]),
    planted: [marker, ...base.planted],
  };
}

/** A PNG with a C2PA manifest chunk (caBX) naming a person, and a private chunk. */
function pngWithPrivateChunks(tag: string): CorpusFile {
  const png = new PNG({ width: 8, height: 8 });
  png.data.fill(200);
  const plain = PNG.sync.write(png);
  const planted = [`C2PA-${tag}-Belova-Anna`, `Private-${tag}-device-7781`];
  const iend = plain.length - 12;
  const bytes = Buffer.concat([
    plain.subarray(0, 33), // signature and IHDR
    pngChunk("caBX", Buffer.from(planted[0] as string, "latin1")),
    pngChunk("prVt", Buffer.from(planted[1] as string, "latin1")),
    plain.subarray(33, iend),
    plain.subarray(iend),
  ]);
  return { name: "chart.png", mime: "image/png", bytes, planted };
}

const box = (type: string, ...children: Buffer[]) => {
  const body = Buffer.concat(children);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, body]);
};
const fullBox = (type: string, body: Buffer) => box(type, Buffer.alloc(4), body);
const handler = (kind: string) =>
  fullBox("hdlr", Buffer.concat([Buffer.alloc(4), Buffer.from(kind, "latin1"), Buffer.alloc(13)]));

/** An MP4 with a video track and a GoPro-style timed-metadata track (GPS in its samples). */
function mp4WithSensorTrack(tag: string): CorpusFile {
  const gps = `GPMF-${tag}-GPS5-48.8566N-2.3522E`;
  const ftyp = box("ftyp", Buffer.from("isom\0\0\x02\0isomiso2mp41", "latin1"));
  const track = (kind: string, offset: number) => {
    const stco = Buffer.alloc(8);
    stco.writeUInt32BE(1, 0);
    stco.writeUInt32BE(offset, 4);
    return box(
      "trak",
      fullBox("tkhd", Buffer.alloc(80)),
      box(
        "mdia",
        fullBox("mdhd", Buffer.alloc(20)),
        handler(kind),
        box("minf", box("stbl", fullBox("stco", stco))),
      ),
    );
  };
  const build = (offset: number) =>
    box(
      "moov",
      fullBox("mvhd", Buffer.alloc(96)),
      track("vide", offset),
      track("meta", offset + 64),
    );
  const moovLength = build(0).length;
  const samples = Buffer.concat([Buffer.alloc(64, 0x11), Buffer.from(gps, "latin1")]);
  const bytes = Buffer.concat([ftyp, build(ftyp.length + moovLength + 8), box("mdat", samples)]);
  return { name: "GX010042.mp4", mime: "video/mp4", bytes, planted: [gps], flagged: [gps] };
}

/**
 * A PDF with a photo (DCTDecode) carrying EXIF GPS and a serial, page-level /PieceInfo, an owner
 * in Info, and an unreferenced object left from an earlier revision.
 */
function pdfWithNestedData(tag: string): CorpusFile {
  const photo = jpegWithMetadata(16, 16, `${tag}p`);
  const planted = [
    `PieceInfo-${tag}-Gromov`,
    `Owner-${tag}-Lebedev`,
    `OldRevision-${tag}-Frolov`,
    ...photo.planted,
  ];
  const content = "q 100 0 0 100 0 0 cm /Im1 Do Q";
  const parts: (string | Buffer)[][] = [
    ["<< /Type /Catalog /Pages 2 0 R >>"],
    ["<< /Type /Pages /Kids [3 0 R] /Count 1 >>"],
    [
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> /PieceInfo << /App << /Private (${planted[0]}) >> >> >>`,
    ],
    [`<< /Length ${content.length} >>\nstream\n${content}\nendstream`],
    [
      `<< /Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${photo.bytes.length} >>\nstream\n`,
      photo.bytes,
      "\nendstream",
    ],
    [`<< /Author (${planted[1]}) >>`],
    [`<< /Author (${planted[2]}) /Producer (old) /Note (nothing points here) /Kind /Old >>`],
  ];
  return { name: "scan.pdf", mime: "application/pdf", bytes: pdfOf(parts, 6), planted };
}

/** A PDF of these objects (numbered from 1; pieces are text or bytes), with a valid xref. */
export function pdfOf(objects: (string | Buffer)[][], info?: number): Buffer {
  const chunks: Buffer[] = [Buffer.from("%PDF-1.7\n", "latin1")];
  let length = chunks[0]?.length ?? 0;
  const offsets: number[] = [];
  objects.forEach((pieces, i) => {
    offsets.push(length);
    for (const piece of [`${i + 1} 0 obj\n`, ...pieces, "\nendobj\n"]) {
      const buffer = typeof piece === "string" ? Buffer.from(piece, "latin1") : piece;
      chunks.push(buffer);
      length += buffer.length;
    }
  });
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) tail += `${String(offset).padStart(10, "0")} 00000 n \n`;
  const infoRef = info ? ` /Info ${info} 0 R` : "";
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${infoRef} >>\nstartxref\n${length}\n%%EOF\n`;
  chunks.push(Buffer.from(tail, "latin1"));
  return Buffer.concat(chunks);
}

const CONTENT_TYPES =
  '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/docProps/thumbnail.jpeg" ContentType="image/jpeg"/></Types>';

/**
 * A DOCX with a pasted photo (EXIF GPS), the user's folder in the template path, a SharePoint
 * owner in custom XML, custom properties, a co-author list, a document id and a thumbnail.
 */
function docxWithNestedData(tag: string): CorpusFile {
  const photo = jpegWithMetadata(16, 16, `${tag}d`);
  const thumb = jpegWithMetadata(8, 8, `${tag}t`);
  const planted = [
    `Users-${tag}-ivan.petrov`,
    `SharePoint-${tag}-Owner-Kovalenko`,
    `Custom-${tag}-Unit-40123`,
    `Person-${tag}-Vasiliev`,
    "{5F2A9C10-1234-4ABC-9DEF-0123456789AB}",
    ...photo.planted,
    ...thumb.planted,
  ];
  const files: Record<string, Uint8Array> = {
    "[Content_Types].xml": strToU8(CONTENT_TYPES),
    "_rels/.rels": strToU8(
      '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/></Relationships>',
    ),
    "docProps/thumbnail.jpeg": thumb.bytes,
    "docProps/custom.xml": strToU8(
      `<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Unit"><vt:lpwstr>${planted[2]}</vt:lpwstr></property></Properties>`,
    ),
    "customXml/item1.xml": strToU8(
      `<?xml version="1.0"?><p:properties xmlns:p="http://schemas.microsoft.com/office/2006/metadata/properties"><documentManagement><Owner>${planted[1]}</Owner></documentManagement></p:properties>`,
    ),
    "word/document.xml": strToU8(
      '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Statement text</w:t></w:r></w:p></w:body></w:document>',
    ),
    "word/settings.xml": strToU8(
      `<?xml version="1.0"?><w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:attachedTemplate r:id="rId1"/><w:rsids><w:rsidRoot w:val="00A1B2C3"/><w:rsid w:val="00D4E5F6"/></w:rsids><w15:docId w15:val="${planted[4]}"/></w:settings>`,
    ),
    "word/_rels/settings.xml.rels": strToU8(
      `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="file:///C:\\Users\\${planted[0]}\\AppData\\Roaming\\Microsoft\\Templates\\Normal.dotm" TargetMode="External"/></Relationships>`,
    ),
    "word/people.xml": strToU8(
      `<?xml version="1.0"?><w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"><w15:person w15:author="${planted[3]}"><w15:presenceInfo w15:providerId="AD" w15:userId="S::${planted[3]}@example.org"/></w15:person></w15:people>`,
    ),
    "word/media/image1.jpeg": photo.bytes,
  };
  return {
    name: "statement.docx",
    mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    bytes: Buffer.from(zipSync(files)),
    planted,
  };
}

/** An XLSX whose workbook names the folder it was saved in (x15ac:absPath). */
function xlsxWithAbsPath(tag: string): CorpusFile {
  const user = `Users-${tag}-s.morozov`;
  const files = {
    "[Content_Types].xml": strToU8(CONTENT_TYPES),
    "xl/workbook.xml": strToU8(
      `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:AlternateContent><mc:Choice Requires="x15"><x15ac:absPath url="C:\\Users\\${user}\\Documents\\" xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/></mc:Choice></mc:AlternateContent><sheets/></workbook>`,
    ),
  };
  return {
    name: "list.xlsx",
    mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    bytes: Buffer.from(zipSync(files)),
    planted: [user],
  };
}

export function metadataCorpus(tag = "c"): CorpusFile[] {
  return [
    jpegWithJfifThumbnail(tag),
    pngWithPrivateChunks(tag),
    mp4WithSensorTrack(tag),
    pdfWithNestedData(tag),
    docxWithNestedData(tag),
    xlsxWithAbsPath(tag),
  ];
}
