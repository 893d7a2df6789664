// The one place drafts are loaded and saved, shaped like grammY's session(): the draft is read
// (lazily, once per update, under the source's lock) before the handler runs and written after
// it; when the handler throws, nothing is written. Beside the draft the bot keeps its own small
// record (where the interview sits in the chat), sealed with it.
import type { MiddlewareFn } from "grammy";
import type { Draft, InterviewService } from "../services/interview/draft-store.js";
import { SourceBusyError } from "../services/sources/locks.js";
import type { BotContext } from "./context.js";
import {
  type ChatRecord,
  chatRecordSchema,
  type DraftSession,
  type DraftSessionData,
} from "./session-data.js";

/** How many recent update ids a draft remembers (Telegram redelivers; instances may reorder). */
const RECENT_UPDATES = 64;

export type DraftStore = Pick<InterviewService, "read" | "write" | "abandon" | "discard" | "ended">;

/** Holds one source's updates apart from another instance's; resolves to its release. */
export type SourceLock = (userId: number) => Promise<() => Promise<void>>;

export function draftSession(deps: {
  store: DraftStore;
  lock?: SourceLock;
  /**
   * Updates answered without looking for a draft (admission.ts: the source's key is not in
   * memory and the answer needs none): they find none, and nothing is written.
   */
  withoutDraft?: (ctx: BotContext) => boolean;
}): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    const userId = ctx.chat?.type === "private" ? ctx.from?.id : undefined;
    if (userId === undefined || deps.withoutDraft?.(ctx)) {
      ctx.draftSession = noSession;
      return next();
    }
    let loading: Promise<DraftSessionData | undefined> | undefined;
    let current: DraftSessionData | undefined;
    // What the last write of this update stored, so the final write is skipped when the handler
    // changed nothing after it (the usual answer: written before the note, the note edited).
    let written: { draft: Draft; chat: string } | undefined;
    const write = async () => {
      if (!current) return;
      const chat = JSON.stringify(current.chat);
      const pending = current.writes?.length ?? 0;
      if (written?.draft === current.draft && written.chat === chat && pending === 0) return;
      await deps.store.write(userId, current);
      written = { draft: current.draft, chat };
      // Saved once: a later write of this update must not add the same parts again.
      current = { ...current, writes: undefined };
    };
    let release: (() => Promise<void>) | undefined;
    const read = async () => {
      release = await deps.lock?.(userId);
      const record = await deps.store.read(userId);
      current = record && { draft: record.draft, chat: parseChatRecord(record.chat) };
      return current;
    };
    ctx.draftSession = {
      load() {
        loading ??= read();
        return loading;
      },
      set(data) {
        // Writes not saved yet belong to a draft this one grew from: they go with it.
        const pending = current?.writes ?? [];
        current =
          pending.length > 0 ? { ...data, writes: [...pending, ...(data.writes ?? [])] } : data;
      },
      save: write,
      async end(how) {
        current = undefined;
        if (how === "discarded") await deps.store.discard(userId);
        else deps.store.ended(userId);
      },
    };
    try {
      await next();
      await write();
    } catch (error) {
      if (current?.writes) await deps.store.abandon(current.writes).catch(() => {});
      if (!(error instanceof SourceBusyError)) throw error;
      // The source's previous update is still being handled (here or on another instance) and
      // the bounded wait ran out: nothing of this one is kept, and the source is told so.
      ctx.log?.warn("source busy: update not handled");
      if (ctx.callbackQuery) {
        await ctx.answerCallbackQuery({ text: ctx.t("interview-busy"), show_alert: true });
      } else await ctx.reply(ctx.t("interview-busy"));
    } finally {
      await release?.();
    }
  };
}

/** Whether this update was handled before; if not, it is remembered as handled. */
export function firstDelivery(chat: ChatRecord, updateId: number): boolean {
  const recent = chat.recentUpdates ?? [];
  if (recent.includes(updateId)) return false;
  chat.recentUpdates = [...recent, updateId].slice(-RECENT_UPDATES);
  return true;
}

function parseChatRecord(raw: unknown): ChatRecord {
  const parsed = chatRecordSchema.safeParse(raw);
  if (!parsed.success) return {};
  const { lastUpdateId, ...record } = parsed.data;
  if (lastUpdateId !== undefined && !record.recentUpdates) record.recentUpdates = [lastUpdateId];
  return record;
}

const noSession: DraftSession = {
  load: async () => undefined,
  set() {
    throw new Error("drafts exist in private chats only");
  },
  save: async () => {},
  end: async () => {},
};
