// Voice notes, audio files and round videos before encryption: a recording is disguised in a
// worker thread (disguise.ts) unless the source chose to keep their real voice. File cleaning
// of other kinds is in ../metadata; the interview runner calls prepareVoice for these kinds only.
import { createWorkerPool, WorkerJobError, workerModule } from "../workers.js";
import { looksLikeOggOpus, MAX_DISGUISE_SECONDS } from "./disguise.js";
import type { DisguiseOutcome } from "./disguise-worker.js";

export { DISGUISE_RANGES } from "./disguise.js";

/** The kinds whose sound is a voice. */
export const VOICE_KINDS: ReadonlySet<string> = new Set(["voice", "audio", "video_note"]);

/** What happened to a recording's voice: shown to editors, never the parameters. */
export interface VoiceLabel {
  disguised: boolean;
  /**
   * Why it was kept as recorded: the source chose to; the bot could not decode it (not
   * Ogg/Opus, or damaged); longer than MAX_DISGUISE_SECONDS; a round video (its picture and
   * sound are stored as sent).
   */
  reason?: "kept-by-source" | "could-not-decode" | "too-long" | "video-note";
}

export interface VoiceDisguiser {
  /** The disguised recording, or why not (could not decode, or its worker failed; too long). */
  disguise(original: Uint8Array): Promise<Uint8Array | "could-not-decode" | "too-long">;
  close(): Promise<void>;
}

/** One worker per job; Node's heap limit per worker (typed arrays live outside and stay small). */
const WORKER_HEAP_MB = 64;
/**
 * A job still running after this long ends its worker and the recording is kept as sent: the
 * longest recording disguised, at a real-time factor of 0.25 (several times slower than
 * measured, for a loaded one-core server).
 */
const WORKER_TIMEOUT_MS = MAX_DISGUISE_SECONDS * 1000 * 0.25;

/**
 * Recordings have a pool of their own, apart from the file cleaner's (same class, ../workers.ts):
 * an hour-long recording may take minutes, and a document must not wait behind it, nor the reverse.
 */
export function createVoiceDisguiser(options: { workers: number }): VoiceDisguiser {
  const pool = createWorkerPool({
    module: workerModule(import.meta.url, "./disguise-worker"),
    size: options.workers,
    maxOldGenerationSizeMb: WORKER_HEAP_MB,
    timeoutMs: WORKER_TIMEOUT_MS,
  });
  return {
    async disguise(original) {
      if (!looksLikeOggOpus(original)) return "could-not-decode";
      try {
        // Copied to the worker, not moved: if it fails, the original is stored unchanged.
        return await pool.run<DisguiseOutcome>(original);
      } catch (error) {
        if (!(error instanceof WorkerJobError)) throw error;
        // Out of memory or time, or a crash in the decoder: kept as sent, never half-done.
        return "could-not-decode";
      }
    },
    close: () => pool.close(),
  };
}

/**
 * A recording on its way to the encryptor: disguised unless `keepReal`; a round video and
 * anything that cannot be decoded go on unchanged. The label says which, for the editors.
 */
export async function prepareVoice<Meta extends { kind: string; size?: number }>(
  body: ReadableStream<Uint8Array>,
  meta: Meta,
  options: { keepReal: boolean; disguiser: VoiceDisguiser },
): Promise<{ body: ReadableStream<Uint8Array>; meta: Meta & { voice: VoiceLabel } }> {
  if (meta.kind === "video_note") {
    return { body, meta: { ...meta, voice: { disguised: false, reason: "video-note" } } };
  }
  if (options.keepReal) {
    return { body, meta: { ...meta, voice: { disguised: false, reason: "kept-by-source" } } };
  }
  const original = await readAll(body);
  const disguised = await options.disguiser.disguise(original);
  if (typeof disguised === "string") {
    const voice: VoiceLabel = { disguised: false, reason: disguised };
    return { body: streamOf(original), meta: { ...meta, voice } };
  }
  original.fill(0); // the original's bytes go as soon as they are not needed
  // A new file: its length and type are the disguised one's; Telegram's duration would say
  // how much the timing changed, so it is left out.
  const { duration: _duration, ...rest } = meta as Meta & { duration?: number };
  return {
    body: streamOf(disguised),
    meta: {
      ...(rest as Meta),
      size: disguised.length,
      mimeType: "audio/ogg",
      voice: { disguised: true },
    },
  };
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  const reader = body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    pieces.push(next.value);
  }
  return pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces);
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
