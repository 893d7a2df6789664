// Cleaning runs in worker threads (workers.ts), never on the event loop: a file built to be slow
// or huge once parsed (a zip bomb, a PDF of a million objects) costs its worker, not the bot.
// A worker that runs out of memory or time ends, and the file is kept as sent, "too complex".
// Files have a pool of their own, apart from the voice disguiser's (same class): a document
// must not wait behind an hour-long recording, nor a recording behind a slow document.
import { availableParallelism } from "node:os";
import { createWorkerPool, WorkerJobError, type WorkerPool, workerModule } from "../workers.js";
import type { StripResult } from "./index.js";

export type CleanedFile = Omit<StripResult, "pieces"> & { bytes: Uint8Array };

export interface FileCleanerOptions {
  /** Files cleaned at once. */
  size: number;
  /** V8 heap of each worker, in MB (the file's own bytes are outside it, capped by the caps). */
  maxHeapMb: number;
  timeoutMs: number;
}

/**
 * One at a time on the one- and two-core servers this is meant for (a core stays free for the
 * event loop), two at most: each may hold a 20 MB file, its unpacked parts (96 MiB at most, see
 * zip.ts) and the rewritten file.
 */
export const FILE_CLEANER_DEFAULTS: FileCleanerOptions = {
  size: Math.max(1, Math.min(2, availableParallelism() - 1)),
  maxHeapMb: 128,
  timeoutMs: 60_000,
};

export interface FileCleaner {
  /** The file without its hidden data, or as sent (with the reason) when it cannot be. */
  clean(bytes: Uint8Array): Promise<CleanedFile>;
  close(): Promise<void>;
  readonly pool: WorkerPool;
}

export function createFileCleaner(
  options: FileCleanerOptions = FILE_CLEANER_DEFAULTS,
): FileCleaner {
  const pool = createWorkerPool({
    module: workerModule(import.meta.url, "./worker"),
    size: options.size,
    maxOldGenerationSizeMb: options.maxHeapMb,
    timeoutMs: options.timeoutMs,
  });
  return {
    pool,
    async clean(bytes) {
      try {
        // Copied to the worker, not handed over: if the worker dies, the file is stored as sent.
        return await pool.run<CleanedFile>({ bytes });
      } catch (error) {
        if (!(error instanceof WorkerJobError)) throw error;
        return { bytes, cleaned: false, removed: [], left: [], reason: "too-complex" };
      }
    },
    close: () => pool.close(),
  };
}

let shared: FileCleaner | undefined;

/** The process's cleaner, started on first use. */
export function fileCleaner(): FileCleaner {
  shared ??= createFileCleaner();
  return shared;
}
