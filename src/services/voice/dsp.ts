// The signal processing of the voice disguise (disguise.ts runs it inside a worker): a streaming
// band-limited resampler and a streaming phase vocoder that stretches time and moves the
// spectral envelope (formants) independently of the pitch.
//
// How the three changes are made: the phase vocoder stretches the sound by `pitch × tempo`
// without changing its pitch, and in each frame moves the spectral envelope (estimated by
// cepstral smoothing) by `formant / pitch`. Resampling the result by `pitch` then raises every
// frequency by `pitch` and shortens it by the same factor: the harmonics end up `pitch` times
// higher, the envelope `formant` times higher, and the length `tempo` times the original.

/** Radix-2 in-place complex FFT of one size (twiddles computed once). */
export class Fft {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly reversed: Uint32Array;

  constructor(readonly size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new Error("FFT size must be a power of two");
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let i = 0; i < size / 2; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / size);
      this.sin[i] = Math.sin((2 * Math.PI * i) / size);
    }
    this.reversed = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
  }

  /** Forward transform (inverse: `inverse = true`, unscaled: divide by size yourself). */
  transform(re: Float64Array, im: Float64Array, inverse = false): void {
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const j = this.reversed[i] as number;
      if (j > i) {
        const tr = re[i] as number;
        re[i] = re[j] as number;
        re[j] = tr;
        const ti = im[i] as number;
        im[i] = im[j] as number;
        im[j] = ti;
      }
    }
    const sign = inverse ? 1 : -1;
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step] as number;
          const wi = sign * (this.sin[k * step] as number);
          const a = start + k;
          const b = a + half;
          const xr = (re[b] as number) * wr - (im[b] as number) * wi;
          const xi = (re[b] as number) * wi + (im[b] as number) * wr;
          re[b] = (re[a] as number) - xr;
          im[b] = (im[a] as number) - xi;
          re[a] = (re[a] as number) + xr;
          im[a] = (im[a] as number) + xi;
        }
      }
    }
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length === 0) return b.slice();
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function joinBlocks(blocks: Float32Array[]): Float32Array {
  if (blocks.length === 1) return blocks[0] as Float32Array;
  const out = new Float32Array(blocks.reduce((sum, block) => sum + block.length, 0));
  let offset = 0;
  for (const block of blocks) {
    out.set(block, offset);
    offset += block.length;
  }
  return out;
}

/** Zero crossings of the windowed-sinc kernel on each side (quality against cost). */
const SINC_ZEROS = 8;
/** Kernel table resolution per zero crossing (linear interpolation between entries). */
const SINC_TABLE_STEPS = 256;
const SINC_TABLE = (() => {
  const table = new Float32Array(SINC_ZEROS * SINC_TABLE_STEPS + 2);
  for (let i = 0; i < table.length; i++) {
    const x = i / SINC_TABLE_STEPS;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const window = x >= SINC_ZEROS ? 0 : 0.5 + 0.5 * Math.cos((Math.PI * x) / SINC_ZEROS);
    table[i] = sinc * window;
  }
  return table;
})();

/**
 * Streaming band-limited resampler: reads the input `step` samples per output sample
 * (step 3: 48 kHz → 16 kHz; step 1.2: every frequency 1.2 times higher, 1.2 times shorter).
 * The low-pass follows the step, so nothing above the new Nyquist folds back.
 */
export class Resampler {
  private buffer: Float32Array = new Float32Array(0);
  private position: number;
  private readonly cutoff: number;
  private readonly reach: number;
  private consumed = 0;
  private produced = 0;
  private readonly weights: Float64Array;
  private weightsFor = Number.NaN;

  constructor(readonly step: number) {
    this.cutoff = Math.min(1, 1 / step);
    this.reach = Math.ceil(SINC_ZEROS / this.cutoff);
    this.weights = new Float64Array(2 * this.reach);
    // Silence before the first sample, so the first output sees a whole kernel.
    this.buffer = new Float32Array(this.reach);
    this.position = this.reach;
  }

  push(input: Float32Array): Float32Array {
    this.consumed += input.length;
    this.buffer = concat(this.buffer, input);
    return this.drain();
  }

  /** The rest, exactly `input length / step` samples in all. */
  flush(): Float32Array {
    const wanted = Math.round(this.consumed / this.step) - this.produced;
    this.buffer = concat(this.buffer, new Float32Array(this.reach + 2));
    const rest = this.drain();
    return rest.subarray(0, Math.max(0, wanted));
  }

  private computeWeights(frac: number): void {
    const scale = this.cutoff * SINC_TABLE_STEPS;
    for (let i = 0; i < 2 * this.reach; i++) {
      const x = Math.abs(frac - (i - this.reach + 1)) * scale;
      const index = Math.floor(x);
      if (index >= SINC_TABLE.length - 1) {
        this.weights[i] = 0;
        continue;
      }
      const within = x - index;
      const k =
        (SINC_TABLE[index] as number) * (1 - within) + (SINC_TABLE[index + 1] as number) * within;
      this.weights[i] = k * this.cutoff;
    }
    this.weightsFor = frac;
  }

