// A minimal ustar writer and reader: enough for export archives that `tar xf` can also open.
// Entries are regular files with short names; times are fixed (the archive says nothing about
// when a part was written).

const BLOCK = 512;

export class ArchiveError extends Error {
  readonly safeToLog = true;
  constructor(message: string) {
    super(message);
    this.name = "ArchiveError";
  }
}

export interface TarEntry {
  name: string;
  data: Uint8Array;
}

function header(name: string, size: number): Uint8Array {
  if (Buffer.byteLength(name) > 99) throw new ArchiveError(`tar entry name too long: ${name}`);
  const block = Buffer.alloc(BLOCK);
  const put = (offset: number, length: number, value: string) =>
    block.write(value, offset, length, "utf8");
  const octal = (offset: number, length: number, value: number) =>
    put(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
  put(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  put(148, 8, "        "); // checksum field counts as spaces while summing
  put(156, 1, "0");
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  let sum = 0;
  for (const byte of block) sum += byte;
  put(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

const padding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/** Yields the archive block by block; each entry's data may itself arrive in chunks. */
export async function* writeTar(
  entries: AsyncIterable<{
    name: string;
    size: number;
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  }>,
): AsyncGenerator<Uint8Array> {
  for await (const entry of entries) {
    yield header(entry.name, entry.size);
    let written = 0;
    for await (const chunk of entry.chunks) {
      written += chunk.length;
      yield chunk;
    }
    if (written !== entry.size) {
      throw new ArchiveError(
        `tar entry ${entry.name}: expected ${entry.size} bytes, got ${written}`,
      );
    }
    yield padding(written);
  }
  yield new Uint8Array(BLOCK * 2);
}

export const TAR_BLOCK = BLOCK;

/** What a typeflag means, for the error message; only "0" (and old "\0") is a regular file. */
const ENTRY_TYPES: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "5": "a folder",
  "6": "a FIFO",
  "7": "a contiguous file",
  L: "a GNU long name",
  K: "a GNU long link name",
  x: "a pax extended header",
  g: "a pax global header",
};

/**
 * One 512-byte header: the entry's name and size, or undefined at the end of the archive.
 * Archives are hostile input on an editor's computer: anything but a plain file with a short,
 * clean name is refused here (links, devices, folders, long-name extensions, NUL bytes inside a
 * name, a ustar prefix, a size that is not plain octal).
 */
export function parseTarHeader(header: Uint8Array): { name: string; size: number } | undefined {
  const block = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (block.length < BLOCK) throw new ArchiveError("the archive is truncated");
  if (block.every((byte) => byte === 0)) return undefined;
  if (block.toString("latin1", 257, 262) !== "ustar") {
    throw new ArchiveError("this is not an export archive (no tar header where one should be)");
  }
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
  if (sum !== Number.parseInt(block.toString("latin1", 148, 156).trim(), 8)) {
    throw new ArchiveError("the archive is damaged (a header checksum does not match)");
  }
  const name = nulTerminated(block.subarray(0, 100));
  const shown = JSON.stringify(name.slice(0, 60));
  const type = String.fromCharCode(block[156] as number);
  if (type !== "0" && type !== "\0") {
    throw new ArchiveError(
      `entry ${shown} is ${ENTRY_TYPES[type] ?? `of unknown type ${JSON.stringify(type)}`}; an export holds only plain files`,
    );
  }
  if (!isAllZero(block.subarray(157, 257))) {
    throw new ArchiveError(`entry ${shown} names a link target; an export holds only plain files`);
  }
  if (!isAllZero(block.subarray(345, 500))) {
    throw new ArchiveError(`entry ${shown} has a name longer than 99 bytes`);
  }
  const sizeField = block.toString("latin1", 124, 136).replace(/[\0 ]+$/, "");
  if (!/^[0-7]{1,11}$/.test(sizeField)) {
    throw new ArchiveError(`entry ${shown} has a damaged size field`);
  }
  return { name, size: Number.parseInt(sizeField, 8) };
}

/** A NUL-terminated field; a NUL followed by more bytes would hide part of a name. */
function nulTerminated(field: Buffer): string {
  const end = field.indexOf(0);
  if (end >= 0 && !isAllZero(field.subarray(end))) {
    throw new ArchiveError("an entry name contains a NUL byte");
  }
  const bytes = end >= 0 ? field.subarray(0, end) : field;
  const name = bytes.toString("utf8");
  if (!Buffer.from(name, "utf8").equals(bytes)) {
    throw new ArchiveError("an entry name is not valid UTF-8");
  }
  return name;
}

function isAllZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/** Reads every entry of an archive held in memory. Truncated or damaged archives throw. */
export function readTar(archive: Uint8Array): TarEntry[] {
  const data = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const entries: TarEntry[] = [];
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > data.length) throw new ArchiveError("the archive is truncated");
    const header = parseTarHeader(data.subarray(offset, offset + BLOCK));
    if (!header) return entries;
    const { name, size } = header;
    const start = offset + BLOCK;
    if (start + size > data.length) throw new ArchiveError("the archive is truncated");
    entries.push({ name, data: new Uint8Array(data.subarray(start, start + size)) });
    offset = start + size + ((BLOCK - (size % BLOCK)) % BLOCK);
  }
}

/** Groups volume files (x.tar.001, x.tar.002 …) into whole archives, in order. */
export function groupVolumes(files: string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    const base = file.replace(/\.\d{3}$/, "");
    groups.set(base, [...(groups.get(base) ?? []), file].sort());
  }
  return groups;
}

/** Cuts a byte stream into volumes of at most `size` bytes (Telegram's upload limit). */
export async function* splitVolumes(
  stream: AsyncIterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let length = 0;
  for await (let chunk of stream) {
    while (length + chunk.length >= size) {
      const take = size - length;
      pending.push(chunk.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      length = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length > 0) {
      pending.push(chunk);
      length += chunk.length;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}
