// The names attachments get when an editor decrypts a testimony: an extension that opens the file.
import { describe, expect, it } from "vitest";
import { attachmentFileName } from "../../../src/services/archive/testimony.js";

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);

describe("attachment file names", () => {
  it("saves a PNG sent as a photo as .png, not .jpg", () => {
    expect(attachmentFileName(3, "materials", { kind: "photo" }, PNG)).toBe(
      "03-materials-photo.png",
    );
    expect(attachmentFileName(3, "materials", { kind: "photo" }, JPEG)).toBe(
      "03-materials-photo.jpg",
    );
  });

  it("takes the extension from the file name, then the type, then the bytes", () => {
    const png = { kind: "document" as const, mimeType: "image/png" };
    expect(attachmentFileName(1, "originals", png)).toBe("01-originals-document.png");
    expect(attachmentFileName(1, "originals", { ...png, fileName: "scan.PNG" })).toBe(
      "01-originals-document.png",
    );
    expect(attachmentFileName(1, "originals", { kind: "document" }, PNG)).toBe(
      "01-originals-document.png",
    );
    expect(attachmentFileName(1, "originals", { kind: "document" }, new Uint8Array(8))).toBe(
      "01-originals-document.bin",
    );
  });
});