  private drain(): Float32Array {
    const { buffer, reach } = this;
    const count = Math.max(0, Math.ceil((buffer.length - reach - 1 - this.position) / this.step));
    const out = new Float32Array(count);
    const taps = 2 * reach;
    for (let o = 0; o < count; o++) {
      const t = this.position;
      const center = Math.floor(t);
      const frac = t - center;
      // A whole-number step (48 → 16 kHz) lands on the same offset every time: weights once.
      if (frac !== this.weightsFor) this.computeWeights(frac);
      const { weights } = this;
      const first = center - reach + 1;
      let sum = 0;
      for (let i = 0; i < taps; i++) sum += (buffer[first + i] as number) * (weights[i] as number);
      out[o] = sum;
      this.position += this.step;
    }
    this.produced += count;
    const drop = Math.max(0, Math.floor(this.position) - reach);
    if (drop > 0) {
      this.buffer = buffer.slice(drop);
      this.position -= drop;
    }
    return out;
  }
}

export interface VocoderOptions {
  /** Output length / input length (the pitch stays). */
  stretch: number;
  /** Envelope factor: a formant at f moves to f × warp. */
  warp: number;
  /** Analysis frame (power of two) and synthesis hop, in samples. */
  frame?: number;
  hop?: number;
  /** Cepstral coefficients kept for the envelope (below the quefrency of any voice's pitch). */
  lifter?: number;
}

/** The most the envelope correction may raise or lower one bin (natural log: about ±20 dB). */
const MAX_LOG_GAIN = 2.3;

/**
 * Streaming phase vocoder: stretches time by `stretch` keeping the pitch, and moves the
 * spectral envelope by `warp` keeping the harmonics where they are.
 */
export class PhaseVocoder {
  private readonly n: number;
  private readonly hop: number;
  private readonly analysisHop: number;
  private readonly lifter: number;
  private readonly fft: Fft;
  private readonly window: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly cre: Float64Array;
  private readonly cim: Float64Array;
  private readonly magnitude: Float64Array;
  private readonly phase: Float64Array;
  private readonly lastPhase: Float64Array;
  private readonly synthPhase: Float64Array;
  private readonly envelope: Float64Array;
  private readonly gains: Float64Array;
  private readonly overlap: Float64Array;
  private readonly gain: number;
  private input: Float32Array = new Float32Array(0);
  /** Absolute index (in padded input) of input[0]. */
  private inputBase = 0;
  private frameIndex = 0;
  private lastStart = 0;
  private consumed = 0;
  private emitted = 0;
  /** Output samples still to drop (the silence the padding became). */
  private skip: number;

