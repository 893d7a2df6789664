// Writes mono speech as an Ogg/Opus file (RFC 7845), the format of Telegram's own voice notes:
// libopus (opusscript, WebAssembly) makes the packets, this file the Ogg pages around them.
import { createRequire } from "node:module";

type OpusScriptClass = typeof import("opusscript");
const OpusScript = createRequire(import.meta.url)("opusscript") as OpusScriptClass;

/** Speech at 16 kHz ("wideband" Opus): all of a voice's intelligibility at half the work. */
export const ENCODE_RATE = 16_000;
const GRANULE_PER_FRAME = 960; // Ogg/Opus granule positions count 48 kHz samples
const PRE_SKIP = 312; // libopus's encoder delay at 48 kHz
const BITRATE = 24_000;
const PACKETS_PER_PAGE = 50; // one second per page
const SERIAL = 0x766f6963;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let b = 0; b < 8; b++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] as number)) >>> 0;
  }
  return crc;
}

/**
 * Whether `bytes` are one whole Ogg stream: pages back to back from the first byte to the last,
 * each with its CRC right, one serial number, numbered without a gap. The decoder resyncs past a
 * damaged page without a word; this says so. Gives the last page's granule position (48 kHz
 * samples, the pre-skip included) and the pre-skip, to check no audio went missing, or
 * undefined for a damaged file.
 */
export function wholeOggStream(
  bytes: Uint8Array,
): { granule: number; preSkip: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let sequence = 0;
  let serial: number | undefined;
  let granule = 0;
  let preSkip: number | undefined;
  while (offset < bytes.length) {
    if (offset + 27 > bytes.length || view.getUint32(offset) !== 0x4f676753) return undefined;
    const segments = bytes[offset + 26] as number;
    const headerLength = 27 + segments;
    if (offset + headerLength > bytes.length) return undefined;
    let bodyLength = 0;
    for (let i = 0; i < segments; i++) bodyLength += bytes[offset + 27 + i] as number;
    const end = offset + headerLength + bodyLength;
    if (end > bytes.length) return undefined;
    const pageSerial = view.getUint32(offset + 14, true);
    if (serial !== undefined && pageSerial !== serial) return undefined;
    serial = pageSerial;
    if (view.getUint32(offset + 18, true) !== sequence++) return undefined;
    const stored = view.getUint32(offset + 22, true);
    const copy = bytes.slice(offset, end);
    copy.fill(0, 22, 26);
    if (oggCrc(copy) !== stored) return undefined;
    const pageGranule = Number(view.getBigInt64(offset + 6, true));
    if (pageGranule >= 0) granule = pageGranule;
    if (preSkip === undefined && bodyLength >= 12)
      preSkip = view.getUint16(offset + headerLength + 10, true);
    offset = end;
  }
  return preSkip === undefined ? undefined : { granule, preSkip };
}

function page(packets: Uint8Array[], granule: number, sequence: number, flags: number): Uint8Array {
  const lacing: number[] = [];
  for (const packet of packets) {
    let left = packet.length;
    while (left >= 255) {
      lacing.push(255);
      left -= 255;
    }
    lacing.push(left);
  }
  const bodyLength = packets.reduce((sum, packet) => sum + packet.length, 0);
  const out = new Uint8Array(27 + lacing.length + bodyLength);
  const view = new DataView(out.buffer);
  out.set([0x4f, 0x67, 0x67, 0x53]); // "OggS"
  out[5] = flags;
  view.setBigUint64(6, BigInt(granule), true);
  view.setUint32(14, SERIAL, true);
  view.setUint32(18, sequence, true);
  out[26] = lacing.length;
  out.set(lacing, 27);
  let offset = 27 + lacing.length;
  for (const packet of packets) {
    out.set(packet, offset);
    offset += packet.length;
  }
  view.setUint32(22, oggCrc(out), true);
  return out;
}

function opusHead(rate: number): Uint8Array {
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set(new TextEncoder().encode("OpusHead"));
  head[8] = 1; // version
  head[9] = 1; // mono
  view.setUint16(10, PRE_SKIP, true);
  view.setUint32(12, rate, true);
  return head; // output gain 0, channel mapping family 0
}

function opusTags(): Uint8Array {
  const vendor = new TextEncoder().encode("libopus");
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  const view = new DataView(tags.buffer);
  tags.set(new TextEncoder().encode("OpusTags"));
  view.setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  return tags; // no comments: nothing about the recording is carried over
}

/** Encodes pushed mono samples (−1…1, 16 kHz unless told) into one Ogg/Opus file. */
export class OggOpusWriter {
  private readonly encoder: InstanceType<OpusScriptClass>;
  private readonly frame: number;
  private readonly pages: Uint8Array[] = [];
  private packets: Uint8Array[] = [];
  private pending: Float32Array;
  private filled = 0;
  private frames = 0;
  private samples = 0;
  private sequence = 2;
  private finishing = false;

  constructor(private readonly rate: 8000 | 12000 | 16000 | 24000 | 48000 = ENCODE_RATE) {
    this.encoder = new OpusScript(rate, 1, OpusScript.Application.VOIP);
    this.encoder.setBitrate(BITRATE);
    this.frame = rate / 50; // 20 ms
    this.pending = new Float32Array(this.frame);
    this.pages.push(page([opusHead(rate)], 0, 0, 0x02), page([opusTags()], 0, 1, 0));
  }

  push(samples: Float32Array): void {
    this.samples += samples.length;
    for (let i = 0; i < samples.length; i++) {
      this.pending[this.filled++] = samples[i] as number;
      if (this.filled === this.frame) this.encodeFrame();
    }
  }

  /** The whole file; the writer cannot be used afterwards. */
  finish(): Uint8Array {
    // Enough silence to push the encoder's delay out, then the last page says where audio ends.
    const end = PRE_SKIP + Math.round((this.samples * 48_000) / this.rate);
    this.finishing = true; // the last page holds the rest, so its end position comes last
    do {
      while (this.filled < this.frame) this.pending[this.filled++] = 0;
      this.encodeFrame();
    } while (this.frames * GRANULE_PER_FRAME < end);
    this.flushPage(end, 0x04);
    this.encoder.delete();
    const total = this.pages.reduce((sum, piece) => sum + piece.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const piece of this.pages) {
      out.set(piece, offset);
      offset += piece.length;
    }
    this.pages.length = 0;
    return out;
  }

  private encodeFrame(): void {
    const pcm = Buffer.alloc(this.frame * 2);
    for (let i = 0; i < this.frame; i++) {
      const value = Math.max(-1, Math.min(1, this.pending[i] as number));
      pcm.writeInt16LE(Math.round(value * 32767), i * 2);
    }
    this.filled = 0;
    this.packets.push(new Uint8Array(this.encoder.encode(pcm, this.frame)));
    this.frames++;
    if (this.packets.length === PACKETS_PER_PAGE && !this.finishing) {
      this.flushPage(this.frames * GRANULE_PER_FRAME, 0);
    }
  }

  private flushPage(granule: number, flags: number): void {
    this.pages.push(page(this.packets, granule, this.sequence++, flags));
    this.packets = [];
  }
}
