// Disguises a voice recording: decode Ogg/Opus, shift pitch and formants, change the timing a
// little, encode Ogg/Opus again. Pure computation on bytes in memory; runs inside the worker
// (disguise-worker.ts) that index.ts hands each recording to. The DSP is in dsp.ts.
import { randomInt } from "node:crypto";
import { OggOpusDecoder } from "ogg-opus-decoder";
import { PhaseVocoder, Resampler } from "./dsp.js";
import { ENCODE_RATE, OggOpusWriter, wholeOggStream } from "./ogg-opus.js";

/** One submission's disguise. Drawn at random, used once, never stored, logged or shown. */
export interface DisguiseParams {
  /** Frequency factor of the voice's pitch (harmonics). */
  pitch: number;
  /** Frequency factor of the formants (the spectral envelope), in the same direction. */
  formant: number;
  /** Length factor of the result. */
  tempo: number;
}

/**
 * The ranges the parameters are drawn from: far enough to defeat recognition by ear, near
 * enough to keep speech intelligible. The direction (higher or lower) is drawn too.
 */
export const DISGUISE_RANGES = {
  /** Pitch moves by 3–5 semitones. */
  pitchSemitones: { min: 3, max: 5 },
  /** Formants move by 10–16 % (less than the pitch, so it does not sound like a chipmunk). */
  formantShift: { min: 0.1, max: 0.16 },
  /** The recording gets 2–6 % longer or shorter. */
  tempoChange: { min: 0.02, max: 0.06 },
} as const;

/** Uniform in [min, max] from the operating system's CSPRNG (the parameters must not be guessable). */
function uniform(range: { min: number; max: number }): number {
  const steps = 1_000_000;
  return range.min + ((range.max - range.min) * randomInt(steps + 1)) / steps;
}

export function drawDisguise(): DisguiseParams {
  const up = randomInt(2) === 1;
  const sign = up ? 1 : -1;
  const semitones = uniform(DISGUISE_RANGES.pitchSemitones);
  const formant = 1 + uniform(DISGUISE_RANGES.formantShift);
  const tempo = 1 + (randomInt(2) === 1 ? 1 : -1) * uniform(DISGUISE_RANGES.tempoChange);
  return { pitch: 2 ** ((sign * semitones) / 12), formant: up ? formant : 1 / formant, tempo };
}

/** The recording is not Ogg/Opus, not whole, or not one the decoder could read. */
export class CouldNotDecodeError extends Error {
  readonly safeToLog = true;
  constructor() {
    super("the recording could not be decoded");
    this.name = "CouldNotDecodeError";
  }
}

/** Longer recordings are stored as sent: an hour already keeps one worker busy for minutes. */
export const MAX_DISGUISE_SECONDS = 60 * 60;

/** The recording is longer than MAX_DISGUISE_SECONDS. */
export class TooLongError extends Error {
  readonly safeToLog = true;
  constructor() {
    super("the recording is too long to disguise");
    this.name = "TooLongError";
  }
}

const DECODE_RATE = 48_000;
/** The longest Opus frame, 120 ms at 48 kHz. */
const MAX_FRAME = 5760;
/** Bytes handed to the decoder at a time, so the decoded audio is never whole in memory. */
const DECODE_PIECE = 32 * 1024;

/** True if the bytes start like an Ogg/Opus file (what Telegram records voice notes as). */
export function looksLikeOggOpus(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64));
  return head.subarray(0, 4).toString("latin1") === "OggS" && head.includes("OpusHead");
}

/**
 * The disguised recording as a new Ogg/Opus file (16 kHz mono). Streams stage to stage, so memory
 * stays bounded whatever the length. Throws CouldNotDecodeError for anything it cannot read.
 */
export async function disguiseRecording(
  bytes: Uint8Array,
  params: DisguiseParams = drawDisguise(),
): Promise<Uint8Array> {
  if (!looksLikeOggOpus(bytes)) throw new CouldNotDecodeError();
  // A damaged file is kept as sent, labelled so: disguising what the decoder could read of it
  // would store part of a testimony as if it were all of it.
  const stream = wholeOggStream(bytes);
  if (!stream) throw new CouldNotDecodeError();
  const decoder = new OggOpusDecoder();
  await decoder.ready;
  const down = new Resampler(DECODE_RATE / ENCODE_RATE);
  const vocoder = new PhaseVocoder({
    stretch: params.pitch * params.tempo,
    warp: params.formant / params.pitch,
  });
  const shift = new Resampler(params.pitch);
  const writer = new OggOpusWriter();
  const through = (samples: Float32Array) =>
    writer.push(shift.push(vocoder.push(down.push(samples))));
  let decoded = 0;
  try {
    for (let offset = 0; offset < bytes.length; offset += DECODE_PIECE) {
      const result = await decoder.decode(bytes.subarray(offset, offset + DECODE_PIECE));
      if (result.errors.length > 0) throw new CouldNotDecodeError();
      decoded += result.samplesDecoded;
      if (decoded > MAX_DISGUISE_SECONDS * DECODE_RATE) throw new TooLongError();
      if (result.samplesDecoded > 0) through(mono(result.channelData, result.samplesDecoded));
    }
  } catch (error) {
    if (error instanceof CouldNotDecodeError || error instanceof TooLongError) throw error;
    throw new CouldNotDecodeError();
  } finally {
    decoder.free();
  }
  // Audio the pages promise but the decoder did not give (more than one longest Opus frame off).
  if (decoded === 0 || decoded < stream.granule - stream.preSkip - MAX_FRAME) {
    throw new CouldNotDecodeError();
  }
  writer.push(shift.push(vocoder.push(down.flush())));
  writer.push(shift.push(vocoder.flush()));
  writer.push(shift.flush());
  return writer.finish();
}

function mono(channels: Float32Array[], length: number): Float32Array {
  const first = channels[0] as Float32Array;
  if (channels.length === 1) return first.subarray(0, length);
  const out = new Float32Array(length);
  for (const channel of channels) {
    for (let i = 0; i < length; i++)
      out[i] = (out[i] as number) + (channel[i] as number) / channels.length;
  }
  return out;
}
