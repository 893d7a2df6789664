// Editors' notices in batches: nothing before the window ends, then one notice for everything
// new, taken from the database so a restart or a second instance loses and repeats nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createNoticeBatcher,
  type NoticeBatch,
} from "../../../src/services/submissions/editors-notices.js";
import { createSubmissionsRepository } from "../../../src/storage/submissions.repo.js";
import { createTestStorage, type TestStorage } from "../../helpers/db.js";

describe("editors' notice batcher", () => {
  let storage: TestStorage;
  let seq = 0;
  const repo = () => createSubmissionsRepository({ db: storage.db });
  const submit = async () => {
    seq++;
    return repo().create({
      notified: false,
      questionnaireVersion: 1,
      locale: "ru",
      createdOn: "2026-12-03",
      codenameHash: `hash-${seq}-${Math.random()}`,
      replyPublicKey: new Uint8Array([1]),
      replyPrivateKey: new Uint8Array([2]),
    });
  };

  beforeAll(async () => {
    storage = await createTestStorage();
  });
  afterAll(() => storage.close());
  afterEach(() => vi.useRealTimers());

  it("sends three submissions of one window as one notice, not before the window ends", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const delivered: NoticeBatch[] = [];
    const batcher = createNoticeBatcher({
      submissions: repo(),
      windowMs: 15 * 60_000,
      random: () => 0.5, // jitter: half of a third of the window
      deliver: async (batch) => {
        delivered.push(batch);
      },
    });
    batcher.start();
    const numbers = [];
    for (let i = 0; i < 3; i++) {
      numbers.push((await submit()).number);
      batcher.poke();
    }
    await vi.advanceTimersByTimeAsync(15 * 60_000);
    expect(delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(2.5 * 60_000 + 1000);
    await batcher.stop();
    expect(delivered).toEqual([{ submitted: numbers, additions: [] }]);
  });

  it("counts additions, and puts a batch back when it cannot be delivered", async () => {
    const first = await submit();
    await repo().countAddition(first.id);
    await repo().countAddition(first.id);
    let fail = true;
    const delivered: NoticeBatch[] = [];
    const errors: unknown[] = [];
    const batcher = createNoticeBatcher({
      submissions: repo(),
      windowMs: 60_000,
      deliver: async (batch) => {
        if (fail) throw new Error("Telegram unreachable");
        delivered.push(batch);
      },
      onError: (error) => errors.push(error),
    });
    await batcher.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    await batcher.flush();
    expect(delivered).toEqual([
      { submitted: [first.number], additions: [{ number: first.number, count: 2 }] },
    ]);
    // Told once: nothing is left for the next window.
    await batcher.flush();
    expect(delivered).toHaveLength(1);
  });

  it("two batchers on one database never send the same submission twice", async () => {
    const numbers = [(await submit()).number, (await submit()).number, (await submit()).number];
    const seen: number[] = [];
    const make = () =>
      createNoticeBatcher({
        submissions: repo(),
        windowMs: 60_000,
        deliver: async (batch) => {
          seen.push(...batch.submitted);
        },
      });
    await Promise.all([make().flush(), make().flush()]);
    expect(seen.sort((a, b) => a - b)).toEqual(numbers);
  });
});
