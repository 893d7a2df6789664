// The worker thread that disguises recordings (started by the pool in index.ts): the original
// bytes arrive moved, not copied, and only the disguised file goes back.
import { serveWorkerJobs } from "../worker-pool.js";
import { CouldNotDecodeError, disguiseRecording, TooLongError } from "./disguise.js";

serveWorkerJobs<Uint8Array, Uint8Array>(
  async (original) => {
    const disguised = await disguiseRecording(original);
    return { result: disguised, transfer: [disguised.buffer as ArrayBuffer] };
  },
  (error) => {
    if (error instanceof CouldNotDecodeError) return "could-not-decode";
    return error instanceof TooLongError ? "too-long" : "failed";
  },
);
