// The draft session (bot/draft-session.ts) with the interview's storage (bot/interview-storage.ts)
// over a store in memory: an update's part writes are written with the draft exactly once, the
// final write is skipped only when nothing changed, and a failed update abandons its writes. Then
// a busy source, through the real bot and its error boundary: told to send again, nothing kept.
import { describe, expect, it } from "vitest";
import type { BotContext } from "../../src/bot/context.js";
import { draftSession } from "../../src/bot/draft-session.js";
import { type DraftStore, interviewStorage } from "../../src/bot/interview-storage.js";
import type { DraftSessionData } from "../../src/bot/session-data.js";
import { start } from "../../src/services/interview/decide.js";
import type { DraftRecord, PartWrite } from "../../src/services/interview/draft-store.js";
import { startTestBot } from "../helpers/harness.js";
import { limits, questionnaire } from "../helpers/interview-fixture.js";
import { beginInterview, callbackAnswer, draftOf, holdSourceLock } from "../helpers/steps.js";

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
async function update(
  store: DraftStore,
  handler: (ctx: BotContext, session: DraftSessionData) => Promise<void>,
) {
  const ctx = { chat: { type: "private", id: USER }, from: { id: USER } } as unknown as BotContext;
  const middleware = draftSession<DraftSessionData, PartWrite, BotContext>({
    storage: interviewStorage(store),
    getSessionKey: (ctx) => ctx.from?.id,
  });
  await middleware(ctx, async () => {
    const session = await ctx.draftSession.load();
    if (!session) throw new Error("no draft");
    await handler(ctx, session);
  });
}

const idsOf = (record: DraftRecord | undefined) =>
  (record?.writes ?? []).map((write) => (write.op === "add" ? write.id : write.ids.join()));

describe("the draft session", () => {
  it("writes an update's parts with the draft once, and skips the final write if nothing changed", async () => {
    const { store, written } = memoryStore();
    await update(store, async (ctx, session) => {
      ctx.draftSession.set(session, [part("p1")]);
      await ctx.draftSession.save();
    });
    expect(written.map(idsOf)).toEqual([["p1"]]);
  });

  it("writes again when the chat record changed after the save (the note to replace next time)", async () => {
    const { store, written } = memoryStore();
    await update(store, async (ctx, session) => {
      ctx.draftSession.set(session, [part("p1")]);
      await ctx.draftSession.save();
      session.chat.noteMessageId = 9;
    });
    expect(written.map(idsOf)).toEqual([["p1"], []]);
    expect(
      written.map((record) => (record.chat as { noteMessageId?: number }).noteMessageId),
    ).toEqual([undefined, 9]);
  });

  it("writes pending parts even when the draft and the chat are as last written", async () => {
    const { store, written } = memoryStore();
    await update(store, async (ctx, session) => {
      ctx.draftSession.set(session);
      await ctx.draftSession.save();
      ctx.draftSession.set(session, [part("p2")]);
    });
    expect(written.map(idsOf)).toEqual([[], ["p2"]]);
  });

  it("keeps parts not yet written when the draft is replaced, and never writes them twice", async () => {
    const { store, written } = memoryStore();
    await update(store, async (ctx, session) => {
      ctx.draftSession.set(session, [part("p3")]);
      ctx.draftSession.set({ ...session, chat: { noteMessageId: 7 } }, [part("p4")]);
      await ctx.draftSession.save();
      ctx.draftSession.set({ ...session, chat: { noteMessageId: 8 } });
    });
    expect(written.map(idsOf)).toEqual([["p3", "p4"], []]);
  });

  it("abandons the parts of an update that failed, and writes nothing", async () => {
    const { store, written, abandoned } = memoryStore();
    const failing = update(store, async (ctx, session) => {
      ctx.draftSession.set(session, [part("p5")]);
      throw new Error("the Bot API went away");
    });
    await expect(failing).rejects.toThrow("the Bot API went away");
    expect(written).toEqual([]);
    expect(
      abandoned.map((writes) => writes.map((write) => write.op === "add" && write.id)),
    ).toEqual([["p5"]]);
  });

  it("tells a busy source, in an alert, to press again, keeps nothing of the press, and does not retry it", async () => {
    const bot = await startTestBot({ sourceLockWaitMs: 300 });
    try {
      const user = bot.api.user({ id: 8899, first_name: "Боец", language_code: "ru" });
      const role = await beginInterview(user);
      const before = await draftOf(bot, user);
      const lock = await holdSourceLock(bot, user);
      const query = await user.press("Другое");
      const answer = await callbackAnswer(bot, query);
      expect(answer).toMatchObject({ show_alert: true });
      expect(String(answer.text)).toContain("ещё раз через минуту");
      await lock.release();
      await bot.idle();
      // Not handled later either: the draft stands where it stood, and nothing new was said.
      expect((await draftOf(bot, user)).position).toBe(before.position);
      expect(user.botMessages().at(-1)?.message_id).toBe(role.message_id);

      // Pressed again, it is handled.
      await user.press("Другое");
      await bot.idle();
      expect((await draftOf(bot, user)).position).toBe("role_other");
    } finally {
      await bot.stop();
    }
  });
});
