// An unbounded tar reader for tests and benchmarks: reads a whole archive held in memory. The
// editors' tools use the bounded reader (src/services/archive/reader.ts) instead.
import { ArchiveError, parseTarHeader, TAR_BLOCK } from "../../src/services/archive/tar-header.js";
import type { TarEntry } from "../../src/services/submissions/tar.js";

const BLOCK = TAR_BLOCK;

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
