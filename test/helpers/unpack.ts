// Every byte a reader of a stored file could get at: the file itself, its zip entries (nested
// zips too) and its PDF streams inflated. MP4 samples are plain bytes of the file already.
import { inflateSync } from "node:zlib";
import { unzipSync } from "fflate";

export function unpacked(bytes: Uint8Array, depth = 0): Buffer {
  const parts: Buffer[] = [Buffer.from(bytes)];
  if (depth > 3) return parts[0] as Buffer;
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    try {
      for (const entry of Object.values(unzipSync(bytes))) parts.push(unpacked(entry, depth + 1));
    } catch {
      // Not a zip after all: its bytes are searched as they are.
    }
  }
  const text = Buffer.from(bytes).toString("latin1");
  if (text.startsWith("%PDF-")) {
    for (const match of text.matchAll(/stream\r?\n/g)) {
      const start = (match.index ?? 0) + match[0].length;
      const end = text.indexOf("endstream", start);
      if (end < 0) continue;
      try {
        parts.push(inflateSync(Buffer.from(bytes).subarray(start, end)));
      } catch {
        // Not deflated: already searched as part of the file.
      }
    }
  }
  return Buffer.concat(parts);
}
