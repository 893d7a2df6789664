// Small real media files made at test time, so a browser can actually load them: an Ogg Opus
// voice message (silence) and a PNG picture. A marker can be planted inside each.
import { crc32, deflateSync } from "node:zlib";

// The Ogg Opus voice message lives with the Telegram emulator (the demo sends it as a sample).
export { oggOpusSilence } from "../../src/telegram-emulator/media.js";

// --- PNG -------------------------------------------------------------------------------------

export function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, body, crc]);
}

/** A width×height RGB PNG with a soft gradient; `marker` goes into a tEXt chunk. */
export function gradientPng(width: number, height: number, marker = ""): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = 90 + Math.round((100 * x) / width);
      row[2 + x * 3] = 120 + Math.round((80 * y) / height);
      row[3 + x * 3] = 140;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    ...(marker ? [pngChunk("tEXt", Buffer.from(`Comment\0${marker}`, "latin1"))] : []),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}
