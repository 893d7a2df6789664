// Whether this update was handled before: Telegram delivers an update again after a crash or a
// lost webhook answer, and update-retry.ts handles one again after a failure that passes. The
// draft's chat record remembers the update ids it handled; an update found there is marked
// `ctx.redelivered` (the interview then shows only what it had not shown yet), and any other is
// remembered there, written with the draft after the update (draft-session.ts).
import type { MiddlewareFn } from "grammy";
import type { BotContext } from "./context.js";
import type { ChatRecord } from "./session-data.js";

/** How many recent update ids a draft remembers (Telegram redelivers; instances may reorder). */
const RECENT_UPDATES = 64;

/** Loads the draft (under the source's lock) and decides, once per update. */
export function dedupe(): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    if (ctx.redelivered === undefined) {
      const session = await ctx.draftSession.load();
      ctx.redelivered = session !== undefined && !remember(session.chat, ctx.update.update_id);
      if (session && !ctx.redelivered) ctx.draftSession.set(session);
    }
    return next();
  };
}

/** Whether the update is new to this record; if it is, it is remembered as handled. */
function remember(chat: ChatRecord, updateId: number): boolean {
  const recent = chat.recentUpdates ?? [];
  if (recent.includes(updateId)) return false;
  chat.recentUpdates = [...recent, updateId].slice(-RECENT_UPDATES);
  return true;
}
