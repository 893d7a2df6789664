// The draft session alone, with a store in memory: when a draft is written, that the part writes
// of an update are written with it exactly once, and that a failed update abandons them.
import { describe, expect, it } from "vitest";
import type { BotContext } from "../../src/bot/context.js";
import { type DraftStore, draftSession } from "../../src/bot/draft-session.js";
import { start } from "../../src/services/interview/decide.js";
import type { DraftRecord, PartWrite } from "../../src/services/interview/draft-store.js";
import { limits, questionnaire } from "../helpers/interview-fixture.js";

const USER = 42;
const draft = start("ru", {
  questionnaire,
  limits,
  now: new Date("2026-12-03T12:00:00Z"),
  newId: () => "d1",
}).draft;
const part = (id: string): PartWrite => ({
  op: "add",
  id,
  kind: "answer",
  ciphertext: new Uint8Array([1]),
  recipients: [],
});

/** A store that remembers what it was asked to write and to abandon. */
function memoryStore() {
  const written: DraftRecord[] = [];
  const abandoned: (readonly PartWrite[])[] = [];
  const store: DraftStore = {
    read: async () => ({ draft, chat: {} }),
    write: async (_userId, record) => {
      written.push(structuredClone(record));
    },
    abandon: async (writes) => {
      abandoned.push(writes);
    },
    discard: async () => true,
    ended: () => {},
  };
  return { store, written, abandoned };
}

/** Runs `handler` as the one middleware after the draft session, in a private chat. */
async function update(store: DraftStore, handler: (ctx: BotContext) => Promise<void>) {
  const ctx = { chat: { type: "private", id: USER }, from: { id: USER } } as unknown as BotContext;
  await draftSession({ store })(ctx, () => handler(ctx));
}

const idsOf = (record: DraftRecord | undefined) =>
  (record?.writes ?? []).map((write) => (write.op === "add" ? write.id : write.ids.join()));

describe("the draft session", () => {
  it("writes an update's parts with the draft once, and skips the final write if nothing changed", async () => {
    const { store, written } = memoryStore();
    await update(store, async (ctx) => {
      const session = await ctx.draftSession.load();
      if (!session) throw new Error("no draft");
      ctx.draftSession.set({ ...session, writes: [part("p1")] });
      await ctx.draftSession.save();
    });
    expect(written.map(idsOf)).toEqual([["p1"]]);
  });

  it("writes pending parts even when the draft and the chat are as last written", async () => {
    const { store, written } = memoryStore();
    await update(store, async (ctx) => {
      const session = await ctx.draftSession.load();
      if (!session) throw new Error("no draft");
      ctx.draftSession.set(session);
      await ctx.draftSession.save();
      ctx.draftSession.set({ ...session, writes: [part("p2")] });
    });
    expect(written.map(idsOf)).toEqual([[], ["p2"]]);
  });

  it("keeps parts not yet written when the draft is replaced, and never writes them twice", async () => {
    const { store, written } = memoryStore();
    await update(store, async (ctx) => {
      const session = await ctx.draftSession.load();
      if (!session) throw new Error("no draft");
      ctx.draftSession.set({ ...session, writes: [part("p3")] });
      ctx.draftSession.set({ ...session, chat: { noteMessageId: 7 }, writes: [part("p4")] });
      await ctx.draftSession.save();
      ctx.draftSession.set({ ...session, chat: { noteMessageId: 8 } });
    });
    expect(written.map(idsOf)).toEqual([["p3", "p4"], []]);
  });

  it("abandons the parts of an update that failed, and writes nothing", async () => {
    const { store, written, abandoned } = memoryStore();
    const failing = update(store, async (ctx) => {
      const session = await ctx.draftSession.load();
      if (!session) throw new Error("no draft");
      ctx.draftSession.set({ ...session, writes: [part("p5")] });
      throw new Error("the Bot API went away");
    });
    await expect(failing).rejects.toThrow("the Bot API went away");
    expect(written).toEqual([]);
    expect(
      abandoned.map((writes) => writes.map((write) => write.op === "add" && write.id)),
    ).toEqual([["p5"]]);
  });
});
