// Speech-like test audio made here (no recordings, no data sets): a glottal pulse train with a
// known, gently gliding fundamental, shaped by resonances at known formant frequencies, and
// measurements of both in a decoded result.
import { OggOpusDecoder } from "ogg-opus-decoder";
import { Fft } from "../../../src/services/voice/dsp.js";
import { OggOpusWriter } from "../../../src/services/voice/ogg-opus.js";

export const RATE = 48_000;

/** A vowel: harmonics of f0 (gliding ±8 % for intonation) under resonance peaks at `formants`. */
export function vowel(options: { seconds: number; f0: number; formants: number[] }): Float32Array {
  const { seconds, f0, formants } = options;
  const n = Math.round(seconds * RATE);
  const out = new Float32Array(n);
  const bandwidth = 120;
  const amplitudeAt = (f: number) =>
    formants.reduce((sum, formant) => sum + 1 / (1 + ((f - formant) / (bandwidth / 2)) ** 2), 0.02);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    const current = f0 * (1 + 0.08 * Math.sin(2 * Math.PI * 0.7 * t));
    phase += (2 * Math.PI * current) / RATE;
    let sample = 0;
    for (let h = 1; h * current < 7000; h++)
      sample += amplitudeAt(h * current) * Math.sin(h * phase);
    out[i] = sample;
  }
  let peak = 0;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  for (let i = 0; i < n; i++) out[i] = ((out[i] as number) / peak) * 0.5;
  return out;
}

/** The samples as an Ogg/Opus voice note, 48 kHz like Telegram's. */
export function encodeVoiceNote(samples: Float32Array): Uint8Array {
  const writer = new OggOpusWriter(48_000);
  writer.push(samples);
  return writer.finish();
}

export async function decode(bytes: Uint8Array): Promise<Float32Array> {
  const decoder = new OggOpusDecoder();
  await decoder.ready;
  const result = await decoder.decodeFile(bytes);
  decoder.free();
  if (result.errors.length > 0 || result.samplesDecoded === 0) throw new Error("does not decode");
  return (result.channelData[0] as Float32Array).slice(0, result.samplesDecoded);
}

/** Median fundamental (Hz) over 40 ms frames, by normalised autocorrelation in 60–500 Hz. */
export function fundamental(samples: Float32Array): number {
  const frame = Math.round(0.04 * RATE);
  const estimates: number[] = [];
  for (let start = 0; start + 2 * frame < samples.length; start += frame) {
    let best = 0;
    let bestLag = 0;
    for (let lag = Math.floor(RATE / 500); lag <= Math.ceil(RATE / 60); lag++) {
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let i = start; i < start + frame; i++) {
        const x = samples[i] as number;
        const y = samples[i + lag] as number;
        dot += x * y;
        a += x * x;
        b += y * y;
      }
      const r = dot / Math.sqrt(a * b + 1e-12);
      if (r > best) {
        best = r;
        bestLag = lag;
      }
    }
    // The shortest lag that correlates almost as well: avoids picking twice the period.
    for (let lag = Math.floor(RATE / 500); lag < bestLag; lag++) {
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let i = start; i < start + frame; i++) {
        const x = samples[i] as number;
        const y = samples[i + lag] as number;
        dot += x * y;
        a += x * x;
        b += y * y;
      }
      if (dot / Math.sqrt(a * b + 1e-12) > 0.9 * best) {
        bestLag = lag;
        break;
      }
    }
    if (best > 0.5) estimates.push(RATE / bestLag);
  }
  estimates.sort((x, y) => x - y);
  return estimates[Math.floor(estimates.length / 2)] ?? 0;
}

/**
 * Peaks (Hz) of the long-term average spectrum, smoothed over ~200 Hz so the harmonics (which
 * glide across the envelope) average out and the formants stand: the `count` strongest peaks.
 */
export function formantPeaks(samples: Float32Array, count: number): number[] {
  const n = 4096;
  const fft = new Fft(n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const power = new Float64Array(n / 2);
  for (let start = 0; start + n <= samples.length; start += n / 2) {
    for (let i = 0; i < n; i++) {
      re[i] = (samples[start + i] as number) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
      im[i] = 0;
    }
    fft.transform(re, im);
    for (let k = 0; k < n / 2; k++)
      power[k] = (power[k] as number) + (re[k] as number) ** 2 + (im[k] as number) ** 2;
  }
  const binHz = RATE / n;
  const half = Math.round(100 / binHz);
  const smooth = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    let sum = 0;
    let weight = 0;
    for (let j = Math.max(0, k - half); j <= Math.min(n / 2 - 1, k + half); j++) {
      const w = 1 - Math.abs(j - k) / (half + 1);
      sum += (power[j] as number) * w;
      weight += w;
    }
    smooth[k] = sum / weight;
  }
  const peaks: { hz: number; level: number }[] = [];
  for (let k = Math.round(200 / binHz); k < Math.round(6000 / binHz); k++) {
    const here = smooth[k] as number;
    if (here > (smooth[k - 1] as number) && here >= (smooth[k + 1] as number)) {
      peaks.push({ hz: k * binHz, level: here });
    }
  }
  return peaks
    .sort((a, b) => b.level - a.level)
    .slice(0, count)
    .map((peak) => peak.hz)
    .sort((a, b) => a - b);
}
