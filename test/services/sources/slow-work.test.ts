// The bounded queue for memory-hard work: never more than `concurrency` jobs at once, the rest in
// order, and a failing job frees its slot.
import { describe, expect, it } from "vitest";
import { createSlowWork } from "../../../src/services/sources/slow-work.js";

describe("slow work queue", () => {
  it("runs at most `concurrency` jobs at once, in the order they came", async () => {
    const slow = createSlowWork({ concurrency: 2 });
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const jobs = Array.from({ length: 7 }, (_, i) =>
      slow.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return i * 10;
      }),
    );
    expect(slow.running).toBe(2);
    expect(slow.waiting).toBe(5);
    expect(await Promise.all(jobs)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(slow.running).toBe(0);
  });

  it("passes a job's error on and frees its slot", async () => {
    const slow = createSlowWork({ concurrency: 1 });
    const failing = slow.run(async () => {
      throw new Error("boom");
    });
    const next = slow.run(async () => "after");
    await expect(failing).rejects.toThrow("boom");
    expect(await next).toBe("after");
  });

  it("refuses a concurrency below one", () => {
    expect(() => createSlowWork({ concurrency: 0 })).toThrow(RangeError);
  });
});
