// What the bot keeps per source between updates (the draft and the bot's own record of the chat),
// apart from the middleware that loads and saves it, so the context type can name it without
// importing the middleware that needs the context.
import { z } from "zod";
import type { Draft, PartWrite } from "../services/interview/draft-store.js";

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

export interface DraftSessionData {
  draft: Draft;
  chat: ChatRecord;
  /** The part writes of this update not saved yet: written with the draft, never skipped. */
  writes?: readonly PartWrite[];
}

export interface DraftSession {
  /** The source's draft, read once per update; undefined when there is none. */
  load(): Promise<DraftSessionData | undefined>;
  /**
   * Replaces the draft (a new interview, or the interview's outcome with its part writes); written
   * after the handler. Writes not saved yet stay pending under the new draft.
   */
  set(data: DraftSessionData): void;
  /**
   * Writes the draft now, before the bot says it is stored (a crash right after "saved" must not
   * lose the answer); it is written again after the handler with what the handler added.
   */
  save(): Promise<void>;
  /** The interview ended: a cancelled one is deleted now; a submitted one is already gone. */
  end(how: "submitted" | "discarded"): Promise<void>;
}

export interface DraftSessionFlavor {
  draftSession: DraftSession;
}
