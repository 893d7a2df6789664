// What the bot keeps per source between updates (the draft and the bot's own record of the chat),
// apart from the middleware that loads and saves it (draft-session.ts) and the adapter that
// stores it (interview-storage.ts), so the context type can name it.
import { z } from "zod";
import type { Draft, PartWrite } from "../services/interview/draft-store.js";
import type { DraftSessionFlavor } from "./draft-session.js";

export const chatRecordSchema = z.object({
  /** The chat's message ids from the start of the interview to now: the wipe range. */
  firstMessageId: z.number().int().optional(),
  lastMessageId: z.number().int().optional(),
  /** The bot's "saved" note for the current question, edited instead of sent again. */
  noteMessageId: z.number().int().optional(),
  /** Update ids already handled for this draft. */
  recentUpdates: z.array(z.number().int()).optional(),
  /** Drafts saved before `recentUpdates` remembered only the last id. */
  lastUpdateId: z.number().int().optional(),
});

export type ChatRecord = Omit<z.infer<typeof chatRecordSchema>, "lastUpdateId">;

/** The interview's value in the draft session: the draft and the bot's record of the chat. */
export interface DraftSessionData {
  draft: Draft;
  chat: ChatRecord;
}

export interface InterviewSessionFlavor extends DraftSessionFlavor<DraftSessionData, PartWrite> {
  /**
   * Whether this update was handled before (dedupe.ts): decided where the interview looks for
   * the draft, undefined elsewhere.
   */
  redelivered?: boolean;
}
