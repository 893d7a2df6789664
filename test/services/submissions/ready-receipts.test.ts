// Receipts made ahead (services/submissions/ready-receipts.ts): one per interview begun, made
// only while no other memory-hard work runs, each handed out once and only on the day its reply
// key is dated.
import { describe, expect, it } from "vitest";
import {
  createReadyReceipts,
  type MadeReceipt,
} from "../../../src/services/submissions/ready-receipts.js";

const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 2_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

function stock(options: { max?: number } = {}) {
  let idle = false;
  let day = "2026-12-07";
  const made: string[] = [];
  const receipts = createReadyReceipts({
    make: async (locale) => {
      const codename = `${locale}-${made.length + 1}`;
      made.push(codename);
      const receipt: MadeReceipt = {
        codename,
        codenameHash: `hash of ${codename}`,
        replyKey: { publicKey: new Uint8Array(1), encryptedPrivateKey: new Uint8Array(1) },
        day,
      };
      return receipt;
    },
    idle: () => idle,
    max: options.max ?? 4,
    today: () => day,
  });
  return {
    receipts,
    made,
    setIdle: (value: boolean) => (idle = value),
    setDay: (value: string) => (day = value),
  };
}

describe("receipts made ahead", () => {
  it("makes one per interview begun once the slow work is idle, and gives each out once", async () => {
    const { receipts, made, setIdle } = stock();
    receipts.expect("ru");
    receipts.expect("ru");
    receipts.expect("en");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(made).toEqual([]);
    expect(receipts.take("ru")).toBeUndefined();

    setIdle(true);
    await until(() => receipts.ready === 3);
    expect(receipts.take("ru")?.codename).toBe("ru-1");
    expect(receipts.take("ru")?.codename).toBe("ru-2");
    expect(receipts.take("ru")).toBeUndefined();
    expect(receipts.take("en")?.codename).toBe("en-3");
    expect(receipts.ready).toBe(0);
    receipts.stop();
  });

  it("keeps at most `max` per language, and never hands out one dated another day", async () => {
    const { receipts, made, setIdle, setDay } = stock({ max: 2 });
    setIdle(true);
    for (let i = 0; i < 5; i++) receipts.expect("ru");
    await until(() => receipts.ready === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(made).toHaveLength(2);

    setDay("2026-12-08");
    expect(receipts.take("ru")).toBeUndefined();
    expect(receipts.ready).toBe(0);
    receipts.stop();
  });

  it("makes none once stopped, and forgets those made", async () => {
    const { receipts, made, setIdle } = stock();
    setIdle(true);
    receipts.expect("ru");
    await until(() => receipts.ready === 1);
    receipts.stop();
    expect(receipts.ready).toBe(0);
    receipts.expect("ru");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(made).toHaveLength(1);
  });
});
