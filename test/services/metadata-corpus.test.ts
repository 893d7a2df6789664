// Identity hidden one level down: a picture inside a document, a thumbnail, a private chunk, a
// sensor track, an old PDF revision. Each crafted file is cleaned, unpacked (zip entries, PDF
// streams) and searched: nothing planted survives unless the label says "not fully cleaned".
import { PDFDocument } from "@cantoo/pdf-lib";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { cleaningLabel } from "../../src/services/archive/testimony.js";
import { stripMetadata } from "../../src/services/metadata/index.js";
import { metadataCorpus } from "../helpers/metadata-corpus.js";
import { jpegPixels, pngPixels } from "../helpers/metadata-files.js";
import { findPlanted } from "../helpers/scan.js";
import { unpacked } from "../helpers/unpack.js";

const corpus = metadataCorpus("u");
const byName = (name: string) => {
  const file = corpus.find((f) => f.name === name);
  if (!file) throw new Error(name);
  return file;
};
const t = (key: string, args?: Record<string, string | number>) =>
  `${key}${args ? JSON.stringify(args) : ""}`;

describe("nested hidden data", () => {
  for (const file of corpus) {
    it(`${file.name}: nothing planted survives, or the label says what was left`, async () => {
      const before = findPlanted(unpacked(file.bytes), file.planted);
      expect(before).toEqual(file.planted); // the markers are really there to begin with
      const result = await stripMetadata(Buffer.from(file.bytes));
      const survived = findPlanted(unpacked(result.bytes), file.planted);
      expect(survived).toEqual(file.flagged ?? []);
      expect(result.cleaned).toBe(true);
      const label = cleaningLabel(result, t);
      if (file.flagged) expect(label).toMatch(/^file-not-fully-cleaned/);
      else expect(label).toMatch(/^file-cleaned/);
    });
  }

  it("the pictures still show, the PDF still opens, the Office files still unzip", async () => {
    const jpeg = byName("photo-thumb.jpg");
    const cleanedJpeg = (await stripMetadata(Buffer.from(jpeg.bytes))).bytes;
    expect(jpegPixels(cleanedJpeg).pixels.equals(jpegPixels(jpeg.bytes).pixels)).toBe(true);
    const png = byName("chart.png");
    const cleanedPng = (await stripMetadata(Buffer.from(png.bytes))).bytes;
    expect(pngPixels(cleanedPng).pixels.equals(pngPixels(png.bytes).pixels)).toBe(true);
    const pdf = (await stripMetadata(Buffer.from(byName("scan.pdf").bytes))).bytes;
    expect((await PDFDocument.load(pdf)).getPageCount()).toBe(1);
    const docx = (await stripMetadata(Buffer.from(byName("statement.docx").bytes))).bytes;
    const entries = unzipSync(docx);
    expect(Object.keys(entries)).not.toContain("docProps/thumbnail.jpeg");
    expect(Buffer.from(entries["word/document.xml"] ?? []).toString()).toContain("Statement text");
    expect(jpegPixels(entries["word/media/image1.jpeg"] ?? new Uint8Array()).width).toBe(16);
    expect(Buffer.from(entries["_rels/.rels"] ?? []).toString()).not.toContain("thumbnail");
  });

  it("an MP4 with a sensor track says so: 'not fully cleaned', a sensor data track left", async () => {
    const result = await stripMetadata(Buffer.from(byName("GX010042.mp4").bytes));
    expect(result.left).toEqual(["timed-metadata"]);
  });
});
