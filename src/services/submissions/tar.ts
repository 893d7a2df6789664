// A minimal ustar writer: enough for export archives that `tar xf` can also open (the editors'
// tools read them with services/archive/).
// Entries are regular files with short names; times are fixed (the archive says nothing about
// when a part was written).

const BLOCK = 512;

export interface TarEntry {
  name: string;
  data: Uint8Array;
}

function header(name: string, size: number): Uint8Array {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar entry name too long: ${name}`);
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
      throw new Error(`tar entry ${entry.name}: expected ${entry.size} bytes, got ${written}`);
    }
    yield padding(written);
  }
  yield new Uint8Array(BLOCK * 2);
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
