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
    scrubber.stop();
    expect(calls).toBe(2);
    // Each source is told only after a scrub that started after their own delete has ended.
    expect(log.indexOf("start 2")).toBeLessThan(log.indexOf("later 1 told"));
    expect(log.indexOf("end 2")).toBeLessThan(log.indexOf("later 1 told"));
    expect(log.indexOf("end 1")).toBeLessThan(log.indexOf("first told"));
  });
});
