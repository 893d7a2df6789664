// Invariant 8: bad input never stalls the bot. A file built to be huge or slow once parsed (a
// Word "zip bomb", a PDF of countless objects) is looked at off the event loop, within caps, and
// stored as sent with the reason; the cleaner keeps working for the next file.
import { describe, expect, it } from "vitest";
import { fileCleaner } from "../../src/services/metadata/cleaner.js";
import { docxBomb, jpegWithMetadata } from "../helpers/metadata-files.js";

/** A valid PDF with `count` small objects (one page; the rest are unreferenced numbers). */
function pdfWithObjects(count: number): Buffer {
  const chunks = ["%PDF-1.7\n"];
  let length = chunks[0]?.length ?? 0;
  const offsets: number[] = [];
  const add = (body: string) => {
    offsets.push(length);
    const text = `${offsets.length} 0 obj\n${body}\nendobj\n`;
    chunks.push(text);
    length += text.length;
  };
  add("<< /Type /Catalog /Pages 2 0 R >>");
  add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
  add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>");
  while (offsets.length < count) add("0");
  let tail = `xref\n0 ${count + 1}\n0000000000 65535 f \n`;
  tail += offsets.map((offset) => `${String(offset).padStart(10, "0")} 00000 n \n`).join("");
  tail += `trailer\n<< /Size ${count + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  chunks.push(tail);
  return Buffer.from(chunks.join(""), "latin1");
}

describe("no file stalls the cleaner or the bot", () => {
  it("a zip bomb and a PDF of 150 000 objects are kept as sent, 'too complex'", async () => {
    for (const bytes of [docxBomb(190), pdfWithObjects(150_000)]) {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const result = await fileCleaner().clean(new Uint8Array(bytes));
      clearInterval(timer);
      expect(result).toMatchObject({ cleaned: false, reason: "too-complex" });
      expect(Buffer.from(result.bytes).equals(bytes)).toBe(true);
      expect(ticks).toBeGreaterThan(0); // the event loop ran while the file was looked at
    }
  });

  it("a PDF of a few hundred objects is still cleaned, and so is the next picture", async () => {
    expect(await fileCleaner().clean(pdfWithObjects(300))).toMatchObject({ cleaned: true });
    const next = await fileCleaner().clean(jpegWithMetadata().bytes);
    expect(next).toMatchObject({ cleaned: true });
    expect(next.removed).toContain("gps");
  });
});
