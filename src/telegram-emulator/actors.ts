// Simulated people: a user in a private chat with the bot, a member of a group, and what each can
// do (send, press, upload, edit), as a Telegram client would send it.
import type { CallbackQuery, Message, User } from "grammy/types";
import { commandEntities, compact, inlineButtons, matches, randomId } from "./messages.js";
import type { ActorApi, Bytes, FileKind, MediaOptions, NextMessageOptions } from "./types.js";

type Content = Record<string, unknown>;

/** Something a user does in one chat: send, press, upload, edit. */
export class ChatActor {
  constructor(
    protected readonly api: ActorApi,
    readonly chatId: number,
    readonly user: User,
  ) {}

  /** A text message; a leading /command gets a bot_command entity, as real clients add. */
  send(text: string, extra: Content = {}): Promise<Message> {
    return this.api.userMessage(this.chatId, this.user, {
      text,
      entities: commandEntities(text),
      ...extra,
    });
  }

  /** command("start") or command("/start", "payload"). */
  command(cmd: string, payload?: string): Promise<Message> {
    const c = cmd.startsWith("/") ? cmd : `/${cmd}`;
    return this.send(payload ? `${c} ${payload}` : c);
  }

  async reply(messageId: number, text: string): Promise<Message> {
    const target = this.api.state(this.chatId).messages.find((m) => m.message_id === messageId);
    if (!target) throw new Error(`No visible message ${messageId} to reply to`);
    return this.send(text, { reply_to_message: { ...target, reply_to_message: undefined } });
  }

  /** Any message content, for kinds without a helper. */
  raw(content: Content): Promise<Message> {
    return this.api.userMessage(this.chatId, this.user, content);
  }

  sendMedia(kind: FileKind, bytes: Bytes, o: MediaOptions = {}): Promise<Message> {
    return this.raw(this.api.mediaContent(kind, bytes, o));
  }
  sendDocument(bytes: Bytes, o: MediaOptions = {}) {
    return this.sendMedia("document", bytes, { file_name: "file.bin", ...o });
  }
  sendPhoto(bytes: Bytes, o: MediaOptions = {}) {
    return this.sendMedia("photo", bytes, o);
  }
  sendVoice(bytes: Bytes, o: MediaOptions = {}) {
    return this.sendMedia("voice", bytes, { mime_type: "audio/ogg", ...o });
  }
  sendAudio(bytes: Bytes, o: MediaOptions = {}) {
    return this.sendMedia("audio", bytes, { file_name: "audio.mp3", ...o });
  }
  sendVideo(bytes: Bytes, o: MediaOptions = {}) {
    return this.sendMedia("video", bytes, { file_name: "video.mp4", ...o });
  }
  sendVideoNote(bytes: Bytes, o: MediaOptions = {}) {
    return this.sendMedia("video_note", bytes, o);
  }
  sendSticker(o: MediaOptions = {}) {
    return this.sendMedia("sticker", new Uint8Array(64), o);
  }
  sendAnimation(bytes: Bytes = new Uint8Array(256), o: MediaOptions = {}) {
    return this.sendMedia("animation", bytes, { file_name: "animation.mp4", ...o });
  }

  sendLocation(latitude: number, longitude: number): Promise<Message> {
    return this.raw({ location: { latitude, longitude } });
  }

  sendContact(c: {
    phone_number: string;
    first_name: string;
    last_name?: string;
    user_id?: number;
  }) {
    return this.raw({ contact: compact(c) });
  }

  sendPoll(question: string, options: string[] = ["Yes", "No"]): Promise<Message> {
    return this.raw({
      poll: {
        id: randomId(),
        question,
        options: options.map((text) => ({ text, voter_count: 0 })),
        total_voter_count: 0,
        is_closed: false,
        is_anonymous: true,
        type: "regular",
        allows_multiple_answers: false,
      },
    });
  }

  sendDice(emoji = "🎲", value = 3): Promise<Message> {
    return this.raw({ dice: { emoji, value } });
  }

