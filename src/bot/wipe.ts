// Deleting messages from a chat: Telegram deletes up to 100 per call and silently keeps
// messages older than 48 hours.
import type { Api } from "grammy";

export const TELEGRAM_DELETE_LIMIT_HOURS = 48;

/** Deletes every message with an id in [first, last]; ids that are gone are ignored. */
export async function wipeRange(api: Api, chatId: number, first: number, last: number) {
  const ids: number[] = [];
  for (let id = Math.max(1, first); id <= last; id++) ids.push(id);
  await wipeIds(api, chatId, ids);
}

export async function wipeIds(api: Api, chatId: number, ids: number[]) {
  for (let i = 0; i < ids.length; i += 100) {
    try {
      await api.deleteMessages(chatId, ids.slice(i, i + 100));
    } catch {
      // Best effort: a failed batch must not stop the rest of the wipe.
    }
  }
}
