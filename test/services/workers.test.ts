// The worker pool: heavy work on untrusted input runs off the event loop, a bounded number at a
// time, and a job that runs out of memory or time ends its worker, not the bot.
import { afterEach, describe, expect, it } from "vitest";
import {
  createWorkerPool,
  WorkerJobError,
  type WorkerPool,
  workerModule,
} from "../../src/services/workers.js";

const module = new URL("../helpers/pool-worker.ts", import.meta.url);
const pools: WorkerPool[] = [];
const pool = (size: number, timeoutMs = 30_000) => {
  const created = createWorkerPool({ module, size, maxOldGenerationSizeMb: 32, timeoutMs });
  pools.push(created);
  return created;
};

afterEach(async () => {
  for (const created of pools.splice(0)) await created.close();
});

describe("worker pool", () => {
  it("runs jobs in another thread, at most `size` at once, the rest in order", async () => {
    const workers = pool(2);
    const jobs = [1, 2, 3, 4, 5].map((value) =>
      workers.run<{ value: number; threadId: number }>({ op: "echo", value }),
    );
    expect(workers.running).toBe(2);
    expect(workers.waiting).toBe(3);
    const results = await Promise.all(jobs);
    expect(results.map((r) => r.value)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(results.map((r) => r.threadId)).size).toBeLessThanOrEqual(2);
    expect(results.every((r) => r.threadId !== 0)).toBe(true); // 0 is the main thread
  });

  it("loads a .js worker directly, as in the compiled build, and a .ts one under tsx", async () => {
    const plain = workerModule("file:///app/dist/src/services/voice/index.js", "./disguise-worker");
    expect(plain.href).toBe("file:///app/dist/src/services/voice/disguise-worker.js");
    expect(workerModule("file:///app/src/services/voice/index.ts", "./worker").href).toBe(
      "file:///app/src/services/voice/worker.ts",
    );
    const workers = createWorkerPool({
      module: workerModule(new URL("../helpers/x.js", import.meta.url).href, "./pool-worker-plain"),
      size: 1,
      maxOldGenerationSizeMb: 32,
      timeoutMs: 30_000,
    });
    pools.push(workers);
    await expect(workers.run({ value: 5 })).resolves.toMatchObject({ value: 5 });
  });

  it("a job that eats memory ends its worker with 'memory'; the next job runs", async () => {
    const workers = pool(1);
    await expect(workers.run({ op: "eat" })).rejects.toMatchObject({ why: "memory" });
    await expect(workers.run({ op: "echo", value: 7 })).resolves.toMatchObject({ value: 7 });
  });

  it("a job that never ends is stopped at its time limit; jobs behind it then run", async () => {
    const workers = pool(1, 1500);
    const stuck = workers.run({ op: "spin" });
    const behind = workers.run({ op: "echo", value: 8 });
    // The event loop is free meanwhile: timers run while the worker spins.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await expect(stuck).rejects.toBeInstanceOf(WorkerJobError);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    await expect(stuck).rejects.toMatchObject({ why: "time" });
    await expect(behind).resolves.toMatchObject({ value: 8 });
  });
});
