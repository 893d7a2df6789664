// Files with planted hidden data, made at test time (no downloaded samples): a JPEG with GPS EXIF
// and XMP, a PNG with text chunks, an MP4 with a ©xyz atom, a PDF with an author and XMP, a DOCX
// with a creator and tracked-change author. Each plants its own markers, so a test can search
// the stored result for them.
import { constants, crc32, deflateRawSync, deflateSync } from "node:zlib";
import { strToU8, unzipSync, zipSync } from "fflate";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { pngChunk } from "./media.js";

// --- JPEG --------------------------------------------------------------------------------------

type IfdEntry =
  | { tag: number; ascii: string }
  | { tag: number; short: number }
  | { tag: number; ifd: IfdEntry[] };

/** A big-endian TIFF block: IFD0 entries (ASCII, SHORT or a sub-IFD pointer). */
function tiff(entries: IfdEntry[], withThumbnailIfd = false): Buffer {
  const chunks: Buffer[] = [];
  let size = 8;
  const header = Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]);
  chunks.push(header);
  // Lays out one IFD at `offset`, its out-of-line values and sub-IFDs after it.
  const layout = (list: IfdEntry[], offset: number, last: boolean): Buffer => {
    const table = Buffer.alloc(2 + list.length * 12 + 4);
    table.writeUInt16BE(list.length, 0);
    let extra = Buffer.alloc(0);
    let next = offset + table.length;
    list.forEach((entry, i) => {
      const at = 2 + i * 12;
      table.writeUInt16BE(entry.tag, at);
      if ("short" in entry) {
        table.writeUInt16BE(3, at + 2);
        table.writeUInt32BE(1, at + 4);
        table.writeUInt16BE(entry.short, at + 8);
      } else if ("ascii" in entry) {
        const value = Buffer.from(`${entry.ascii}\0`, "latin1");
        table.writeUInt16BE(2, at + 2);
        table.writeUInt32BE(value.length, at + 4);
        if (value.length <= 4) value.copy(table, at + 8);
        else {
          table.writeUInt32BE(next, at + 8);
          extra = Buffer.concat([extra, value]);
          next += value.length;
        }
      } else {
        table.writeUInt16BE(4, at + 2);
        table.writeUInt32BE(1, at + 4);
        table.writeUInt32BE(next, at + 8);
        const sub = layout(entry.ifd, next, true);
        extra = Buffer.concat([extra, sub]);
        next += sub.length;
      }
    });
    table.writeUInt32BE(last ? 0 : next, table.length - 4);
    return Buffer.concat([table, extra]);
  };
  const ifd0 = layout(entries, 8, !withThumbnailIfd);
  chunks.push(ifd0);
  size += ifd0.length;
  if (withThumbnailIfd) chunks.push(layout([{ tag: 0x0103, short: 6 }], size, true));
  return Buffer.concat(chunks);
}

function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

export interface Planted {
  bytes: Buffer;
  /** Strings planted in the hidden data; none may survive cleaning. */
  planted: string[];
}

/** A width×height picture encoded by jpeg-js (JFIF), then given EXIF (GPS, camera), XMP, a comment. */
export function jpegWithMetadata(width = 64, height = 48, tag = "J"): Planted {
  const raw = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    raw[i * 4] = (i * 7) % 256;
    raw[i * 4 + 1] = (i * 3) % 256;
    raw[i * 4 + 2] = 128;
    raw[i * 4 + 3] = 255;
  }
  const plain = Buffer.from(jpeg.encode({ data: raw, width, height }, 90).data);
  const planted = [
    `Make-${tag}-Zorkiy`,
    `Serial-${tag}-8842-KZ`,
    `GPS-${tag}-47.2214N`,
    `XMP-${tag}-Petrov-Ivan`,
    `Comment-${tag}-unit-4417`,
  ];
  const exif = tiff(
    [
      { tag: 0x010f, ascii: planted[0] as string },
      { tag: 0x0112, short: 1 },
      { tag: 0x8769, ifd: [{ tag: 0xa431, ascii: planted[1] as string }] },
      {
        tag: 0x8825,
        ifd: [
          { tag: 0x0001, ascii: "N" },
          { tag: 0x001d, ascii: planted[2] as string },
        ],
      },
    ],
    true,
  );
  const xmp = Buffer.from(
    `http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>${planted[3]}</dc:creator></x:xmpmeta>`,
    "latin1",
  );
  const bytes = Buffer.concat([
    plain.subarray(0, 2),
    segment(0xe1, Buffer.concat([Buffer.from("Exif\0\0", "latin1"), exif])),
    segment(0xe1, xmp),
    segment(0xfe, Buffer.from(planted[4] as string, "latin1")),
    plain.subarray(2),
  ]);
  return { bytes, planted };
}

