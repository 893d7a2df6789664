// Whether this update was handled before: Telegram delivers an update again after a crash or a
// lost webhook answer, and update-retry.ts handles one again after a failure that passes. The
// draft's chat record remembers the update ids it handled.
import type { ChatRecord } from "./session-data.js";

/** How many recent update ids a draft remembers (Telegram redelivers; instances may reorder). */
const RECENT_UPDATES = 64;

/** Whether this update was handled before; if not, it is remembered as handled. */
export function firstDelivery(chat: ChatRecord, updateId: number): boolean {
  const recent = chat.recentUpdates ?? [];
  if (recent.includes(updateId)) return false;
  chat.recentUpdates = [...recent, updateId].slice(-RECENT_UPDATES);
  return true;
}
