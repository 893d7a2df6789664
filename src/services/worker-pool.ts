// A small pool of worker threads for CPU-heavy work on one file at a time (voice disguise; file
// cleaning may use it too), so other sources' updates never wait behind it on the event loop.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { parentPort, type ResourceLimits, type Transferable, Worker } from "node:worker_threads";

export interface WorkerPoolOptions {
  /** The worker's module (a .ts file under tsx and the tests, .js in the compiled build). */
  module: URL;
  /** Jobs that may run at once; the rest wait in line. */
  size: number;
  /** Per-worker heap limits; a worker over them dies and its job fails (the pool goes on). */
  resourceLimits?: ResourceLimits;
}

/**
 * Under tsx and the tests the module is TypeScript: a small entry registers tsx's loader in the
 * worker first (an `--import` flag does not reach worker threads on every Node version).
 */
function entryOf(module: URL): URL {
  if (!module.pathname.endsWith(".ts")) return module;
  // require.resolve finds the CommonJS build of tsx's API; the worker needs its ES module one.
  const api = createRequire(import.meta.url)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  const tsx = pathToFileURL(api).href;
  const code = `import { register } from ${JSON.stringify(tsx)};
register();
await import(${JSON.stringify(module.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** A job that failed inside the worker, or whose worker died (out of memory, crash). */
export class WorkerJobError extends Error {
  readonly safeToLog = true;
  constructor(readonly code: string) {
    super(`worker job failed: ${code}`);
    this.name = "WorkerJobError";
  }
}

interface Job {
  payload: unknown;
  transfer: Transferable[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Runs `serveWorkerJobs` handlers in at most `size` threads, started on demand and unref'd when
 * idle. A payload's buffers listed in `transfer` move to the worker: the caller no longer holds them.
 */
export function createWorkerPool<Payload, Result>(options: WorkerPoolOptions) {
  const idle: Worker[] = [];
  const queue: Job[] = [];
  let running = 0;
  let closed = false;

  const spawn = (): Worker => {
    return new Worker(entryOf(options.module), {
      resourceLimits: options.resourceLimits,
      stdout: false,
      stderr: false,
    });
  };

  const next = () => {
    while (!closed && running < options.size && queue.length > 0) {
      const job = queue.shift() as Job;
      running++;
      const worker = idle.pop() ?? spawn();
      worker.ref();
      const done = (settle: () => void, keep: boolean) => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        running--;
        if (keep && !closed) {
          worker.unref(); // an idle worker never keeps the process alive
          idle.push(worker);
        } else void worker.terminate();
        settle();
        next();
      };
      const onMessage = (message: { result?: unknown; error?: string }) => {
        if (message.error !== undefined) {
          done(() => job.reject(new WorkerJobError(message.error as string)), true);
        } else done(() => job.resolve(message.result), true);
      };
      const onError = (error: Error & { code?: string }) =>
        done(() => job.reject(new WorkerJobError(error.code ?? "worker-error")), false);
      const onExit = () => done(() => job.reject(new WorkerJobError("worker-exited")), false);
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.postMessage(job.payload, job.transfer);
    }
  };

  return {
    run(payload: Payload, transfer: Transferable[] = []): Promise<Result> {
      if (closed) return Promise.reject(new WorkerJobError("pool-closed"));
      return new Promise<Result>((resolve, reject) => {
        queue.push({ payload, transfer, resolve: resolve as (value: unknown) => void, reject });
        next();
      });
    },
    /** Jobs waiting for a free worker (for tests and benchmarks). */
    waiting: () => queue.length,
    async close(): Promise<void> {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new WorkerJobError("pool-closed"));
      await Promise.all(idle.splice(0).map((worker) => worker.terminate()));
    },
  };
}

export type WorkerPool<Payload, Result> = ReturnType<typeof createWorkerPool<Payload, Result>>;

/**
 * The worker's side: answers each job with the handler's result (its `transfer` buffers move
 * back) or with an error code only; no message or payload of an error leaves the worker.
 */
export function serveWorkerJobs<Payload, Result>(
  handler: (payload: Payload) => Promise<{ result: Result; transfer?: Transferable[] }>,
  codeOf: (error: unknown) => string = () => "failed",
): void {
  const port = parentPort;
  if (!port) throw new Error("serveWorkerJobs runs inside a worker thread");
  port.on("message", async (payload: Payload) => {
    try {
      const { result, transfer } = await handler(payload);
      port.postMessage({ result }, transfer ?? []);
    } catch (error) {
      port.postMessage({ error: codeOf(error) });
    }
  });
}
