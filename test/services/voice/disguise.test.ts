// The voice disguise on speech-like audio made here: pitch and formants move by at least the
// ranges' minimum, the length stays within ±10 %, the result decodes and differs every time.
import { afterAll, describe, expect, it } from "vitest";
import {
  CouldNotDecodeError,
  DISGUISE_RANGES,
  disguiseRecording,
  drawDisguise,
} from "../../../src/services/voice/disguise.js";
import { createVoiceDisguiser } from "../../../src/services/voice/index.js";
import { decode, encodeVoiceNote, formantPeaks, fundamental, vowel } from "./speech.js";

const FORMANTS = [800, 2400];
const note = encodeVoiceNote(vowel({ seconds: 3, f0: 120, formants: FORMANTS }));
const disguiser = createVoiceDisguiser({ workers: 1 });
afterAll(() => disguiser.close());

/** How far a ratio is from 1, either way (1.2 and 1/1.2 are the same move). */
const moved = (ratio: number) => Math.max(ratio, 1 / ratio);

describe("voice disguise", () => {
  it("moves pitch and formants by at least the minimum and keeps the length within 10 %", async () => {
    const original = await decode(note);
    const f0 = fundamental(original);
    const peaks = formantPeaks(original, FORMANTS.length);
    expect(f0).toBeGreaterThan(100);
    expect(peaks.map((hz, i) => Math.abs(hz / (FORMANTS[i] as number) - 1))).toSatisfy(
      (errors: number[]) => errors.every((error: number) => error < 0.05),
    );
    // The weakest disguise the ranges allow, in both directions (drawn at random in use).
    const { pitchSemitones, formantShift, tempoChange } = DISGUISE_RANGES;
    for (const up of [true, false]) {
      const sign = up ? 1 : -1;
      const params = {
        pitch: 2 ** ((sign * pitchSemitones.min) / 12),
        formant: (1 + formantShift.min) ** sign,
        tempo: 1 + sign * tempoChange.max,
      };
      const result = await decode(await disguiseRecording(note, params));
      // 2 % allowance: whole-sample autocorrelation lags and the intonation glide, not the disguise.
      expect(moved(fundamental(result) / f0)).toBeGreaterThanOrEqual(params.pitch ** sign * 0.98);
      expect(fundamental(result) > f0).toBe(up);
      const after = formantPeaks(result, FORMANTS.length);
      after.forEach((hz, i) => {
        const ratio = hz / (peaks[i] as number);
        // 1 % allowance: the measurement's spectral resolution, not the disguise.
        expect(moved(ratio)).toBeGreaterThanOrEqual((1 + formantShift.min) * 0.99);
        expect(ratio > 1).toBe(up);
      });
      expect(result.length / original.length).toBeGreaterThan(0.9);
      expect(result.length / original.length).toBeLessThan(1.1);
    }
  });

  it("draws its parameters within the ranges, in both directions, differently each time", () => {
    const drawn = Array.from({ length: 200 }, drawDisguise);
    const { pitchSemitones, formantShift, tempoChange } = DISGUISE_RANGES;
    for (const { pitch, formant, tempo } of drawn) {
      const semitones = Math.abs(12 * Math.log2(pitch));
      expect(semitones).toBeGreaterThanOrEqual(pitchSemitones.min - 1e-9);
      expect(semitones).toBeLessThanOrEqual(pitchSemitones.max + 1e-9);
      expect(moved(formant) - 1).toBeGreaterThanOrEqual(formantShift.min - 1e-9);
      expect(moved(formant) - 1).toBeLessThanOrEqual(formantShift.max + 1e-9);
      expect(formant > 1).toBe(pitch > 1); // formants follow the pitch's direction
      expect(Math.abs(tempo - 1)).toBeGreaterThanOrEqual(tempoChange.min - 1e-9);
      expect(Math.abs(tempo - 1)).toBeLessThanOrEqual(tempoChange.max + 1e-9);
    }
    expect(drawn.some((p) => p.pitch > 1)).toBe(true);
    expect(drawn.some((p) => p.pitch < 1)).toBe(true);
    expect(new Set(drawn.map((p) => p.pitch)).size).toBeGreaterThan(190);
  });

  it("gives a different file for the same recording each time, in a worker", async () => {
    const first = await disguiser.disguise(note.slice());
    const second = await disguiser.disguise(note.slice());
    expect(first).toBeInstanceOf(Uint8Array);
    expect(second).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(first as Uint8Array).equals(Buffer.from(second as Uint8Array))).toBe(false);
    expect(Buffer.from(first as Uint8Array).includes(Buffer.from(note.subarray(200, 264)))).toBe(
      false,
    );
    const [a, b] = [await decode(first as Uint8Array), await decode(second as Uint8Array)];
    expect(
      Math.abs(fundamental(a) - fundamental(b)) + Math.abs(a.length - b.length),
    ).toBeGreaterThan(0);
  });

  it("reports what it cannot decode, and keeps working", async () => {
    // Ogg/Opus headers with nothing after them, and with noise instead of audio.
    const headersOnly = note.slice(0, 100);
    const noise = note.slice();
    for (let i = 100; i < noise.length; i++) noise[i] = (i * 7919) % 251;
    await expect(
      disguiseRecording(new TextEncoder().encode("ID3 not an ogg file")),
    ).rejects.toThrow(CouldNotDecodeError);
    const notOpus = new TextEncoder().encode("not a recording");
    expect(await disguiser.disguise(notOpus)).toBe("could-not-decode");
    expect(await disguiser.disguise(headersOnly)).toBe("could-not-decode");
    expect(await disguiser.disguise(noise)).toBe("could-not-decode");
    expect(await disguiser.disguise(note.slice())).toBeInstanceOf(Uint8Array);
  });

  it("keeps a partly damaged recording as sent rather than disguise what is left of it", async () => {
    // A stretch in the middle overwritten (a broken download, a bad sector): the decoder alone
    // skips what it cannot read and says nothing, so half a testimony would pass as disguised.
    const damaged = note.slice();
    const middle = Math.floor(damaged.length / 2);
    damaged.fill(0, middle, middle + 300);
    expect(await disguiser.disguise(damaged)).toBe("could-not-decode");
    await expect(disguiseRecording(damaged)).rejects.toThrow(CouldNotDecodeError);
    // A page header lost (its pages dropped whole) and a cut-off end are damage too.
    const header = Buffer.from(note).indexOf("OggS", middle + 400, "latin1");
    expect(header).toBeGreaterThan(0);
    const lostHeader = note.slice();
    lostHeader.fill(0, header, header + 4);
    await expect(disguiseRecording(lostHeader)).rejects.toThrow(CouldNotDecodeError);
    await expect(disguiseRecording(note.slice(0, note.length - 10))).rejects.toThrow(
      CouldNotDecodeError,
    );
  });
});
