// Removing hidden data from files: each format, what goes, what stays, and files that do not parse.
import { createHash } from "node:crypto";
import { PDFDocument } from "@cantoo/pdf-lib";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import {
  cleaningLabel,
  renderMarkdown,
  type Testimony,
} from "../../src/services/archive/testimony.js";
import {
  type AttachmentMeta,
  prepareAttachment,
} from "../../src/services/interview/attachments.js";
import { stripMetadata } from "../../src/services/metadata/index.js";
import {
  docxBomb,
  docxText,
  docxWithMetadata,
  jpegPixels,
  jpegWithMetadata,
  mp4Boxes,
  mp4ChunkOffset,
  mp4WithMetadata,
  pdfWithMetadata,
  pngPixels,
  pngWithMetadata,
} from "../helpers/metadata-files.js";
import { findPlanted } from "../helpers/scan.js";

const hash = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Every byte a reader of the file could get at, zip entries unpacked. */
function readable(bytes: Uint8Array): Buffer {
  const parts = [Buffer.from(bytes)];
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    for (const entry of Object.values(unzipSync(bytes))) parts.push(Buffer.from(entry));
  }
  return Buffer.concat(parts);
}

describe("stripMetadata", () => {
  it("JPEG: EXIF (GPS, camera, thumbnail), XMP and comments go; the pixels stay", async () => {
    const { bytes, planted } = jpegWithMetadata();
    expect(findPlanted(bytes, planted)).toEqual(planted);
    const before = jpegPixels(bytes);
    const result = await stripMetadata(Buffer.from(bytes));
    expect(result.cleaned).toBe(true);
    expect(result.removed).toEqual(
      expect.arrayContaining(["gps", "camera", "thumbnail", "xmp", "comments"]),
    );
    expect(findPlanted(Buffer.from(result.bytes), planted)).toEqual([]);
    const after = jpegPixels(result.bytes);
    expect([after.width, after.height]).toEqual([before.width, before.height]);
    expect(hash(after.pixels)).toBe(hash(before.pixels));
  });

  it("JPEG: the orientation survives in a minimal EXIF block", async () => {
    const { bytes } = jpegWithMetadata();
    // Orientation 1 → 6 (the fixture's IFD0 has it as a SHORT; find and change it).
    const at = bytes.indexOf(Buffer.from([0x01, 0x12, 0x00, 0x03]));
    bytes[at + 9] = 6;
    const result = await stripMetadata(bytes);
    const out = Buffer.from(result.bytes);
    const exif = out.indexOf("Exif\0\0");
    expect(exif).toBeGreaterThan(0);
    expect(out.indexOf(Buffer.from([0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0, 6]))).toBeGreaterThan(
      exif,
    );
    expect(jpegPixels(out).width).toBe(64);
  });

  it("PNG: text chunks and tIME go; the pixels stay", async () => {
    const { bytes, planted } = pngWithMetadata();
    const before = pngPixels(bytes);
    const result = await stripMetadata(bytes);
    expect(result).toMatchObject({ cleaned: true });
    expect(result.removed).toEqual(expect.arrayContaining(["author", "software", "dates"]));
    expect(findPlanted(Buffer.from(result.bytes), planted)).toEqual([]);
    expect(Buffer.from(result.bytes).includes("Software")).toBe(false);
    const after = pngPixels(result.bytes);
    expect([after.width, after.height]).toEqual([before.width, before.height]);
    expect(hash(after.pixels)).toBe(hash(before.pixels));
  });

  it("MP4: ©xyz, make, model and dates go; boxes and chunk offsets stay", async () => {
    const { bytes, planted } = mp4WithMetadata();
    const boxes = mp4Boxes(bytes);
    const offset = mp4ChunkOffset(bytes);
    const result = await stripMetadata(Buffer.from(bytes));
    expect(result.cleaned).toBe(true);
    expect(result.removed).toEqual(expect.arrayContaining(["gps", "camera", "dates"]));
    expect(findPlanted(Buffer.from(result.bytes), planted)).toEqual([]);
    expect(result.bytes.length).toBe(bytes.length);
    const after = mp4Boxes(result.bytes);
    expect(after).toEqual(boxes.map((b) => b.replace(/(udta|meta)$/, "free")));
    expect(mp4ChunkOffset(result.bytes)).toBe(offset);
    expect(Buffer.from(result.bytes).subarray(offset, offset + 16)).toEqual(Buffer.alloc(16, 0x5a));
  });

  it("PDF: Info and XMP go; the page stays", async () => {
    const { bytes, planted } = pdfWithMetadata();
    const result = await stripMetadata(bytes);
    expect(result.cleaned).toBe(true);
    expect(result.removed).toEqual(expect.arrayContaining(["author", "software", "dates", "xmp"]));
    expect(findPlanted(Buffer.from(result.bytes), planted)).toEqual([]);
    const reopened = await PDFDocument.load(result.bytes, { updateMetadata: false });
    expect(reopened.getPageCount()).toBe(1);
    expect(reopened.getAuthor()).toBeUndefined();
  });

  it("DOCX: properties and tracked-change authors go; the text stays", async () => {
    const { bytes, planted } = docxWithMetadata();
    const result = await stripMetadata(bytes);
    expect(result.cleaned).toBe(true);
    expect(result.removed).toEqual(expect.arrayContaining(["author", "software", "dates"]));
    expect(findPlanted(readable(result.bytes), planted)).toEqual([]);
    expect(docxText(result.bytes)).toContain("Statement text");
    expect(docxText(result.bytes)).toContain("added");
  });

  it("WebP: EXIF and XMP chunks go, their VP8X flags are cleared, the RIFF size fits", async () => {
    const chunk = (type: string, data: Buffer) => {
      const head = Buffer.alloc(8);
      head.write(type, 0, "latin1");
      head.writeUInt32LE(data.length, 4);
      return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
    };
    const vp8x = Buffer.alloc(10);
    vp8x[0] = 0x08 | 0x04 | 0x10; // EXIF, XMP and alpha
    const image = chunk("VP8L", Buffer.from("not really pixels, but kept as they are", "latin1"));
    const body = Buffer.concat([
      Buffer.from("WEBP", "latin1"),
      chunk("VP8X", vp8x),
      image,
      chunk("EXIF", Buffer.from("MM\0*\0\0\0\x08\0\0\0\0\0\0Serial-Webp-991", "latin1")),
      chunk("XMP ", Buffer.from("<x:xmpmeta>Author-Webp-Belov</x:xmpmeta>", "latin1")),
    ]);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(body.length);
    const webp = Buffer.concat([Buffer.from("RIFF", "latin1"), size, body]);
    const result = await stripMetadata(webp);
    const out = Buffer.from(result.bytes);
    expect(result).toMatchObject({ cleaned: true, removed: ["xmp", "other"] });
    expect(findPlanted(out, ["Serial-Webp-991", "Author-Webp-Belov"])).toEqual([]);
    expect(out.readUInt32LE(4)).toBe(out.length - 8);
    expect(out[20]).toBe(0x10); // only the alpha flag left
    expect(out.includes(image)).toBe(true);
  });

  it("a truncated JPEG and a PDF with a broken xref are kept as sent, marked unparseable", async () => {
    const { bytes } = jpegWithMetadata();
    const truncated = bytes.subarray(0, bytes.length - 200);
    const jpegResult = await stripMetadata(Buffer.from(truncated));
    expect(jpegResult).toMatchObject({ cleaned: false, reason: "unparseable", removed: [] });
    expect(Buffer.from(jpegResult.bytes).equals(truncated)).toBe(true);

    const broken = pdfWithMetadata("X", { brokenXref: true }).bytes;
    const pdfResult = await stripMetadata(broken);
    expect(pdfResult).toMatchObject({ cleaned: false, reason: "unparseable" });
    expect(Buffer.from(pdfResult.bytes).equals(broken)).toBe(true);
  });

  it("an MP4 whose boxes do not add up is left untouched", async () => {
    const { bytes } = mp4WithMetadata();
    const cut = Buffer.from(bytes.subarray(0, bytes.length - 100));
    const copy = Buffer.from(cut);
    const result = await stripMetadata(cut);
    expect(result).toMatchObject({ cleaned: false, reason: "unparseable" });
    expect(Buffer.from(result.bytes).equals(copy)).toBe(true);
  });

  it("an office file whose entry unpacks past the caps is kept as sent, 'too complex'", async () => {
    const bytes = docxBomb(8); // 8 MiB from a few KiB: far over the compression-ratio cap
    const copy = Buffer.from(bytes);
    const result = await stripMetadata(bytes);
    expect(result).toMatchObject({ cleaned: false, reason: "too-complex" });
    expect(Buffer.from(result.bytes).equals(copy)).toBe(true);
  });

  it("unknown formats and HEIC are kept as sent, and say so", async () => {
    const text = Buffer.from("just some text, not a known format");
    expect(await stripMetadata(text)).toMatchObject({ cleaned: false, reason: "unknown-format" });
    const heic = Buffer.concat([Buffer.from("\0\0\0\x18ftypheic\0\0\0\0mif1heic", "latin1")]);
    expect(await stripMetadata(heic)).toMatchObject({
      cleaned: false,
      reason: "unsupported-format",
    });
    const zip = Buffer.from(docxWithMetadata().bytes);
    // A zip that is not an office document: not touched.
    const plainZip = Buffer.from(
      (await import("fflate")).zipSync({ "notes.txt": Buffer.from("hello") }),
    );
    expect(await stripMetadata(plainZip)).toMatchObject({
      cleaned: false,
      reason: "unknown-format",
    });
    expect((await stripMetadata(zip)).cleaned).toBe(true);
  });
});

