// Sample media for simulated users: a valid Ogg Opus voice message (silence), as Telegram clients
// send voice notes. The demo offers it as a sample voice note; tests plant markers in it.

/** Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0. */
const OGG_CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc = ((crc << 8) ^ (OGG_CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] as number)) >>> 0;
  }
  return crc;
}

function oggPage(
  packets: Uint8Array[],
  options: { serial: number; sequence: number; granule: bigint; flags: number },
): Buffer {
  const lacing: number[] = [];
  for (const packet of packets) {
    for (let left = packet.length; ; left -= 255) {
      lacing.push(Math.min(left, 255));
      if (left < 255) break;
    }
  }
  const header = Buffer.alloc(27 + lacing.length);
  header.write("OggS", 0, "latin1");
  header[4] = 0;
  header[5] = options.flags;
  header.writeBigInt64LE(options.granule, 6);
  header.writeUInt32LE(options.serial, 14);
  header.writeUInt32LE(options.sequence, 18);
  header[26] = lacing.length;
  Buffer.from(lacing).copy(header, 27);
  const page = Buffer.concat([header, ...packets]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/**
 * A valid Ogg Opus file of `seconds` of silence (mono, 48 kHz), as Telegram voice messages are.
 * `marker` goes into the comment header (TITLE=…), so a scan can look for the file's plaintext.
 */
export function oggOpusSilence(seconds: number, marker = ""): Buffer {
  const preSkip = 312;
  const head = Buffer.alloc(19);
  head.write("OpusHead", 0, "latin1");
  head[8] = 1; // version
  head[9] = 1; // channels
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(48_000, 12);
  head.writeInt16LE(0, 16);
  head[18] = 0; // mapping family
  const vendor = Buffer.from("testimony-bot tests", "utf8");
  const comments = marker ? [Buffer.from(`TITLE=${marker}`, "utf8")] : [];
  const tags = Buffer.concat([
    Buffer.from("OpusTags", "latin1"),
    u32(vendor.length),
    vendor,
    u32(comments.length),
    ...comments.flatMap((c) => [u32(c.length), c]),
  ]);
  // A 20 ms CELT frame of silence (TOC 0xF8: CELT-only, full band, 20 ms, mono).
  const frames = Math.max(1, Math.round(seconds * 50));
  const silence = Buffer.from([0xf8, 0xff, 0xfe]);
  const serial = 0x7e57_0001;
  const pages = [
    oggPage([head], { serial, sequence: 0, granule: 0n, flags: 0x02 }),
    oggPage([tags], { serial, sequence: 1, granule: 0n, flags: 0 }),
  ];
  const perPage = 50;
  for (let done = 0, sequence = 2; done < frames; sequence++) {
    const count = Math.min(perPage, frames - done);
    done += count;
    pages.push(
      oggPage(
        Array.from({ length: count }, () => silence),
        {
          serial,
          sequence,
          granule: BigInt(preSkip + done * 960),
          flags: done === frames ? 0x04 : 0,
        },
      ),
    );
  }
  return Buffer.concat(pages);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}
