import { describe, expect, it } from "vitest";
import {
  createDerivationQueue,
  derivationConcurrency,
} from "../../../src/services/sources/derivation-queue.js";

/** A job that finishes when told to; `order` records when each one started. */
function jobs() {
  const order: string[] = [];
  const finish = new Map<string, () => void>();
  const job = (name: string) => () =>
    new Promise<string>((resolve) => {
      order.push(name);
      finish.set(name, () => resolve(name));
    });
  const done = async (name: string) => {
    finish.get(name)?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { order, job, done };
}

describe("derivation queue", () => {
  it("runs sources before every waiting newcomer, and a promoted newcomer as a source", async () => {
    const queue = createDerivationQueue({ concurrency: 1 });
    const { order, job, done } = jobs();
    queue.run(job("n1"), "newcomer");
    queue.run(job("n2"), "newcomer");
    const n3 = queue.run(job("n3"), "newcomer");
    queue.run(job("s1"), "source");
    n3.promote();
    expect(queue.waiting).toEqual({ source: 2, newcomer: 1 });
    for (const name of ["n1", "s1", "n3", "n2"]) await done(name);
    expect(order).toEqual(["n1", "s1", "n3", "n2"]);
  });

  it("has room for a bounded number of waiting newcomers, and says when there is room again", async () => {
    const queue = createDerivationQueue({ concurrency: 2, newcomersMax: 2 });
    const { job, done } = jobs();
    for (const name of ["a", "b", "c"]) queue.run(job(name), "newcomer");
    // Newcomers never hold every slot: one stays free for sources.
    expect(queue.running).toBe(1);
    expect(queue.hasRoom()).toBe(false);
    // Sources are never turned away, and the free slot takes them at once.
    queue.run(job("s"), "source");
    expect(queue.running).toBe(2);
    let roomy = false;
    void queue.whenRoom().then(() => {
      roomy = true;
    });
    await done("s"); // the source's slot stays free: the newcomers' line is still full
    expect(queue.running).toBe(1);
    expect(roomy).toBe(false);
    await done("a"); // "b" starts
    expect(roomy).toBe(true);
    expect(queue.hasRoom()).toBe(true);
  });

  it("on one core, newcomers and sources share the one slot", async () => {
    const queue = createDerivationQueue({ concurrency: 1 });
    const { job, done } = jobs();
    queue.run(job("a"), "newcomer");
    queue.run(job("b"), "newcomer");
    queue.run(job("s"), "source");
    expect(queue.running).toBe(1);
    await done("a"); // the source goes before the waiting newcomer
    expect(queue.waiting).toEqual({ source: 0, newcomer: 1 });
  });

  it("passes a job's failure to its caller and goes on", async () => {
    const queue = createDerivationQueue({ concurrency: 1 });
    const failed = queue.run(() => Promise.reject(new Error("no memory")), "newcomer");
    await expect(failed.result).rejects.toThrow("no memory");
    await expect(queue.run(async () => "next", "newcomer").result).resolves.toBe("next");
  });

  it("runs one derivation per core, leaving two threads of libuv's pool free", () => {
    expect(derivationConcurrency(1)).toBe(1);
    expect(derivationConcurrency(2)).toBe(2);
    expect(derivationConcurrency(8)).toBe(2);
    expect(derivationConcurrency(8, 10)).toBe(8);
  });
});
