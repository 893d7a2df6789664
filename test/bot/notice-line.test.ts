// The line of "many people are writing" notices (bot/notice-line.ts): one per person, in order,
// at a steady pace, and none for someone whose answer came first.
import { describe, expect, it } from "vitest";
import { createNoticeLine } from "../../src/bot/notice-line.js";

describe("the notice line", () => {
  it("sends one notice per person, in order, no faster than its pace", async () => {
    const sent: { id: number; at: number }[] = [];
    const line = createNoticeLine({ perSecond: 20 });
    const started = performance.now();
    for (const id of [1, 2, 3, 2, 4, 5]) {
      line.add(id, async () => sent.push({ id, at: performance.now() - started }));
    }
    expect(line.waiting).toBe(4); // the first went at once; 2 was queued once only
    while (sent.length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sent.map((s) => s.id)).toEqual([1, 2, 3, 4, 5]);
    // 20 a second: 50 ms apart (timers may fire a little early or late, never all at once).
    expect(sent[4]?.at ?? 0).toBeGreaterThanOrEqual(190);
    expect(sent[1]?.at ?? 0).toBeGreaterThanOrEqual(45);
  });

  it("drops a notice not sent yet, and keeps going after one that failed", async () => {
    const sent: number[] = [];
    const errors: unknown[] = [];
    const line = createNoticeLine({ perSecond: 20, onError: (error) => errors.push(error) });
    line.add(1, async () => {
      throw new Error("blocked by the user");
    });
    line.add(2, async () => sent.push(2));
    line.add(3, async () => sent.push(3));
    line.drop(2);
    while (sent.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sent).toEqual([3]);
    expect(errors).toHaveLength(1);
    expect(line.waiting).toBe(0);
  });
});
