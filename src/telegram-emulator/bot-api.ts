/**
 * A local emulation of the Telegram Bot API: the end-to-end tests and `npm run demo` both run the
 * real bot against it.
 *
 * It speaks HTTP the way grammY calls Telegram (JSON, urlencoded and multipart bodies), keeps the
 * visible history of every chat, records every call, and simulates users who send messages, press
 * buttons and upload files. Faults, blocking, rate limits and a simulated clock let tests provoke
 * the failures the bot has to survive; `watch` tells an observer about every change of a chat. No
 * test framework is imported here on purpose.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type {
  CallbackQuery,
  Chat,
  InlineKeyboardMarkup,
  Message,
  ReplyKeyboardMarkup,
  Update,
  User,
  UserFromGetMe,
} from "grammy/types";
import { FakeGroup, FakeUser } from "./actors.js";
import { renderText } from "./formatting.js";
import {
  commandEntities,
  compact,
  extOf,
  guessMime,
  messageFileId,
  randomId,
  summary,
  toBytes,
  words,
} from "./messages.js";
import {
  type ActorApi,
  type ApiCall,
  type ApiResponse,
  type Bytes,
  type ChatEventKind,
  type EmulatorEvent,
  type FakeBotApiOptions,
  FakeChatState,
  type FakeStats,
  type FaultSpec,
  FILE_DIRS,
  type FileKind,
  type GroupInit,
  type MediaOptions,
  type NextMessageOptions,
  type StoredFile,
  type UserInit,
  type WebhookDelivery,
} from "./types.js";
import { bad, forbidden, type Params, readParams, TgError, Upload } from "./wire.js";

type UpdateBody = Omit<Update, "update_id">;

/** Where webhook updates go, and the requests open to it. */
interface WebhookTarget {
  url: string;
  secret?: string;
  /** One connection: each request after the previous one. */
  chain: Promise<void>;
  maxConnections: number;
  /** Requests open now (several connections). */
  open: number;
  /** Updates waiting for a free connection, oldest first. */
  waiting: (() => void)[];
  /** First wait before an update the bot did not accept is posted again; it doubles (-1: never). */
  redeliverMs: number;
}
type Content = Record<string, unknown>;

const MB = 1024 * 1024;
const DOWNLOAD_LIMIT = 20 * MB;
const UPLOAD_LIMIT = 50 * MB;
const DELETE_WINDOW_S = 48 * 3600;
const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

const SEND_METHODS = new Set(
  words("sendMessage sendDocument sendPhoto sendVoice sendAudio sendVideo"),
);
// Methods refused in a chat that blocked the bot (or that the bot left).
const WRITE_METHODS = new Set([
  ...SEND_METHODS,
  ...words("sendChatAction editMessageText editMessageReplyMarkup"),
]);

// ---------------------------------------------------------------------------------------------
// The fake server

export async function startFakeBotApi(options: FakeBotApiOptions): Promise<FakeBotApi> {
  const api = new FakeBotApi(options);
  await api.listen();
  return api;
}

export class FakeBotApi implements ActorApi {
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  private readonly botUser: User;
  apiRoot = "";

