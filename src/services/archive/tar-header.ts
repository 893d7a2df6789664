// Reading export archives' tar headers on an editor's computer: archives are hostile input, so
// anything but a plain file with a short, clean name is refused. The writer is
// services/submissions/tar.ts (the bot exports); the bounded archive reader is reader.ts.

const BLOCK = 512;

export class ArchiveError extends Error {
  readonly safeToLog = true;
  constructor(message: string) {
    super(message);
    this.name = "ArchiveError";
  }
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

/** Groups volume files (x.tar.001, x.tar.002 …) into whole archives, in order. */
export function groupVolumes(files: string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    const base = file.replace(/\.\d{3}$/, "");
    groups.set(base, [...(groups.get(base) ?? []), file].sort());
  }
  return groups;
}