  constructor(private readonly options: VocoderOptions) {
    this.n = options.frame ?? 1024;
    this.hop = options.hop ?? this.n / 4;
    this.analysisHop = this.hop / options.stretch;
    this.lifter = options.lifter ?? 30;
    this.fft = new Fft(this.n);
    const n = this.n;
    this.window = new Float64Array(n);
    for (let i = 0; i < n; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    // Hann analysis and synthesis windows overlap-add to a constant; divide it out (and 1/n).
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (this.window[i] as number) ** 2;
    this.gain = 1 / ((sum / this.hop) * n);
    this.re = new Float64Array(n);
    this.im = new Float64Array(n);
    this.cre = new Float64Array(n);
    this.cim = new Float64Array(n);
    this.magnitude = new Float64Array(n / 2 + 1);
    this.phase = new Float64Array(n / 2 + 1);
    this.lastPhase = new Float64Array(n / 2 + 1);
    this.synthPhase = new Float64Array(n / 2 + 1);
    this.envelope = new Float64Array(n / 2 + 1);
    this.gains = new Float64Array(n / 2 + 1);
    this.overlap = new Float64Array(n + this.hop);
    // A frame of silence in front, so the first real sample is covered by whole frames.
    this.input = new Float32Array(n);
    this.skip = Math.round(n * options.stretch);
  }

  push(samples: Float32Array): Float32Array {
    this.consumed += samples.length;
    this.input = concat(this.input, samples);
    return this.run();
  }

  /** The rest: `input length × stretch` samples in all. */
  flush(): Float32Array {
    const wanted = Math.round(this.consumed * this.options.stretch) - this.emitted;
    this.input = concat(this.input, new Float32Array(2 * this.n));
    const rest = this.run();
    return rest.subarray(0, Math.max(0, wanted));
  }

  private run(): Float32Array {
    const blocks: Float32Array[] = [];
    for (;;) {
      const start = Math.round(this.frameIndex * this.analysisHop);
      if (start + this.n > this.inputBase + this.input.length) break;
      blocks.push(this.frame(start - this.inputBase, start));
    }
    const next = Math.round(this.frameIndex * this.analysisHop);
    const drop = next - this.inputBase;
    if (drop > 0) {
      this.input = this.input.slice(drop);
      this.inputBase = next;
    }
    let out = blocks.length === 0 ? new Float32Array(0) : joinBlocks(blocks);
    if (this.skip > 0) {
      const dropped = Math.min(this.skip, out.length);
      this.skip -= dropped;
      out = out.subarray(dropped);
    }
    this.emitted += out.length;
    return out;
  }

  /** One analysis/synthesis frame; returns the `hop` output samples it completes. */
  private frame(offset: number, start: number): Float32Array {
    const { n, re, im, cre, cim, window, magnitude, phase, fft } = this;
    const bins = n / 2;
    for (let i = 0; i < n; i++) {
      re[i] = (this.input[offset + i] as number) * (window[i] as number);
      im[i] = 0;
    }
    fft.transform(re, im);
    for (let k = 0; k <= bins; k++) {
      const r = re[k] as number;
      const j = im[k] as number;
      magnitude[k] = Math.sqrt(r * r + j * j);
      phase[k] = Math.atan2(j, r);
    }
    // The envelope changes slowly: estimating it every other frame (32 ms) halves its cost.
    if (this.frameIndex % 2 === 0) this.updateGains();

    // Phase: each bin advances at its measured frequency over the synthesis hop.
    const analysisHop = start - this.lastStart;
    for (let k = 0; k <= bins; k++) {
      if (this.frameIndex === 0 || analysisHop <= 0) {
        this.synthPhase[k] = phase[k] as number;
      } else {
        const omega = (2 * Math.PI * k) / n;
        let delta = (phase[k] as number) - (this.lastPhase[k] as number) - omega * analysisHop;
        delta -= 2 * Math.PI * Math.round(delta / (2 * Math.PI));
        const frequency = omega + delta / analysisHop;
        this.synthPhase[k] = (this.synthPhase[k] as number) + frequency * this.hop;
      }
      this.lastPhase[k] = phase[k] as number;
    }
    this.lastStart = start;

    const { gains } = this;
    for (let k = 0; k <= bins; k++) {
      const amplitude = (magnitude[k] as number) * (gains[k] as number);
      const angle = this.synthPhase[k] as number;
      cre[k] = amplitude * Math.cos(angle);
      cim[k] = amplitude * Math.sin(angle);
    }
    for (let k = 1; k < bins; k++) {
      cre[n - k] = cre[k] as number;
      cim[n - k] = -(cim[k] as number);
    }
    fft.transform(cre, cim, true);

    const { overlap, hop, gain } = this;
    for (let i = 0; i < n; i++) {
      overlap[i] = (overlap[i] as number) + (cre[i] as number) * (window[i] as number) * gain;
    }
    const out = new Float32Array(hop);
    for (let i = 0; i < hop; i++) out[i] = overlap[i] as number;
    overlap.copyWithin(0, hop);
    overlap.fill(0, n);
    this.frameIndex++;
    return out;
  }

  /** Per bin, the gain that moves the envelope: each bin takes its value from `k / warp`. */
  private updateGains(): void {
    this.estimateEnvelope();
    const { envelope, gains } = this;
    const bins = this.n / 2;
    const warp = this.options.warp;
    for (let k = 0; k <= bins; k++) {
      const source = Math.min(bins, k / warp);
      const below = Math.floor(source);
      const above = Math.min(bins, below + 1);
      const frac = source - below;
      const moved = (envelope[below] as number) * (1 - frac) + (envelope[above] as number) * frac;
      const logGain = moved - (envelope[k] as number);
      gains[k] = Math.exp(Math.max(-MAX_LOG_GAIN, Math.min(MAX_LOG_GAIN, logGain)));
    }
  }

  /** Natural-log spectral envelope by cepstral smoothing (into `envelope`). */
  private estimateEnvelope(): void {
    const { n, cre, cim, magnitude, fft, lifter, envelope } = this;
    const bins = n / 2;
    for (let k = 0; k <= bins; k++) {
      const value = Math.log((magnitude[k] as number) + 1e-9);
      cre[k] = value;
      if (k > 0 && k < bins) cre[n - k] = value;
    }
    cim.fill(0);
    fft.transform(cre, cim, true);
    for (let q = 0; q < n; q++) {
      const quefrency = Math.min(q, n - q);
      cre[q] = quefrency <= lifter ? (cre[q] as number) / n : 0;
      cim[q] = 0;
    }
    fft.transform(cre, cim);
    for (let k = 0; k <= bins; k++) envelope[k] = cre[k] as number;
  }
}