describe("prepareAttachment", () => {
  const streamOf = (bytes: Uint8Array, piece = 1000) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += piece) controller.enqueue(bytes.slice(i, i + piece));
        controller.close();
      },
    });
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const chunks: Uint8Array[] = [];
    const reader = stream.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
    }
    return Buffer.concat(chunks);
  };

  it("cleans a document and records the kinds removed, with the new size", async () => {
    const { bytes, planted } = jpegWithMetadata();
    const meta = { kind: "document", fileName: "a.jpg", size: bytes.length };
    const prepared = await prepareAttachment(streamOf(bytes), meta, { keepOriginal: false });
    const out = await collect(prepared.body);
    expect(findPlanted(out, planted)).toEqual([]);
    expect(prepared.meta.size).toBe(out.length);
    expect(prepared.meta.cleaning).toMatchObject({ cleaned: true });
    expect(prepared.meta.cleaning?.removed).toContain("gps");
  });

  it("keeps the original when asked, and streams unknown formats through unchanged", async () => {
    const { bytes } = jpegWithMetadata();
    const kept = await prepareAttachment(
      streamOf(bytes),
      { kind: "document" },
      { keepOriginal: true },
    );
    expect((await collect(kept.body)).equals(bytes)).toBe(true);
    expect(kept.meta.cleaning).toEqual({ cleaned: false, removed: [], reason: "original" });

    const other = Buffer.alloc(5000, 7);
    const passed = await prepareAttachment(
      streamOf(other, 300),
      { kind: "document" },
      {
        keepOriginal: false,
      },
    );
    expect((await collect(passed.body)).equals(other)).toBe(true);
    expect(passed.meta.cleaning?.reason).toBe("unknown-format");
  });

  it("leaves what Telegram made itself (photos, voice) without a note", async () => {
    const { bytes } = jpegWithMetadata();
    const photo = await prepareAttachment(
      streamOf(bytes),
      { kind: "photo" },
      {
        keepOriginal: false,
      },
    );
    expect(photo.meta.cleaning).toBeUndefined();
    expect((await collect(photo.body)).equals(bytes)).toBe(true);
  });
});

