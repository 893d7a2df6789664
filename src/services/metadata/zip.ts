// Reading a zip (Office files) with caps: the central directory says where each entry is, and
// each entry is inflated by zlib with a ceiling on its output, so a "zip bomb" stops at the cap
// instead of taking the memory. Entries that claim little and unpack to much stop the same way.
import { inflateRawSync } from "node:zlib";
import { TooComplexError, UnparseableError } from "./types.js";

export interface ZipCaps {
  /** All entries together, unpacked. */
  maxUnpackedBytes: number;
  /** Unpacked / packed, for an entry that unpacks to more than `ratioFloorBytes`. */
  maxRatio: number;
  ratioFloorBytes: number;
  maxEntries: number;
}

export const ZIP_CAPS: ZipCaps = {
  maxUnpackedBytes: 96 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
  maxEntries: 10_000,
};

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

interface Entry {
  name: string;
  method: number;
  flags: number;
  packed: number;
  local: number;
}

/** Entry names in directory order, without unpacking anything. */
export function zipNames(bytes: Uint8Array, caps: ZipCaps = ZIP_CAPS): string[] {
  return directory(bytes, caps).map((entry) => entry.name);
}

/** Every entry unpacked, in directory order; TooComplexError over a cap. */
export function unzipCapped(bytes: Uint8Array, caps: ZipCaps = ZIP_CAPS): Map<string, Uint8Array> {
  const view = viewOf(bytes);
  const entries = new Map<string, Uint8Array>();
  let total = 0;
  for (const entry of directory(bytes, caps)) {
    if (entries.has(entry.name)) throw new UnparseableError("zip names an entry twice");
    if (entry.flags & 1) throw new UnparseableError("encrypted zip entry");
    if (entry.local + 30 > bytes.length || view.getUint32(entry.local, true) !== LOCAL) {
      throw new UnparseableError("zip entry header missing");
    }
    const start =
      entry.local +
      30 +
      view.getUint16(entry.local + 26, true) +
      view.getUint16(entry.local + 28, true);
    if (start + entry.packed > bytes.length) throw new UnparseableError("zip entry cut off");
    const packed = bytes.subarray(start, start + entry.packed);
    const budget = caps.maxUnpackedBytes - total;
    let data: Uint8Array;
    if (entry.method === 0) {
      if (packed.length > budget) throw new TooComplexError("zip unpacks too large");
      data = packed;
    } else if (entry.method === 8) {
      const ratioLimit = Math.max(caps.ratioFloorBytes, packed.length * caps.maxRatio);
      data = inflateCapped(packed, Math.min(budget, ratioLimit));
    } else {
      throw new UnparseableError("zip entry compressed in an unknown way");
    }
    total += data.length;
    entries.set(entry.name, data);
  }
  return entries;
}

function inflateCapped(packed: Uint8Array, limit: number): Uint8Array {
  try {
    // +1, so an entry exactly at the limit passes and one byte more does not.
    const data = inflateRawSync(packed, { maxOutputLength: limit + 1 });
    if (data.length > limit) throw new TooComplexError("zip entry unpacks too large");
    return data;
  } catch (error) {
    if (error instanceof TooComplexError) throw error;
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new TooComplexError("zip entry unpacks too large");
    }
    throw new UnparseableError("zip entry does not inflate");
  }
}

function directory(bytes: Uint8Array, caps: ZipCaps): Entry[] {
  const view = viewOf(bytes);
  const end = findEnd(bytes, view);
  const count = view.getUint16(end + 10, true);
  const offset = view.getUint32(end + 16, true);
  // Zip64 (0xffff… markers) is for archives far above what a source can send: not read.
  if (count === 0xffff || offset === 0xffffffff) throw new TooComplexError("zip64");
  if (count > caps.maxEntries) throw new TooComplexError("too many zip entries");
  const entries: Entry[] = [];
  let pos = offset;
  for (let i = 0; i < count; i++) {
    if (pos + 46 > bytes.length || view.getUint32(pos, true) !== CENTRAL) {
      throw new UnparseableError("zip directory cut off");
    }
    const nameLength = view.getUint16(pos + 28, true);
    if (pos + 46 + nameLength > bytes.length) throw new UnparseableError("zip directory cut off");
    entries.push({
      flags: view.getUint16(pos + 8, true),
      method: view.getUint16(pos + 10, true),
      packed: view.getUint32(pos + 20, true),
      local: view.getUint32(pos + 42, true),
      name: Buffer.from(bytes.buffer, bytes.byteOffset + pos + 46, nameLength).toString("utf8"),
    });
    pos += 46 + nameLength + view.getUint16(pos + 30, true) + view.getUint16(pos + 32, true);
  }
  return entries;
}

/** The end-of-directory record: at most 64 KiB of comment from the end. */
function findEnd(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let pos = bytes.length - 22; pos >= lowest; pos--) {
    if (view.getUint32(pos, true) === EOCD) return pos;
  }
  throw new UnparseableError("zip has no directory");
}

const viewOf = (bytes: Uint8Array) =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
