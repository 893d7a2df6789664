// A file built to stall or exhaust the cleaner (a "zip bomb" sent as a document) is stored as
// sent, marked "too complex", and never unpacked on the event loop: other work goes on meanwhile.
import { describe, expect, it } from "vitest";
import { prepareAttachment } from "../../src/services/interview/attachments.js";
import { fileCleaner } from "../../src/services/metadata/cleaner.js";
import { docxBomb, docxWithMetadata } from "../helpers/metadata-files.js";

const bomb = docxBomb(190);

const streamOf = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(bytes));
      controller.close();
    },
  });

describe("a Word file that unpacks to 190 MiB", () => {
  it("is small on the wire and claims its full size inside", () => {
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const central = bomb.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    expect(bomb.readUInt32LE(central + 24)).toBeGreaterThan(190 * 1024 * 1024);
  });

  it("(an ordinary Word file goes through the same worker and comes out cleaned)", async () => {
    const result = await fileCleaner().clean(docxWithMetadata("ok").bytes);
    expect(result).toMatchObject({ cleaned: true });
    expect(result.removed).toContain("author");
  });

  it("is kept byte for byte, 'too complex', while the event loop keeps running", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const result = await fileCleaner().clean(new Uint8Array(bomb));
    clearInterval(timer);
    expect(result).toMatchObject({ cleaned: false, reason: "too-complex", removed: [] });
    expect(Buffer.from(result.bytes).equals(bomb)).toBe(true);
    // Unpacked on the event loop, not one timer would have run before the answer.
    expect(ticks).toBeGreaterThan(0);
  });

  it("as a document: stored as sent, and its description says why", async () => {
    const prepared = await prepareAttachment(
      streamOf(bomb),
      { kind: "document", fileName: "report.docx", size: bomb.length },
      { keepOriginal: false },
    );
    const chunks: Uint8Array[] = [];
    const reader = prepared.body.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
    }
    expect(Buffer.concat(chunks).equals(bomb)).toBe(true);
    expect(prepared.meta.cleaning).toEqual({ cleaned: false, removed: [], reason: "too-complex" });
  });
});