/** Width, height and a hash of the decoded pixels. */
export function jpegPixels(bytes: Uint8Array): { width: number; height: number; pixels: Buffer } {
  const image = jpeg.decode(bytes, { useTArray: true });
  return { width: image.width, height: image.height, pixels: Buffer.from(image.data) };
}

// --- PNG ---------------------------------------------------------------------------------------

export function pngWithMetadata(width = 40, height = 30, tag = "P"): Planted {
  const planted = [
    `Author-${tag}-Sidorov`,
    `Software-${tag}-Phone-X9`,
    `iTXt-${tag}-Kharkiv-route`,
  ];
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width * 3; x++) row[1 + x] = (x * 5 + y * 11) % 256;
    rows.push(row);
  }
  const time = Buffer.from([0x07, 0xe8, 3, 1, 12, 30, 0]);
  const bytes = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("tEXt", Buffer.from(`Author\0${planted[0]}`, "latin1")),
    pngChunk(
      "zTXt",
      Buffer.concat([Buffer.from("Software\0\0", "latin1"), deflateSync(planted[1] as string)]),
    ),
    pngChunk("tIME", time),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("iTXt", Buffer.from(`Description\0\0\0\0\0${planted[2]}`, "latin1")),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
  return { bytes, planted: [planted[0] as string, planted[2] as string] };
}

export function pngPixels(bytes: Uint8Array): { width: number; height: number; pixels: Buffer } {
  const image = PNG.sync.read(Buffer.from(bytes));
  return { width: image.width, height: image.height, pixels: image.data };
}

// --- MP4 ---------------------------------------------------------------------------------------

function box(type: string, ...children: Buffer[]): Buffer {
  const body = Buffer.concat(children);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, body]);
}

function timedHeader(type: string, rest: number): Buffer {
  const body = Buffer.alloc(4 + 8 + rest);
  body.writeUInt32BE(0xe0a1b2c3, 4); // creation time
  body.writeUInt32BE(0xe0a1b2c4, 8); // modification time
  return box(type, body);
}

/** A minimal MP4: ftyp, moov (mvhd, one track with stco, udta with ©xyz/©mak), mdat. */
export function mp4WithMetadata(mdatBytes = 4096, tag = "M"): Planted {
  const planted = [`+50.4501+030.5234/${tag}`, `Make-${tag}-ActionCam`, `Model-${tag}-SN-55120`];
  const dataItem = (text: string) => {
    const value = Buffer.from(text, "latin1");
    const head = Buffer.alloc(4);
    head.writeUInt16BE(value.length, 0);
    return Buffer.concat([head, value]);
  };
  const udta = box(
    "udta",
    box("\xa9xyz", dataItem(planted[0] as string)),
    box("\xa9mak", dataItem(planted[1] as string)),
  );
  const meta = box(
    "meta",
    Buffer.alloc(4),
    box("ilst", box("\xa9mod", dataItem(planted[2] as string))),
  );
  const ftyp = box("ftyp", Buffer.from("isom\0\0\x02\0isomiso2mp41", "latin1"));
  const build = (offset: number) => {
    const stco = Buffer.alloc(12);
    stco.writeUInt32BE(1, 4);
    stco.writeUInt32BE(offset, 8);
    return box(
      "moov",
      timedHeader("mvhd", 88),
      box(
        "trak",
        timedHeader("tkhd", 68),
        box("mdia", timedHeader("mdhd", 8), box("minf", box("stbl", box("stco", stco)))),
        box("udta", box("\xa9xyz", dataItem(planted[0] as string))),
      ),
      udta,
      meta,
    );
  };
  const moovLength = build(0).length;
  const mdat = box("mdat", Buffer.alloc(mdatBytes, 0x5a));
  const moov = build(ftyp.length + moovLength + 8);
  return { bytes: Buffer.concat([ftyp, moov, mdat]), planted };
}

/** The box tree (type and size), or an error if the boxes do not tile the file exactly. */
export function mp4Boxes(bytes: Uint8Array, start = 0, end = bytes.length): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: string[] = [];
  let pos = start;
  while (pos < end) {
    const size = view.getUint32(pos);
    const type = Buffer.from(bytes.subarray(pos + 4, pos + 8)).toString("latin1");
    if (size < 8 || pos + size > end) throw new Error(`bad box ${type} at ${pos}`);
    found.push(type);
    if (["moov", "trak", "mdia", "minf", "stbl"].includes(type)) {
      found.push(...mp4Boxes(bytes, pos + 8, pos + size).map((t) => `${type}/${t}`));
    }
    pos += size;
  }
  if (pos !== end) throw new Error("boxes do not end at the end");
  return found;
}

/** The chunk offset in stco (it must still point at the mdat payload). */
export function mp4ChunkOffset(bytes: Uint8Array): number {
  const at = Buffer.from(bytes).indexOf("stco");
  return Buffer.from(bytes).readUInt32BE(at + 12);
}

