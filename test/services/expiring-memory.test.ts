// What the bot holds in memory about sources and wizards goes on time even when nobody reads it
// again (a quiet bot): receipts and codename sessions (ExpiringMap), the chats that asked to be
// told of replies, and the wizards' state (an admin's draft broadcast, an editor's reply).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { expiringWizardStorage } from "../../src/bot/conversations.js";
import { ExpiringMap } from "../../src/services/sources/limits.js";
import { createReplyNotices } from "../../src/services/sources/reply-notices.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("memory that expires on time", () => {
  it("an entry nobody reads again leaves memory when its time is up, not before", () => {
    const receipts = new ExpiringMap<string>(15 * MINUTE);
    receipts.set("a", "codename words");
    vi.advanceTimersByTime(15 * MINUTE - 1);
    expect(receipts.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(receipts.size).toBe(0);
  });

  it("setting a key again gives it a new lifetime; deleting it leaves no timer behind", () => {
    const sessions = new ExpiringMap<number>(10 * MINUTE);
    sessions.set("a", 1);
    vi.advanceTimersByTime(8 * MINUTE);
    sessions.set("a", 2);
    vi.advanceTimersByTime(8 * MINUTE);
    expect(sessions.get("a")).toBe(2);
    sessions.delete("a");
    expect(sessions.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a reply-notice chat is kept its 30 days (longer than one timer can wait), then forgotten", () => {
    const notices = createReplyNotices();
    notices.remember("submission-1", 4242);
    vi.advanceTimersByTime(25 * DAY); // past the longest single setTimeout (~24.8 days)
    expect(notices.size()).toBe(1);
    vi.advanceTimersByTime(5 * DAY);
    expect(notices.size()).toBe(0);
    expect(notices.take("submission-1")).toBeUndefined();
  });

  it("a wizard's state (a draft broadcast, a reply preview) goes when its time is up", async () => {
    const storage = expiringWizardStorage<{ text: string }>(30 * MINUTE);
    await storage.write("chat-1", { text: "draft broadcast" });
    vi.advanceTimersByTime(29 * MINUTE);
    expect(await storage.read("chat-1")).toEqual({ text: "draft broadcast" });
    expect(storage.size).toBe(1);
    vi.advanceTimersByTime(30 * MINUTE); // counted from the last write, not the last read
    expect(storage.size).toBe(0);
    expect(await storage.read("chat-1")).toBeUndefined();
  });
});
