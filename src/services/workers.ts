// A small pool of worker threads for heavy work on untrusted input (cleaning files, disguising
// voices): at most `size` jobs run at once, the rest wait in order, each worker has V8 memory
// limits and each job a time limit. A job that breaks a limit ends its worker (a new one starts
// for the next job) and fails with WorkerJobError; the event loop never runs the work itself.
// Files (metadata/cleaner.ts) and recordings (voice/index.ts) each have a pool of this kind.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

export interface WorkerPoolOptions {
  /** URL of the module the workers load (import.meta.url-relative); it exports `handle(input)`. */
  module: URL;
  /** Jobs that run at once (one worker each). */
  size: number;
  /** V8 limits of each worker (old and young generation, in MB). */
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb?: number;
  /** A job still running after this long ends its worker. */
  timeoutMs: number;
}

export interface WorkerPool {
  /** Runs `handle(input)` in a worker; `transfer` lists buffers handed over (not copied). */
  run<T>(input: unknown, transfer?: ArrayBuffer[]): Promise<T>;
  /** Ends every worker (for tests and shutdown); waiting jobs fail. */
  close(): Promise<void>;
  readonly running: number;
  readonly waiting: number;
}

/**
 * The URL of a worker module beside `base` (an import.meta.url): `name.ts` under tsx and the
 * tests, `name.js` in the compiled build.
 */
export function workerModule(base: string, name: string): URL {
  return new URL(`${name}.${base.endsWith(".ts") ? "ts" : "js"}`, base);
}

/** Why a job did not finish: its worker ran out of memory or time, or stopped. */
export class WorkerJobError extends Error {
  readonly safeToLog = true;
  constructor(readonly why: "memory" | "time" | "stopped" | "failed") {
    super(`worker job ${why}`);
    this.name = "WorkerJobError";
  }
}

/**
 * Plain JavaScript, so it runs the same under tsx, the compiled build and the tests: a `.ts`
 * module is loaded through tsx's API (a dependency anyway), a `.js` one directly.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const { pathToFileURL } = require("node:url");
const loaded = workerData.module.endsWith(".ts")
  ? import(pathToFileURL(workerData.tsx).href).then((api) => api.tsImport(workerData.module, workerData.parent))
  : import(workerData.module);
parentPort.on("message", async (input) => {
  try {
    const { handle } = await loaded;
    const { result, transfer } = await handle(input);
    parentPort.postMessage({ result }, transfer ?? []);
  } catch (error) {
    parentPort.postMessage({ error: true }); // nothing of the input leaves in a message
  }
});`;

interface Job {
  input: unknown;
  transfer: ArrayBuffer[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  if (!Number.isSafeInteger(options.size) || options.size < 1) {
    throw new RangeError("createWorkerPool: size must be a positive integer");
  }
  const idle: Worker[] = [];
  const busy = new Set<Worker>();
  const queue: Job[] = [];
  let closed = false;

  const start = (): Worker => {
    const typescript = options.module.href.endsWith(".ts");
    return new Worker(WORKER_CODE, {
      eval: true,
      workerData: {
        module: typescript ? fileURLToPath(options.module) : options.module.href,
        // The ESM build: require.resolve finds the CommonJS one, which cannot be imported here.
        // Only a .ts module needs tsx; the compiled build loads its .js workers directly.
        tsx: typescript
          ? createRequire(import.meta.url)
              .resolve("tsx/esm/api")
              .replace(/\.cjs$/, ".mjs")
          : undefined,
        parent: import.meta.url,
      },
      resourceLimits: {
        maxOldGenerationSizeMb: options.maxOldGenerationSizeMb,
        maxYoungGenerationSizeMb: options.maxYoungGenerationSizeMb ?? 16,
      },
      stdout: false,
      stderr: false,
    });
  };

  const runOn = (worker: Worker, job: Job) => {
    busy.add(worker);
    worker.ref();
    let settled = false;
    const finish = (reuse: boolean) => {
      settled = true;
      clearTimeout(timer);
      worker.removeAllListeners("message");
      worker.removeAllListeners("error");
      worker.removeAllListeners("exit");
      busy.delete(worker);
      if (reuse && !closed) {
        worker.unref(); // an idle worker never keeps the process alive
        idle.push(worker);
      } else {
        void worker.terminate();
      }
      next();
    };
    const timer = setTimeout(() => {
      if (settled) return;
      finish(false);
      job.reject(new WorkerJobError("time"));
    }, options.timeoutMs);
    worker.on("message", (message: { result?: unknown; error?: true }) => {
      if (settled) return;
      finish(true);
      if (message.error !== undefined) job.reject(new WorkerJobError("failed"));
      else job.resolve(message.result);
    });
    worker.on("error", (error: Error & { code?: string }) => {
      if (settled) return;
      finish(false);
      const memory = error.code === "ERR_WORKER_OUT_OF_MEMORY";
      job.reject(new WorkerJobError(memory ? "memory" : "failed"));
    });
    worker.on("exit", () => {
      if (settled) return;
      finish(false);
      job.reject(new WorkerJobError("stopped"));
    });
    worker.postMessage(job.input, job.transfer);
  };

  const next = () => {
    while (queue.length > 0 && busy.size < options.size) {
      const job = queue.shift() as Job;
      runOn(idle.pop() ?? start(), job);
    }
  };

  return {
    run<T>(input: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
      if (closed) return Promise.reject(new WorkerJobError("stopped"));
      return new Promise<T>((resolve, reject) => {
        queue.push({ input, transfer, resolve: resolve as (value: unknown) => void, reject });
        next();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new WorkerJobError("stopped"));
      const all = [...idle.splice(0), ...busy];
      await Promise.all(all.map((worker) => worker.terminate()));
    },
    get running() {
      return busy.size;
    },
    get waiting() {
      return queue.length;
    },
  };
}
