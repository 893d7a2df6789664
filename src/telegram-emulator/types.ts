// Public types of the Telegram emulator, and the per-chat state it keeps.
import { randomBytes } from "node:crypto";
import type { CallbackQuery, Chat, Message, ReplyKeyboardMarkup, User } from "grammy/types";

export interface ApiError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}
export type ApiResponse = { ok: true; result: unknown } | ({ ok: false } & ApiError);

/** One recorded Bot API call. `at` is simulated unix seconds. */
export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
  ok: boolean;
  result?: unknown;
  error?: ApiError;
}

export interface FaultSpec {
  /** Only this method (default: any). */
  method?: string;
  /** Only calls whose chat_id is this (default: any). */
  chatId?: number;
  /** How many calls fail (default 1; Infinity for "until removed"). */
  times?: number;
  /** The share of matching calls that fail, at random (default 1: every one). */
  chance?: number;
  error: ApiError;
}

export interface FakeBotApiOptions {
  token: string;
  botUsername?: string;
  botFirstName?: string;
}

export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_path: string;
  file_size: number;
  /** null when a test declared only a size (e.g. a 25 MB file without real bytes). */
  bytes: Uint8Array | null;
  file_name?: string;
  mime_type?: string;
}

/** Options for simulated media. `file_size` may exceed the bytes given (or replace them). */
export interface MediaOptions {
  caption?: string;
  file_name?: string;
  mime_type?: string;
  file_size?: number;
  duration?: number;
  width?: number;
  height?: number;
  length?: number;
  title?: string;
  performer?: string;
  emoji?: string;
}
// Where Telegram keeps each kind of file, and the extension it uses without a file name.
export const FILE_DIRS = {
  document: ["documents", "dat"],
  photo: ["photos", "jpg"],
  voice: ["voice", "oga"],
  audio: ["music", "mp3"],
  video: ["videos", "mp4"],
  video_note: ["video_notes", "mp4"],
  sticker: ["stickers", "webp"],
  animation: ["animations", "mp4"],
} as const;
export type FileKind = keyof typeof FILE_DIRS;
/** Raw bytes, a UTF-8 string, or null (size-only file). */
export type Bytes = Uint8Array | string | null;

export interface FakeStats {
  calls: number;
  /** Successful send* calls (sendChatAction excluded). */
  sent: number;
  /** send* calls rejected by setRateLimit. */
  rateLimited: number;
  faulted: number;
  blocked: number;
}

export interface WebhookDelivery {
  update_id: number;
  status: number;
  error?: string;
}

export interface NextMessageOptions {
  timeoutMs?: number;
  /**
   * "cursor" (default): the first bot message (sent or edited) in this chat after the later of the
   * simulated user's last action here and the message the previous nextBotMessage returned, so a
   * reply that arrived before the call is not missed. "now": only messages after this call.
   */
  since?: "cursor" | "now";
  /** Only newly sent messages, not edits of earlier ones. */
  newOnly?: boolean;
}

export interface UserInit {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: true;
}

export interface GroupInit {
  id: number;
  title: string;
  type?: "group" | "supergroup";
  botIsAdmin?: boolean;
  /** Telegram's privacy mode: the bot sees only commands, replies to it and mentions. */
  privacyMode?: boolean;
}

/** Internal per-chat state; exported only for typing, not for use in tests. */
export class FakeChatState {
  nextId = 1;
  messages: Message[] = [];
  events: { seq: number; kind: ChatEventKind; fromBot: boolean; message: Message }[] = [];
  /** Event seq after which nextBotMessage looks. */
  cursor = 0;
  blocked = false;
  botLeft = false;
  members = new Set<number>();
  instance = randomBytes(8).readBigUInt64BE().toString();
  replyKeyboard?: ReplyKeyboardMarkup;
  /** The latest message sent with force_reply, which a client opens a reply to. */
  forceReply?: { messageId: number; placeholder?: string };
  constructor(
    readonly chat: Chat,
    public botIsAdmin = false,
    readonly privacy = false,
  ) {}
}
export type ChatEventKind = "sent" | "edited" | "deleted";

/**
 * What an observer of the emulator (a test, the demo page) is told, as it happens: a message sent,
 * edited or deleted in a chat (by the bot or a simulated user), the bot's answer to a button press
 * (the toast or alert a client shows), and a chat's reply keyboard being set or removed.
 */
export type EmulatorEvent =
  | {
      type: "message";
      kind: ChatEventKind;
      chatId: number;
      fromBot: boolean;
      message: Message;
      seq: number;
    }
  | {
      type: "callback-answer";
      chatId: number;
      queryId: string;
      text?: string;
      showAlert: boolean;
    }
  | { type: "reply-keyboard"; chatId: number; keyboard?: ReplyKeyboardMarkup }
  /** The bot asked for an answer to this message (force_reply): the client opens a reply to it. */
  | { type: "force-reply"; chatId: number; messageId: number; placeholder?: string };

/** What simulated people need from the emulator (FakeBotApi implements it). */
export interface ActorApi {
  messages(chatId: number): Message[];
  botMessages(chatId: number): Message[];
  nextBotMessage(chatId: number, options?: NextMessageOptions): Promise<Message>;
  now(): number;
  blockBy(chatId: number): void;
  state(chatId: number): FakeChatState;
  userMessage(chatId: number, from: User, content: Record<string, unknown>): Promise<Message>;
  userEdit(chatId: number, from: User, messageId: number, text: string): Promise<Message>;
  callback(chatId: number, from: User, messageId: number, data: string): Promise<CallbackQuery>;
  mediaContent(kind: FileKind, bytes: Bytes, o: MediaOptions): Record<string, unknown>;
  describe(st: FakeChatState, n?: number): string;
}