// --- PDF ---------------------------------------------------------------------------------------

/** A one-page PDF with an Info dictionary (author, creator) and an XMP stream; valid xref. */
export function pdfWithMetadata(tag = "D", options: { brokenXref?: boolean } = {}): Planted {
  const planted = [`Author-${tag}-Kuznetsova`, `Creator-${tag}-Scanner-77`, `XMP-${tag}-Orlov`];
  const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>${planted[2]}</dc:creator></x:xmpmeta>`;
  const content = "BT /F1 12 Tf 20 50 Td (Report) Tj ET";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    `<< /Type /Metadata /Subtype /XML /Length ${xmp.length} >>\nstream\n${xmp}\nendstream`,
    `<< /Author (${planted[0]}) /Creator (${planted[1]}) /CreationDate (D:20240301120000Z) >>`,
  ];
  let body = "%PDF-1.7\n";
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xrefAt = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 7 0 R >>\n`;
  body += `startxref\n${options.brokenXref ? xrefAt + 17 : xrefAt}\n%%EOF\n`;
  return { bytes: Buffer.from(body, "latin1"), planted };
}

// --- DOCX --------------------------------------------------------------------------------------

export function docxWithMetadata(tag = "W"): Planted {
  const planted = [`Creator-${tag}-Volkov`, `Editor-${tag}-Morozova`, `Company-${tag}-VCh-54321`];
  const files = {
    "[Content_Types].xml":
      '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    "_rels/.rels":
      '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    "word/document.xml": `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p w:rsidR="00A1B2C3"><w:r><w:t>Statement text</w:t></w:r><w:ins w:id="1" w:author="${planted[1]}" w:date="2024-03-01T10:00:00Z"><w:r><w:t>added</w:t></w:r></w:ins></w:p></w:body></w:document>`,
    "docProps/core.xml": `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"><dc:creator>${planted[0]}</dc:creator><cp:lastModifiedBy>${planted[1]}</cp:lastModifiedBy><dcterms:created>2024-03-01T10:00:00Z</dcterms:created></cp:coreProperties>`,
    "docProps/app.xml": `<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Office Word</Application><Company>${planted[2]}</Company></Properties>`,
  };
  const zipped = zipSync(
    Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)])),
    { level: 0 },
  );
  return { bytes: Buffer.from(zipped), planted };
}

/** The document text of a DOCX (it must still be there after cleaning). */
export function docxText(bytes: Uint8Array): string {
  const entries = unzipSync(bytes);
  const document = entries["word/document.xml"];
  if (!document) throw new Error("no word/document.xml");
  return Buffer.from(document).toString("utf8");
}

// --- compression bombs -------------------------------------------------------------------------

/** A zip of already-deflated entries (no zip library writes entries it did not deflate). */
function zipOfDeflated(entries: { name: string; data: Uint8Array; crc: number; size: number }[]) {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(entry.crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(entry.crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(entry.data));
    centrals.push(central, name);
    offset += 30 + name.length + entry.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * A Word file of a few hundred KiB whose document unpacks to `unpackedMiB` MiB of valid XML (a
 * "zip bomb" any Telegram user can send as a document). Deflated piece by piece, so making it
 * never holds the unpacked size in memory.
 */
export function docxBomb(unpackedMiB = 190): Buffer {
  const deflate = (text: string) => {
    const data = strToU8(text);
    return { data: deflateRawSync(data), crc: crc32(data), size: data.length };
  };
  // Each piece ends in a full flush (no back-references across it), so one deflated paragraph
  // can be repeated as often as needed; the tail closes the stream.
  const flushed = (data: Uint8Array) =>
    deflateRawSync(data, { finishFlush: constants.Z_FULL_FLUSH });
  const paragraph = strToU8(
    "<w:p><w:r><w:t>aaaaaaaaaaaaaaaaaaaaaaaa</w:t></w:r></w:p>".repeat(16384),
  );
  const head = strToU8(
    '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>',
  );
  const tail = strToU8("</w:body></w:document>");
  const packedParagraph = flushed(paragraph);
  const chunks: Uint8Array[] = [flushed(head)];
  let crc = crc32(head);
  let size = head.length;
  while (size < unpackedMiB * 1024 * 1024) {
    chunks.push(packedParagraph);
    crc = crc32(paragraph, crc);
    size += paragraph.length;
  }
  chunks.push(deflateRawSync(tail));
  crc = crc32(tail, crc);
  size += tail.length;
  const office = docxWithMetadata("bomb");
  const small = unzipSync(office.bytes);
  const entries = Object.entries(small)
    .filter(([name]) => name !== "word/document.xml")
    .map(([name, data]) => ({ name, ...deflate(Buffer.from(data).toString("utf8")) }));
  entries.push({ name: "word/document.xml", data: Buffer.concat(chunks), crc, size });
  return zipOfDeflated(entries);
}
