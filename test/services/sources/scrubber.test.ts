// The scrub of the drafts table at submit: every submission's dead rows are gone before its
// source is told "sent", and submissions arriving together share the rewrites of the table.
import { describe, expect, it } from "vitest";
import { createScrubber } from "../../../src/services/sources/scrubber.js";

describe("the scrubber", () => {
  it("lets submissions that arrive while a scrub runs share the next one, which starts after them", async () => {
    const log: string[] = [];
    let finishFirst = () => {};
    let calls = 0;
    const scrubber = createScrubber({
      scrub: async () => {},
      scrubDrafts: async () => {
        const n = ++calls;
        log.push(`start ${n}`);
        if (n === 1) await new Promise<void>((resolve) => (finishFirst = resolve));
        log.push(`end ${n}`);
      },
      delayMs: 60_000,
    });
    const first = scrubber.drafts().then(() => log.push("first told"));
    await new Promise((resolve) => setImmediate(resolve));
    // Three more submissions while the first scrub runs: their deletes came after it started.
    const later = [1, 2, 3].map((n) => scrubber.drafts().then(() => log.push(`later ${n} told`)));
    finishFirst();
    await Promise.all([first, ...later]);
    await scrubber.stop();
    expect(calls).toBe(2);
    // Each source is told only after a scrub that started after their own delete has ended.
    expect(log.indexOf("start 2")).toBeLessThan(log.indexOf("later 1 told"));
    expect(log.indexOf("end 2")).toBeLessThan(log.indexOf("later 1 told"));
    expect(log.indexOf("end 1")).toBeLessThan(log.indexOf("first told"));
  });

  it("tries a failed scrub again, and stops trying once stopped", async () => {
    let calls = 0;
    let failures = 0;
    const scrubber = createScrubber({
      scrub: async () => {
        calls++;
        if (calls <= 2) throw new Error("lock timeout");
      },
      delayMs: 20,
      onError: () => failures++,
    });
    scrubber.schedule();
    const deadline = Date.now() + 2_000;
    while (calls < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(failures).toBe(2);
    expect(calls).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toBe(3);

    // A scrub that fails after the stop is not tried again: the stop's own scrub follows it.
    let later = 0;
    let fail = () => {};
    const stopping = createScrubber({
      scrub: () => {
        later++;
        return new Promise<void>((_, reject) => (fail = () => reject(new Error("gone"))));
      },
      delayMs: 20,
    });
    const running = stopping.flush();
    await new Promise((resolve) => setImmediate(resolve));
    const stopped = stopping.stop();
    expect(later).toBe(1);
    fail();
    await Promise.all([running, stopped]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(later).toBe(1);
  });
});
