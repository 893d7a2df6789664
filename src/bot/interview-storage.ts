// How the draft session (draft-session.ts) stores the interview's draft: the draft and the bot's
// record of the chat, sealed together by the interview service (services/interview/draft-store.ts),
// with the part writes of an update in the same transaction; a failed update's writes are
// abandoned (their file bodies, already stored, go).
import type { InterviewService, PartWrite } from "../services/interview/draft-store.js";
import type { DraftStorage } from "./draft-session.js";
import { type ChatRecord, chatRecordSchema, type DraftSessionData } from "./session-data.js";

export type DraftStore = Pick<InterviewService, "read" | "write" | "abandon" | "discard" | "ended">;

export function interviewStorage(store: DraftStore): DraftStorage<DraftSessionData, PartWrite> {
  return {
    async read(userId) {
      const record = await store.read(userId);
      return record && { draft: record.draft, chat: parseChatRecord(record.chat) };
    },
    write: (userId, { draft, chat }, writes) => store.write(userId, { draft, chat, writes }),
    abandon: (writes) => store.abandon(writes),
    async discard(userId) {
      await store.discard(userId);
    },
    moved: (userId) => store.ended(userId),
  };
}

/** The bot's record as sealed; one it cannot read starts empty rather than failing the update. */
function parseChatRecord(raw: unknown): ChatRecord {
  const parsed = chatRecordSchema.safeParse(raw);
  if (!parsed.success) return {};
  const { lastUpdateId, ...record } = parsed.data;
  if (lastUpdateId !== undefined && !record.recentUpdates) record.recentUpdates = [lastUpdateId];
  return record;
}