  /** An album: one update per item, sharing media_group_id, as Telegram sends it. */
  async sendMediaGroup(
    items: ({ kind: "photo" | "video" | "document" | "audio"; bytes: Bytes } & MediaOptions)[],
  ): Promise<Message[]> {
    const media_group_id = String(Date.now());
    const out: Message[] = [];
    for (const { kind, bytes, ...o } of items) {
      out.push(await this.raw({ ...this.api.mediaContent(kind, bytes, o), media_group_id }));
    }
    return out;
  }

  /** A forwarded text; a string origin is a user who hides their account. */
  forward(text: string, origin: User | FakeUser | string): Promise<Message> {
    const date = this.api.now() - 3600;
    const forward_origin =
      typeof origin === "string"
        ? { type: "hidden_user", date, sender_user_name: origin }
        : { type: "user", date, sender_user: origin instanceof FakeUser ? origin.user : origin };
    return this.raw({ text, forward_origin });
  }

  edit(messageId: number, text: string): Promise<Message> {
    return this.api.userEdit(this.chatId, this.user, messageId, text);
  }

  /**
   * Presses the inline button with this label on the newest bot message that has one. Throws
   * listing the visible buttons if there is none.
   */
  async press(label: string | RegExp): Promise<CallbackQuery> {
    const st = this.api.state(this.chatId);
    for (const m of [...st.messages].reverse()) {
      const button = inlineButtons(m).find((b) => matches(label, b.text));
      if (!button) continue;
      if (!("callback_data" in button)) throw new Error(`Button "${button.text}" has no callback`);
      return this.api.callback(this.chatId, this.user, m.message_id, button.callback_data);
    }
    const visible = st.messages
      .filter((m) => inlineButtons(m).length)
      .map((m) => `  #${m.message_id}: ${inlineButtons(m).map((b) => JSON.stringify(b.text))}`);
    throw new Error(
      `No button ${String(label)} in chat ${this.chatId}. Visible buttons:\n${
        visible.join("\n") || "  (none)"
      }\nLast messages:\n${this.api.describe(st)}`,
    );
  }

  /** Taps a button of the current reply keyboard, which sends its text. */
  async tapKey(label: string | RegExp): Promise<Message> {
    const keys = this.api.state(this.chatId).replyKeyboard?.keyboard.flat() ?? [];
    const texts = keys.map((b) => (typeof b === "string" ? b : b.text));
    const key = texts.find((t) => matches(label, t));
    if (key === undefined) {
      throw new Error(`No key ${String(label)} on the reply keyboard: ${JSON.stringify(texts)}`);
    }
    return this.send(key);
  }

  /** A callback query with explicit data on a visible message (e.g. stale buttons). */
  pressData(messageId: number, data: string): Promise<CallbackQuery> {
    return this.api.callback(this.chatId, this.user, messageId, data);
  }
}

/** A user in a private chat with the bot (chat id = user id). */
export class FakeUser extends ChatActor {
  constructor(api: ActorApi, user: User) {
    super(api, user.id, user);
  }
  get id(): number {
    return this.user.id;
  }
  chat(): Message[] {
    return this.api.messages(this.chatId);
  }
  botMessages(): Message[] {
    return this.api.botMessages(this.chatId);
  }
  lastBotMessage(): Message | undefined {
    return this.botMessages().at(-1);
  }
  nextBotMessage(options?: NextMessageOptions): Promise<Message> {
    return this.api.nextBotMessage(this.chatId, options);
  }
  /** The user blocks the bot: sends to this chat get 403. */
  blockBot(): void {
    this.api.blockBy(this.chatId);
  }
}

export class FakeGroup {
  constructor(
    private readonly api: ActorApi,
    readonly id: number,
  ) {}
  member(user: FakeUser | User): ChatActor {
    const u = user instanceof FakeUser ? user.user : user;
    this.api.state(this.id).members.add(u.id);
    return new ChatActor(this.api, this.id, u);
  }
  messages(): Message[] {
    return this.api.messages(this.id);
  }
  botMessages(): Message[] {
    return this.api.botMessages(this.id);
  }
  nextBotMessage(options?: NextMessageOptions): Promise<Message> {
    return this.api.nextBotMessage(this.id, options);
  }
  setBotAdmin(isAdmin: boolean): void {
    this.api.state(this.id).botIsAdmin = isAdmin;
  }
}