describe("what editors see of it", () => {
  const testimony = (cleaning: unknown): Testimony => ({
    manifest: {
      format: 1,
      submission: 7,
      questionnaireVersion: 1,
      locale: "ru",
      status: "new",
      createdOn: "2026-01-01",
      parts: [],
    },
    items: [
      {
        questionId: "materials",
        kind: "attachment",
        attachment: {
          meta: { kind: "document", fileName: "a.jpg", cleaning } as AttachmentMeta,
          bytes: new Uint8Array(1),
          fileName: "01-materials-document.jpg",
        },
      },
    ],
  });

  it("testimony.md says what was removed, or why nothing was, in the editor's language", () => {
    const cleaned = { cleaned: true, removed: ["gps", "camera", "dates"] };
    expect(renderMarkdown(testimony(cleaned), "en")).toContain(
      "` a.jpg ` — cleaned: GPS, camera, dates",
    );
    expect(renderMarkdown(testimony(cleaned), "ru")).toContain(
      "` a.jpg ` — очищен: координаты, камера и телефон, даты",
    );
    const unknown = { cleaned: false, removed: [], reason: "unknown-format" };
    expect(renderMarkdown(testimony(unknown), "en")).toContain("— not cleaned: unknown format");
  });

  it("a hostile description shows only known kinds and reasons", () => {
    const t = (key: string, args?: Record<string, string | number>) =>
      `${key}${args ? JSON.stringify(args) : ""}`;
    expect(cleaningLabel({ cleaned: true, removed: ["gps", "<script>", "../x"] }, t)).toBe(
      'file-cleaned{"kinds":"file-kind-gps"}',
    );
    expect(cleaningLabel({ cleaned: false, reason: "evil" }, t)).toBeUndefined();
    expect(cleaningLabel("cleaned", t)).toBeUndefined();
    expect(renderMarkdown(testimony(undefined), "en")).not.toContain("cleaned");
  });
});