  private readonly server = createServer((req, res) => void this.onRequest(req, res));
  private readonly chats = new Map<number, FakeChatState>();
  private readonly users = new Map<number, FakeUser>();
  private readonly files = new Map<string, StoredFile>();
  private readonly filesByPath = new Map<string, StoredFile>();
  private readonly queries = new Map<string, Params | null>();
  private readonly commandSets = new Map<string, unknown[]>();
  private readonly log: ApiCall[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly watchers = new Set<(event: EmulatorEvent) => void>();
  /** The chat of each button press, to tell observers where the answer shows. */
  private readonly queryChats = new Map<string, number>();
  private faults: { spec: FaultSpec; left: number }[] = [];
  private queue: Update[] = [];
  private nextUpdateId = 1;
  private seq = 0;
  private fileCounter = 0;
  private clockOffset = 0;
  private closed = false;
  private terminatePoll?: () => void;
  private webhook?: Params;
  private delivery?: WebhookTarget;
  private readonly deliveryLog: WebhookDelivery[] = [];
  private rate?: { perSecond?: number; perChatPerSecond?: number };
  private readonly sendTimes: { t: number; chat: number }[] = [];
  private readonly counters: FakeStats = {
    calls: 0,
    sent: 0,
    rateLimited: 0,
    faulted: 0,
    blocked: 0,
  };
  private readonly methods: Record<string, (p: Params, signal?: AbortSignal) => unknown>;

  constructor(options: FakeBotApiOptions) {
    this.token = options.token;
    const id = Number(options.token.split(":")[0]);
    this.botInfo = {
      id: Number.isSafeInteger(id) ? id : 1,
      is_bot: true,
      first_name: options.botFirstName ?? "Testimony Bot",
      username: options.botUsername ?? "testimony_bot",
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    } as UserFromGetMe;
    const { id: botId, first_name, username } = this.botInfo;
    this.botUser = { id: botId, is_bot: true, first_name, username };
    this.methods = this.buildMethods();
  }

  /** @internal */
  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.apiRoot = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.changed(); // releases pending long polls and waiters
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- simulated world ---------------------------------------------------------------------

  /** A user with a private chat with the bot (chat id = user id). Same id → same object. */
  user(init: UserInit): FakeUser {
    const existing = this.users.get(init.id);
    if (existing) return existing;
    const user: User = compact({ ...init, is_bot: false });
    const chat = compact({
      id: init.id,
      type: "private" as const,
      first_name: init.first_name,
      last_name: init.last_name,
      username: init.username,
    });
    this.chats.set(init.id, new FakeChatState(chat));
    const fake = new FakeUser(this, user);
    this.users.set(init.id, fake);
    return fake;
  }

  group(init: GroupInit): FakeGroup {
    if (!this.chats.has(init.id)) {
      const type = init.type ?? (init.id <= -1e12 ? "supergroup" : "group");
      const chat = { id: init.id, type, title: init.title } as Chat;
      this.chats.set(init.id, new FakeChatState(chat, init.botIsAdmin, init.privacyMode ?? true));
    }
    return new FakeGroup(this, init.id);
  }

  /** Visible history of a chat, oldest first, both sides. */
  messages(chatId: number): Message[] {
    return [...this.state(chatId).messages];
  }

  botMessages(chatId: number): Message[] {
    return this.messages(chatId).filter((m) => m.from?.id === this.botInfo.id);
  }

  async nextBotMessage(chatId: number, options: NextMessageOptions = {}): Promise<Message> {
    const { timeoutMs = 5000, since = "cursor", newOnly = false } = options;
    const st = this.state(chatId);
    const from = since === "now" ? this.seq : st.cursor;
    const wanted = (kind: ChatEventKind) => kind !== "deleted" && (!newOnly || kind === "sent");
    const event = await this.until(
      () => st.events.find((e) => e.seq > from && e.fromBot && wanted(e.kind)),
      timeoutMs,
    );
    if (!event) {
      throw new Error(
        `No bot message in chat ${chatId} within ${timeoutMs} ms. Last messages:\n${this.describe(st)}`,
      );
    }
    st.cursor = event.seq;
    return event.message;
  }

  /** Resolves with the predicate's first truthy value (checked on state changes and every 20 ms). */
  async waitFor<T>(
    predicate: () => T | undefined | null | false,
    timeoutMs = 5000,
    label = "condition",
  ): Promise<T> {
    const value = await this.until(predicate, timeoutMs, undefined, 20);
    if (!value) throw new Error(`waitFor(${label}) timed out after ${timeoutMs} ms`);
    return value;
  }

  /**
   * Tells `watcher` about every change as it happens: messages sent, edited and deleted (by the bot
   * or a simulated user), answers to button presses, reply keyboards. Returns the unsubscribe.
   */
  watch(watcher: (event: EmulatorEvent) => void): () => void {
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  /** The reply keyboard a chat's client shows now (the last one the bot set), if any. */
  replyKeyboard(chatId: number): ReplyKeyboardMarkup | undefined {
    return this.state(chatId).replyKeyboard;
  }

  /** The bot's pending force_reply in a chat, while its message is still there. */
  forceReply(chatId: number): { messageId: number; placeholder?: string } | undefined {
    const st = this.state(chatId);
    const pending = st.forceReply;
    return pending && st.messages.some((m) => m.message_id === pending.messageId)
      ? pending
      : undefined;
  }

  /**
   * Changes what a simulated user's client reports from now on (e.g. language_code after the
   * person switched their app's language).
   */
  updateUser(id: number, changes: Partial<Omit<UserInit, "id">>): FakeUser {
    const fake = this.users.get(id);
    if (!fake) throw new Error(`Unknown user ${id}: create it with api.user()`);
    Object.assign(fake.user, compact(changes));
    return fake;
  }

  /** Queue (or deliver) an arbitrary update, e.g. a channel_post or my_chat_member. */
  async injectUpdate(update: UpdateBody): Promise<Update> {
    const full = { update_id: this.nextUpdateId++, ...update } as Update;
    if (this.delivery) await this.deliver(full);
    else {
      this.queue.push(full);
      this.changed();
    }
    return full;
  }

  /** Updates not yet confirmed by getUpdates' offset. */
  pendingUpdates(): Update[] {
    return [...this.queue];
  }

  /** Whether a getUpdates long poll is waiting now (the bot is listening for the next update). */
  longPolling(): boolean {
    return this.terminatePoll !== undefined;
  }

  // --- inspection ----------------------------------------------------------------------------

  calls(method?: string): ApiCall[] {
    return method ? this.log.filter((c) => c.method === method) : [...this.log];
  }

  stats(): FakeStats {
    return { ...this.counters };
  }

  /** Params of answerCallbackQuery for that query, or undefined while unanswered. */
  callbackAnswer(queryId: string): Params | undefined {
    return this.queries.get(queryId) ?? undefined;
  }

  /** Commands set with setMyCommands for a scope type (default "default") and language. */
  commands(scopeType = "default", languageCode = ""): unknown[] {
    return this.commandSets.get(`${scopeType}|${languageCode}`) ?? [];
  }

  webhookInfo(): Params | undefined {
    return this.webhook;
  }

  deliveries(): WebhookDelivery[] {
    return [...this.deliveryLog];
  }

  file(fileId: string): StoredFile | undefined {
    return this.files.get(fileId);
  }

  /** Bytes of a stored file (by file_id or by a message carrying one). */
  fileBytes(ref: string | Message): Uint8Array {
    const id = typeof ref === "string" ? ref : messageFileId(ref);
    const file = id === undefined ? undefined : this.files.get(id);
    if (!file) throw new Error(`No stored file for ${JSON.stringify(id)}`);
    return file.bytes ?? new Uint8Array(file.file_size);
  }

  // --- control -------------------------------------------------------------------------------

  now(): number {
    return Math.floor(Date.now() / 1000) + this.clockOffset;
  }

  advanceTime(seconds: number): void {
    this.clockOffset += seconds;
    this.changed();
  }

  injectFault(spec: FaultSpec): { remove(): void } {
    const entry = { spec, left: spec.times ?? 1 };
    this.faults.push(entry);
    const remove = () => {
      this.faults = this.faults.filter((f) => f !== entry);
    };
    return { remove };
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Telegram-like limits over a sliding second; null removes them. */
  setRateLimit(limit: { perSecond?: number; perChatPerSecond?: number } | null): void {
    this.rate = limit ?? undefined;
  }

  /** Every send/edit to that chat fails with 403 until unblockBy. */
  blockBy(chatId: number): void {
    this.state(chatId).blocked = true;
  }

  unblockBy(chatId: number): void {
    this.state(chatId).blocked = false;
  }

  /**
   * Webhook mode: POST every update (queued ones first) to url, by default the one the bot set
   * with setWebhook; getUpdates then gets 409.
   *
   * One request at a time by default: each update is posted once the previous one was answered,
   * and sending it resolves when the bot has answered. With `maxConnections` above 1 (as
   * Telegram does with setWebhook's max_connections) up to that many requests are open at once,
   * updates of one chat included, started in update order; sending then resolves as soon as the
   * update is queued for delivery (see deliveriesSettled()).
   *
   * An update answered with an error status (or not answered) is posted again, after
   * `redeliverMs` and then longer pauses, as Telegram does; `redeliver: false` posts it once.
   */
  async deliverTo(
    url = String(this.webhook?.url ?? ""),
    secretToken = this.webhook?.secret_token as string | undefined,
    options: { maxConnections?: number; redeliver?: boolean; redeliverMs?: number } = {},
  ): Promise<void> {
    if (!url) throw new Error("deliverTo: no URL given and no webhook set by the bot");
    const maxConnections = options.maxConnections ?? 1;
    if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
      throw new Error("deliverTo: maxConnections must be a positive integer");
    }
    this.webhook = { ...this.webhook, url, secret_token: secretToken };
    this.delivery = {
      url,
      secret: secretToken,
      chain: Promise.resolve(),
      maxConnections,
      open: 0,
      waiting: [],
      redeliverMs: options.redeliver === false ? -1 : (options.redeliverMs ?? 500),
    };
    const queued = this.queue;
    this.queue = [];
    for (const u of queued) await this.deliver(u);
  }

  /** Resolves when no webhook request is open or waiting for a connection. */
  async deliveriesSettled(timeoutMs = 30_000): Promise<void> {
    const target = this.delivery;
    if (!target) return;
    const settled = await this.until(
      () => target.open === 0 && target.waiting.length === 0,
      timeoutMs,
      undefined,
      20,
    );
    if (!settled) {
      throw new Error(`webhook requests still open after ${timeoutMs} ms (${target.open} open)`);
    }
  }

  /** Back to getUpdates mode. */
  stopDelivery(): void {
    this.delivery = undefined;
    this.webhook = undefined;
  }

  // --- used by FakeUser / FakeGroup / ChatActor ---------------------------------------------

  /** @internal */
  state(chatId: number): FakeChatState {
    const st = this.chats.get(chatId);
    if (!st) throw new Error(`Unknown chat ${chatId}: create it with api.user() or api.group()`);
    return st;
  }

  /** @internal A message from a simulated user; delivered if the bot would see it. */
  async userMessage(chatId: number, from: User, content: Content): Promise<Message> {
    const st = this.state(chatId);
    const msg = compact({
      message_id: st.nextId++,
      from,
      chat: st.chat,
      date: this.now(),
      ...content,
    }) as Message;
    st.members.add(from.id);
    st.cursor = this.seq;
    st.messages.push(msg);
    this.event(st, "sent", false, msg);
    if (this.botSees(st, msg)) await this.injectUpdate({ message: msg } as UpdateBody);
    return msg;
  }

  /** @internal */
  async userEdit(chatId: number, from: User, messageId: number, text: string): Promise<Message> {
    const st = this.state(chatId);
    const old = st.messages.find((m) => m.message_id === messageId && m.from?.id === from.id);
    if (!old) throw new Error(`User ${from.id} has no message ${messageId} in chat ${chatId}`);
    const msg = compact({ ...old, text, entities: commandEntities(text), edit_date: this.now() });
    this.replace(st, msg);
    st.cursor = this.seq;
    this.event(st, "edited", false, msg);
    if (this.botSees(st, msg)) await this.injectUpdate({ edited_message: msg } as UpdateBody);
    return msg;
  }

  /** @internal */
  async callback(chatId: number, from: User, messageId: number, data: string) {
    const st = this.state(chatId);
    const message = st.messages.find((m) => m.message_id === messageId);
    if (!message) throw new Error(`No visible message ${messageId} in chat ${chatId}`);
    const query: CallbackQuery = {
      id: `${Date.now()}${randomBytes(4).readUInt32BE()}`,
      from,
      message,
      chat_instance: st.instance,
      data,
    };
    this.queries.set(query.id, null);
    this.queryChats.set(query.id, chatId);
    st.cursor = this.seq;
    await this.injectUpdate({ callback_query: query });
    return query;
  }

  /** @internal Message content for a simulated upload (the file becomes downloadable). */
  mediaContent(kind: FileKind, bytes: Bytes, o: MediaOptions): Content {
    const data = toBytes(bytes);
    const file = this.storeFile(kind, data, {
      file_name: o.file_name,
      mime_type: o.mime_type ?? (o.file_name ? guessMime(o.file_name) : undefined),
      file_size: o.file_size,
    });
    return { ...this.mediaFields(kind, file, o), caption: o.caption };
  }

  /** @internal */
  describe(st: FakeChatState, n = 8): string {
    const lines = st.messages.slice(-n).map((m) => {
      const who = m.from?.id === this.botInfo.id ? "bot" : (m.from?.first_name ?? "?");
      return `  #${m.message_id} ${who}: ${summary(m)}`;
    });
    return lines.join("\n") || "  (no visible messages)";
  }

  // --- state helpers -------------------------------------------------------------------------

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private event(st: FakeChatState, kind: ChatEventKind, fromBot: boolean, m: Message) {
    const seq = ++this.seq;
    st.events.push({ seq, kind, fromBot, message: m });
    this.emit({ type: "message", kind, chatId: st.chat.id, fromBot, message: m, seq });
    this.changed();
  }

  private emit(event: EmulatorEvent): void {
    for (const watcher of [...this.watchers]) {
      try {
        watcher(event);
      } catch {
        // An observer's mistake must not fail the bot's API call.
      }
    }
  }

  private replace(st: FakeChatState, msg: Message): void {
    st.messages = st.messages.map((m) => (m.message_id === msg.message_id ? msg : m));
  }

  /**
   * Resolves with fn's first truthy value, or undefined on timeout/abort/close. fn is re-checked on
   * every state change, and every pollMs if given (for predicates over the test's own state).
   */
  private until<T>(
    fn: () => T | undefined | null | false,
    ms: number,
    signal?: AbortSignal,
    pollMs?: number,
  ): Promise<T | undefined> {
    const safe = () => {
      try {
        return fn() || undefined;
      } catch {
        return undefined;
      }
    };
    const first = safe();
    if (first !== undefined || this.closed) return Promise.resolve(first);
    return new Promise((resolve) => {
      const done = (v: T | undefined) => {
        clearTimeout(timer);
        clearInterval(poll);
        this.listeners.delete(check);
        signal?.removeEventListener("abort", abort);
        resolve(v);
      };
      const check = () => {
        const v = safe();
        if (v !== undefined || this.closed) done(v);
      };
      const abort = () => done(undefined);
      const timer = setTimeout(abort, ms);
      const poll = pollMs ? setInterval(check, pollMs) : undefined;
      this.listeners.add(check);
      signal?.addEventListener("abort", abort);
    });
  }

  /** Telegram's privacy mode: in groups the bot sees commands, replies to it and mentions. */
  private botSees(st: FakeChatState, m: Message): boolean {
    if (st.chat.type === "private") return true;
    if (st.botLeft) return false;
    if (!st.privacy || st.botIsAdmin) return true;
    const text = m.text ?? m.caption ?? "";
    const cmd = /^\/\w+(?:@(\w+))?/.exec(text);
    const me = this.botInfo.username;
    return (
      (cmd !== null && (cmd[1] === undefined || cmd[1] === me)) ||
      m.reply_to_message?.from?.id === this.botInfo.id ||
      text.includes(`@${me}`)
    );
  }

  private storeFile(
    kind: FileKind,
    bytes: Uint8Array | null,
    o: { file_name?: string; mime_type?: string; file_size?: number },
  ): StoredFile {
    const [dir, defaultExt] = FILE_DIRS[kind];
    const file: StoredFile = compact({
      file_id: `${kind.slice(0, 2).toUpperCase()}AC${randomId(40)}`,
      file_unique_id: `AQAD${randomId(12)}`,
      file_path: `${dir}/file_${++this.fileCounter}.${extOf(o.file_name) ?? defaultExt}`,
      file_size: o.file_size ?? bytes?.length ?? 0,
      bytes,
      file_name: o.file_name,
      mime_type: o.mime_type,
    });
    this.files.set(file.file_id, file);
    this.filesByPath.set(file.file_path, file);
    return file;
  }

  private mediaFields(kind: FileKind, f: StoredFile, o: MediaOptions): Content {
    const base = { file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size };
    const named = compact({ ...base, file_name: f.file_name, mime_type: f.mime_type });
    const dims = { width: o.width ?? 640, height: o.height ?? 480, duration: o.duration ?? 1 };
    switch (kind) {
      case "document":
        return { document: named };
      case "photo":
        return { photo: [{ ...base, width: o.width ?? 1280, height: o.height ?? 960 }] };
      case "voice":
        return {
          voice: { ...base, duration: o.duration ?? 1, mime_type: f.mime_type ?? "audio/ogg" },
        };
      case "audio":
        return {
          audio: compact({
            ...named,
            duration: o.duration ?? 1,
            title: o.title,
            performer: o.performer,
          }),
        };
      case "video":
        return { video: { ...named, ...dims } };
      case "video_note":
        return { video_note: { ...base, length: o.length ?? 240, duration: o.duration ?? 1 } };
      case "sticker":
        return {
          sticker: compact({
            ...base,
            type: "regular",
            width: 512,
            height: 512,
            is_animated: false,
            is_video: false,
            emoji: o.emoji ?? "🙂",
          }),
        };
      case "animation":
        return { animation: { ...named, ...dims }, document: named };
    }
  }

  // --- HTTP ----------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const notFound = { ok: false, error_code: 404, description: "Not Found" };
    const unauthorized = { ok: false, error_code: 401, description: "Unauthorized" };
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const path = decodeURIComponent(url.pathname);
      const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(path);
      if (file) {
        if (file[1] !== this.token) return reply(401, unauthorized);
        const stored = this.filesByPath.get(file[2] as string);
        if (!stored) return reply(404, notFound);
        const bytes = stored.bytes ?? new Uint8Array(stored.file_size);
        res.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes);
        return;
      }
      const call = /^\/bot([^/]+)\/([^/]+)$/.exec(path);
      if (!call) return reply(404, notFound);
      if (call[1] !== this.token) return reply(401, unauthorized);
      const aborted = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) aborted.abort();
      });
      const params = await readParams(req, url.searchParams);
      const response = await this.call(call[2] as string, params, aborted.signal);
      reply(response.ok ? 200 : response.error_code, response);
    } catch (e) {
      const error = e instanceof TgError ? e.error : { error_code: 500, description: String(e) };
      reply(error.error_code, { ok: false, ...error });
    }
  }

  /** Runs one Bot API method as Telegram would, recording it. Also usable without HTTP. */
  async call(method: string, params: Params, signal?: AbortSignal): Promise<ApiResponse> {
    const at = this.now();
    let entry: ApiCall;
    try {
      const handler = this.methods[method];
      if (!handler) {
        throw new TgError({ error_code: 404, description: "Not Found: method not found" });
      }
      this.preflight(method, params);
      entry = { method, params, at, ok: true, result: await handler(params, signal) };
      if (SEND_METHODS.has(method)) this.counters.sent++;
    } catch (e) {
      if (!(e instanceof TgError)) throw e;
      entry = { method, params, at, ok: false, error: e.error };
    }
    this.counters.calls++;
    this.log.push(entry);
    this.changed();
    return entry.error ? { ok: false, ...entry.error } : { ok: true, result: entry.result };
  }

  /** Injected faults, blocked chats and rate limits, before the method runs. */
  private preflight(method: string, p: Params): void {
    const chatId = Number(p.chat_id);
    const fault = this.faults.find(
      ({ spec, left }) =>
        left > 0 &&
        (spec.method === undefined || spec.method === method) &&
        (spec.chatId === undefined || spec.chatId === chatId) &&
        (spec.chance === undefined || Math.random() < spec.chance),
    );
    if (fault) {
      fault.left--;
      this.counters.faulted++;
      throw new TgError(structuredClone(fault.spec.error));
    }
    const st = this.chats.get(chatId);
    if (st && WRITE_METHODS.has(method)) {
      if (st.blocked || st.botLeft) {
        this.counters.blocked++;
        if (st.chat.type === "private") throw forbidden("bot was blocked by the user");
        throw forbidden(
          st.botLeft
            ? "bot is not a member of the group chat"
            : "bot was kicked from the group chat",
        );
      }
    }
    if (this.rate && SEND_METHODS.has(method)) {
      const now = Date.now();
      while (this.sendTimes[0] && this.sendTimes[0].t <= now - 1000) this.sendTimes.shift();
      const inChat = this.sendTimes.filter((s) => s.chat === chatId);
      const over = (list: { t: number }[], limit?: number) =>
        limit !== undefined && list.length >= limit ? (list[list.length - limit]?.t ?? now) : 0;
      const oldest = Math.max(
        over(this.sendTimes, this.rate.perSecond),
        over(inChat, this.rate.perChatPerSecond),
      );
      if (oldest) {
        this.counters.rateLimited++;
        const retry = Math.max(1, Math.ceil((oldest + 1000 - now) / 1000));
        throw new TgError({
          error_code: 429,
          description: `Too Many Requests: retry after ${retry}`,
          parameters: { retry_after: retry },
        });
      }
      this.sendTimes.push({ t: now, chat: chatId });
    }
  }

  private async deliver(update: Update): Promise<void> {
    const target = this.delivery;
    if (!target) return;
    const post = async (): Promise<boolean> => {
      const entry: WebhookDelivery = { update_id: update.update_id, status: 0 };
      try {
        const res = await fetch(target.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(target.secret ? { "x-telegram-bot-api-secret-token": target.secret } : {}),
          },
          body: JSON.stringify(update),
        });
        entry.status = res.status;
        const text = await res.text();
        // A webhook reply may carry one API call in the response body.
        const body = text && res.ok ? (JSON.parse(text) as Params) : {};
        if (res.ok && typeof body.method === "string") {
          const { method, ...params } = body;
          await this.call(method, params);
        }
      } catch (e) {
        entry.error = String(e);
      }
      this.deliveryLog.push(entry);
      this.changed();
      return entry.status >= 200 && entry.status < 300;
    };
    // As Telegram does: an update the bot did not accept (an error status, no answer) is posted
    // again later, with growing pauses, until it is accepted or delivery stops.
    const run = async () => {
      let wait = target.redeliverMs;
      while (!(await post()) && this.delivery === target && target.redeliverMs >= 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, 10_000);
      }
    };
    if (target.maxConnections === 1) {
      target.chain = target.chain.then(run);
      await target.chain;
      return;
    }
    // Several connections: the request starts when one is free (in update order); the sender
    // does not wait for it, as a user does not wait for Telegram to reach the bot.
    const start = () => {
      void run().finally(() => {
        const next = target.waiting.shift();
        if (next)
          next(); // the connection passes on: `open` stays
        else target.open--;
        this.changed();
      });
    };
    if (target.open < target.maxConnections && target.waiting.length === 0) {
      target.open++;
      start();
    } else {
      target.waiting.push(start);
    }
  }

  // --- Bot API methods -----------------------------------------------------------------------

  private chatOf(p: Params): FakeChatState {
    const st = this.chats.get(Number(p.chat_id));
    if (!st) throw bad(p.chat_id === undefined ? "chat_id is empty" : "chat not found");
    return st;
  }

  private messageOf(st: FakeChatState, id: unknown, what: string): Message {
    const m = st.messages.find((x) => x.message_id === Number(id));
    if (!m) throw bad(`message to ${what} not found`);
    return m;
  }

  /** A message text as Telegram stores it: parsed entities, or the entities given. */
  private text(p: Params): Content {
    const { text, entities } = renderText(p.text, p.parse_mode);
    if (text.trim() === "") throw bad("message text is empty");
    if (text.length > 4096) throw bad("message is too long");
    return { text, entities: p.parse_mode ? entities : p.entities };
  }

  private caption(p: Params): Content {
    if (p.caption === undefined) return {};
    const { text, entities } = renderText(p.caption, p.parse_mode);
    if (text.length > 1024) throw bad("message caption is too long");
    return { caption: text, caption_entities: p.parse_mode ? entities : p.caption_entities };
  }

  /** Inline keyboards stay on the message; reply keyboards become the chat's current keyboard. */
  private markup(st: FakeChatState, markup: unknown): InlineKeyboardMarkup | undefined {
    if (!markup || typeof markup !== "object") return undefined;
    if ("keyboard" in markup || "remove_keyboard" in markup) {
      st.replyKeyboard = "keyboard" in markup ? (markup as ReplyKeyboardMarkup) : undefined;
      this.emit({ type: "reply-keyboard", chatId: st.chat.id, keyboard: st.replyKeyboard });
    }
    if (!("inline_keyboard" in markup)) return undefined;
    const inline = markup as InlineKeyboardMarkup;
    for (const b of inline.inline_keyboard.flat()) {
      if (!b.text) throw bad("text buttons are unallowed in the inline keyboard");
      if ("callback_data" in b && Buffer.byteLength(b.callback_data) > 64) {
        throw bad("BUTTON_DATA_INVALID");
      }
    }
    return inline.inline_keyboard.flat().length ? inline : undefined;
  }

  private botSend(p: Params, content: Content): Message {
    const st = this.chatOf(p);
    const replyId =
      (p.reply_parameters as { message_id?: number } | undefined)?.message_id ??
      p.reply_to_message_id;
    const replyTo = st.messages.find((m) => m.message_id === Number(replyId));
    const msg = compact({
      message_id: st.nextId++,
      from: this.botUser,
      chat: st.chat,
      date: this.now(),
      ...content,
      reply_to_message: replyTo ? { ...replyTo, reply_to_message: undefined } : undefined,
      reply_markup: this.markup(st, p.reply_markup),
    }) as Message;
    st.messages.push(msg);
    this.event(st, "sent", true, msg);
    const markup = p.reply_markup as { force_reply?: boolean; input_field_placeholder?: string };
    if (markup?.force_reply) {
      st.forceReply = { messageId: msg.message_id, placeholder: markup.input_field_placeholder };
      this.emit({ type: "force-reply", chatId: st.chat.id, ...st.forceReply });
    }
    return msg;
  }

  private botFile(kind: FileKind, p: Params): Message {
    const input = p[kind];
    let file: StoredFile | undefined;
    if (input instanceof Upload) {
      if (input.bytes.length > UPLOAD_LIMIT) {
        throw new TgError({ error_code: 413, description: "Request Entity Too Large" });
      }
      file = this.storeFile(kind, input.bytes, {
        file_name:
          kind === "document" || kind === "audio" || kind === "video" ? input.filename : undefined,
        mime_type: kind === "photo" ? undefined : guessMime(input.filename),
      });
    } else if (typeof input === "string") {
      file = this.files.get(input);
      if (!file && /^https?:\/\//.test(input)) {
        file = this.storeFile(kind, new Uint8Array(), { file_name: input.split("/").pop() });
      }
      if (!file) throw bad("wrong file identifier/HTTP URL specified");
    } else throw bad(`there is no ${kind} in the request`);
    return this.botSend(p, {
      ...this.mediaFields(kind, file, p as MediaOptions),
      ...this.caption(p),
    });
  }

  private editable(p: Params): { st: FakeChatState; old: Message } {
    if (p.inline_message_id !== undefined) throw bad("inline messages are not simulated");
    const st = this.chatOf(p);
    const old = this.messageOf(st, p.message_id, "edit");
    if (old.from?.id !== this.botInfo.id) throw bad("message can't be edited");
    return { st, old };
  }

  private commit(st: FakeChatState, old: Message, changes: Content): Message {
    const msg = compact({ ...old, ...changes, edit_date: this.now() }) as Message;
    if (
      msg.text === old.text &&
      JSON.stringify(msg.reply_markup) === JSON.stringify(old.reply_markup)
    ) {
      throw bad(NOT_MODIFIED);
    }
    this.replace(st, msg);
    this.event(st, "edited", true, msg);
    return msg;
  }

  /** Why a message can't be deleted, or the message. */
  private deletable(st: FakeChatState, id: unknown): Message | "missing" | "forbidden" {
    const m = st.messages.find((x) => x.message_id === Number(id));
    if (!m) return "missing";
    if (this.now() - m.date > DELETE_WINDOW_S) return "forbidden";
    const fromBot = m.from?.id === this.botInfo.id;
    if (st.chat.type !== "private" && !fromBot && !st.botIsAdmin) return "forbidden";
    return m;
  }

  private remove(st: FakeChatState, m: Message): void {
    st.messages = st.messages.filter((x) => x !== m);
    this.event(st, "deleted", m.from?.id === this.botInfo.id, m);
  }

  private getUpdates = async (p: Params, signal?: AbortSignal): Promise<Update[]> => {
    if (this.webhook) {
      throw new TgError({
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      });
    }
    const offset = Number(p.offset ?? 0);
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    if (offset < 0) this.queue = this.queue.slice(offset);
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100)));
    // Like Telegram, a newer getUpdates request terminates an older pending one.
    this.terminatePoll?.();
    let terminated = false;
    const terminate = () => {
      terminated = true;
      this.changed();
    };
    this.terminatePoll = terminate;
    const timeout = Number(p.timeout ?? 0);
    if (timeout > 0) {
      await this.until(() => terminated || this.queue.length > 0, timeout * 1000, signal);
    }
    if (this.terminatePoll === terminate) this.terminatePoll = undefined;
    if (terminated) {
      throw new TgError({
        error_code: 409,
        description:
          "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
      });
    }
    return this.queue.slice(0, limit);
  };

  private buildMethods(): Record<string, (p: Params, signal?: AbortSignal) => unknown> {
    const commandKey = (p: Params) =>
      `${(p.scope as { type?: string } | undefined)?.type ?? "default"}|${p.language_code ?? ""}`;
    return {
      getMe: () => this.botInfo,
      getUpdates: this.getUpdates,
      setWebhook: (p) => {
        // Telegram demands HTTPS; plain http is allowed here so local webhooks can be tested.
        if (!/^https?:\/\//.test(String(p.url ?? ""))) throw bad("bad webhook: invalid URL");
        this.webhook = p;
        return true;
      },
      deleteWebhook: (p) => {
        this.stopDelivery();
        if (p.drop_pending_updates) this.queue = [];
        return true;
      },
      getWebhookInfo: () => ({
        url: String(this.webhook?.url ?? ""),
        has_custom_certificate: false,
        pending_update_count: this.queue.length,
      }),
      setMyCommands: (p) => {
        const list = (p.commands ?? []) as { command?: string; description?: string }[];
        for (const c of list) {
          if (!/^[a-z0-9_]{1,32}$/.test(c.command ?? "")) throw bad("BOT_COMMAND_INVALID");
          if (!c.description || c.description.length > 256) {
            throw bad("command description is empty");
          }
        }
        this.commandSets.set(commandKey(p), list);
        return true;
      },
      getMyCommands: (p) => this.commandSets.get(commandKey(p)) ?? [],
      deleteMyCommands: (p) => this.commandSets.delete(commandKey(p)) || true,
      sendMessage: (p) => this.botSend(p, this.text(p)),
      sendDocument: (p) => this.botFile("document", p),
      sendPhoto: (p) => this.botFile("photo", p),
      sendVoice: (p) => this.botFile("voice", p),
      sendAudio: (p) => this.botFile("audio", p),
      sendVideo: (p) => this.botFile("video", p),
      editMessageText: (p) => {
        const { st, old } = this.editable(p);
        if (old.text === undefined) throw bad("there is no text in the message to edit");
        return this.commit(st, old, {
          ...this.text(p),
          reply_markup: this.markup(st, p.reply_markup),
        });
      },
      editMessageReplyMarkup: (p) => {
        const { st, old } = this.editable(p);
        return this.commit(st, old, { reply_markup: this.markup(st, p.reply_markup) });
      },
      deleteMessage: (p) => {
        const st = this.chatOf(p);
        const m = this.deletable(st, p.message_id);
        if (m === "missing") throw bad("message to delete not found");
        if (m === "forbidden") throw bad("message can't be deleted");
        this.remove(st, m);
        return true;
      },
      deleteMessages: (p) => {
        const st = this.chatOf(p);
        const ids = p.message_ids;
        if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) {
          throw bad("message identifiers are not specified");
        }
        for (const id of ids) {
          const m = this.deletable(st, id);
          if (typeof m === "object") this.remove(st, m);
        }
        return true;
      },
      answerCallbackQuery: (p) => {
        const id = String(p.callback_query_id);
        if (this.queries.get(id) !== null) {
          throw bad("query is too old and response timeout expired or query ID is invalid");
        }
        this.queries.set(id, p);
        this.emit({
          type: "callback-answer",
          chatId: this.queryChats.get(id) ?? 0,
          queryId: id,
          text: typeof p.text === "string" ? p.text : undefined,
          showAlert: p.show_alert === true,
        });
        return true;
      },
      getFile: (p) => {
        const f = this.files.get(String(p.file_id));
        if (!f) throw bad("invalid file_id");
        if (f.file_size > DOWNLOAD_LIMIT) throw bad("file is too big");
        const { file_id, file_unique_id, file_size, file_path } = f;
        return { file_id, file_unique_id, file_size, file_path };
      },
      sendChatAction: (p) => {
        this.chatOf(p);
        return true;
      },
      getChat: (p) => ({ ...this.chatOf(p).chat, accent_color_id: 0, max_reaction_count: 11 }),
      getChatMember: (p) => {
        const st = this.chatOf(p);
        const userId = Number(p.user_id);
        if (userId === this.botInfo.id) {
          const user = this.botUser;
          if (st.botLeft) return { status: "left", user };
          if (!st.botIsAdmin) return { status: "member", user };
          return {
            status: "administrator",
            user,
            can_be_edited: false,
            is_anonymous: false,
            can_manage_chat: true,
            can_delete_messages: true,
            can_restrict_members: true,
            can_invite_users: true,
          };
        }
        const user = this.users.get(userId)?.user;
        if (!user) throw bad("user not found");
        const member = st.chat.type === "private" ? st.chat.id === userId : st.members.has(userId);
        return { status: member ? "member" : "left", user };
      },
      leaveChat: (p) => {
        const st = this.chatOf(p);
        if (st.chat.type === "private") {
          throw bad("chat member status can't be changed in private chats");
        }
        st.botLeft = true;
        return true;
      },
    };
  }
}
