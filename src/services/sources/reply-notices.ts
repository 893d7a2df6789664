// "Tell me here when the editors reply": the link between a testimony and a chat, kept in this
// process's memory only (DESIGN §3.2). Sealed at rest, it would be opened by whoever seizes the
// server with its key; in memory it is gone after the first notice, its time limit, or a restart.
import { ExpiringMap } from "./limits.js";

export function createReplyNotices(options: { ttlMs?: number; now?: () => number } = {}) {
  const chats = new ExpiringMap<number>(options.ttlMs ?? 30 * 24 * 3600_000, options.now);
  return {
    remember(submissionId: string, chatId: number): void {
      chats.set(submissionId, chatId);
    },
    /** The chat to tell, once: the link is forgotten as it is used. */
    take(submissionId: string): number | undefined {
      const chatId = chats.get(submissionId);
      chats.delete(submissionId);
      return chatId;
    },
    forget(submissionId: string): void {
      chats.delete(submissionId);
    },
    /** How many chats are remembered now. */
    size: () => chats.size,
  };
}

export type ReplyNotices = ReturnType<typeof createReplyNotices>;
