// The demo's web page and its small API: node:http on 127.0.0.1 only, every path behind a random
// token, a strict Content-Security-Policy, no asset from the network. The page plays three people
// (a source, an editor in the editors' group, an admin) through the Telegram emulator, and gets
// every change of their chats as Server-Sent Events from the emulator's watch().
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import type { RunningService } from "../service.js";
import { formatFingerprint } from "../services/crypto/editor-keys.js";
import { isLocale, type Locale } from "../services/locale.js";
import { messagesWithPrefix, translate } from "../services/texts.js";
import type { EmulatorEvent, FakeBotApi, FileKind } from "../telegram-emulator/index.js";
import { oggOpusSilence } from "../telegram-emulator/media.js";
import {
  type BodyErrors,
  closeServer,
  FILE_CSP,
  listenOnLoopback,
  readBody,
  readJsonObject,
  securityHeaders,
  sendJson as sendJsonWith,
  sendText,
} from "../web/http.js";
import { fromOwnPage, pathAfterToken as pathAfterTokenIn } from "../web/local-guard.js";
import { editorCommand, findModule } from "../web/modules.js";
import { loadPage, type Page, sendPageOrStatic } from "../web/page.js";
import {
  actorOf,
  chatIds,
  MAX_SOURCES,
  PANES,
  type Pane,
  personOf,
  SOURCE_ID_BASE,
  sourceUser,
} from "./world.js";

/** The demo editor's throwaway key pair. */
export interface DemoKey {
  privateKeyPath: string;
  publicKeyPath: string;
  passphrase: string;
  /** Grouped hex, as /keys and the desk show it. */
  fingerprint: string;
}

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));
/** A small picture whose EXIF names a camera and a GPS position: the cleaner removes them. */
const SAMPLE_PHOTO = fileURLToPath(new URL("./samples/photo-with-gps.jpg", import.meta.url));
const PAGE = { title: "demo-title", stylesheet: "demo.css", script: "demo.js" };
const TEXT_PREFIXES = ["demo-"];
/** Telegram's own limit for files a bot can fetch is 20 MB: a little more shows its answer. */
const UPLOAD_LIMIT = 25 * 1024 * 1024;
const JSON_LIMIT = 64 * 1024;
const SAMPLE_VOICE_SECONDS = 3;

// blob: media plays a voice note the page just recorded, before it is sent.
const SECURITY_HEADERS = securityHeaders({ blobMedia: true, microphone: true });

export interface DemoServerOptions {
  api: FakeBotApi;
  /** The bot service; the page works before it is ready (updates wait in the emulator). */
  ready: Promise<RunningService>;
  lang: Locale;
  port: number;
  info: { dir: string; dataDir: string; exportsDir: string; key: DemoKey };
}

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const BODY_ERRORS: BodyErrors = {
  tooLarge: () => new RequestError(413, "too large for the demo (25 MB at most)"),
  notJson: () => new RequestError(400, "expected a JSON object"),
};

export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const page = loadPage(PUBLIC_DIR, PAGE);
  const token = randomBytes(32).toString("base64url");
  const streams = new Set<ServerResponse>();
  const context: Context = {
    ...options,
    page,
    token: Buffer.from(token),
    streams,
    sampleVoice: oggOpusSilence(SAMPLE_VOICE_SECONDS),
    samplePhoto: readFileSync(SAMPLE_PHOTO),
    // The source tree or a built copy: both have the desk and the editor tool.
    hasDesk: findModule(import.meta.url, "../desk/server") !== undefined,
    editorCommand: editorCommand(findModule(import.meta.url, "../cli/editor")),
    port: 0,
  };
  options.ready.then(
    (service) => {
      context.service = service;
    },
    () => {},
  );

  const server = createServer((req, res) => {
    handle(context, req, res).catch((error: unknown) => {
      const status = error instanceof RequestError ? error.status : 500;
      const message = error instanceof RequestError ? error.message : "internal error";
      if (status === 500) process.stderr.write(`demo: ${(error as Error)?.name} in a request\n`);
      if (!res.headersSent) sendJson(res, status, { error: message });
      else res.destroy();
    });
  });
  context.port = await listenOnLoopback(server, options.port);
  const keepAlive = setInterval(() => {
    for (const stream of streams) stream.write(": keep-alive\n\n");
  }, 15_000);
  keepAlive.unref();

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${context.port}/t/${token}/`,
    close: () =>
      (closing ??= (() => {
        clearInterval(keepAlive);
        for (const stream of streams) stream.end();
        return closeServer(server);
      })()),
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

interface Context extends Omit<DemoServerOptions, "port"> {
  page: Page;
  token: Buffer;
  streams: Set<ServerResponse>;
  sampleVoice: Buffer;
  samplePhoto: Buffer;
  hasDesk: boolean;
  /** "npm run editor --", or "node …/editor.js" in a built copy. */
  editorCommand: string;
  /** The port listened on (known once listening). */
  port: number;
  service?: RunningService;
}

function pathAfterToken(context: Context, pathname: string): string | undefined {
  return pathAfterTokenIn(context.token, pathname);
}

function fromThePage(context: Context, req: IncomingMessage): boolean {
  return fromOwnPage(req, context.port, ["application/json", "application/octet-stream"]);
}

async function handle(context: Context, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const rest = pathAfterToken(context, url.pathname);
  if (rest === undefined || !fromThePage(context, req)) {
    const text = "Forbidden. Open the demo with the address it printed, token included.\n";
    return sendText(res, SECURITY_HEADERS, 403, text);
  }
  if (rest === "") {
    res.writeHead(308, { ...SECURITY_HEADERS, Location: `${url.pathname}/` }).end();
    return;
  }
  const method = req.method ?? "GET";
  const query = url.searchParams;
  if (method === "GET") return get(context, req, res, rest, query);
  if (method === "POST") return post(context, req, res, rest, query);
  throw new RequestError(405, method);
}

async function get(
  context: Context,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
  query: URLSearchParams,
) {
  if (rest === "/" || rest.startsWith("/static/")) {
    const lang = langOf(query.get("lang"), context.lang);
    const render = () => context.page.render(lang, (id) => translate(lang, id));
    if (sendPageOrStatic(res, SECURITY_HEADERS, context.page, rest, render)) return;
    throw new RequestError(404, "no such file");
  }
  if (rest === "/api/texts") {
    return sendJson(
      res,
      200,
      messagesWithPrefix(langOf(query.get("lang"), context.lang), TEXT_PREFIXES),
    );
  }
  if (rest === "/api/info") return sendJson(res, 200, info(context, sourceOf(query)));
  if (rest === "/api/events") return openStream(context, req, res, sourceOf(query));
  if (rest === "/api/stored") {
    return sendJson(res, 200, await stored(context, SOURCE_ID_BASE + sourceOf(query)));
  }
  const file = /^\/api\/files\/([\w-]{1,200})$/.exec(rest);
  if (file) return sendFile(context, res, file[1] as string, query.get("download") === "1");
  throw new RequestError(404, "no such page");
}

async function post(
  context: Context,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
  query: URLSearchParams,
) {
  if (rest === "/api/upload") {
    const actor = actorOf(context.api, paneOf(query.get("pane")), sourceOf(query), context.lang);
    const kind = query.get("kind");
    if (kind !== "photo" && kind !== "document" && kind !== "voice") {
      throw new RequestError(400, "kind must be photo, document or voice");
    }
    const bytes = await readBody(req, UPLOAD_LIMIT, BODY_ERRORS);
    const duration = Number(query.get("duration") ?? 1);
    await actor.sendMedia(kind satisfies FileKind, bytes, {
      file_name: kind === "document" ? cleanFileName(query.get("name")) : undefined,
      mime_type: cleanMimeType(query.get("type")),
      duration: Number.isFinite(duration) ? Math.max(1, Math.round(duration)) : 1,
      caption: query.get("caption") || undefined,
    });
    return sendJson(res, 200, { ok: true });
  }
  const body = await readJsonObject(req, JSON_LIMIT, BODY_ERRORS);
  if (rest === "/api/language") {
    const lang = langOf(typeof body.lang === "string" ? body.lang : null, context.lang);
    const source = sourceOf(body.source);
    sourceUser(context.api, source, lang);
    // As if this tab's source switched their Telegram app's language; the admin and the editor
    // are shared by every tab and keep theirs.
    context.api.updateUser(SOURCE_ID_BASE + source, { language_code: lang });
    return sendJson(res, 200, { ok: true });
  }
  const actor = actorOf(context.api, paneOf(body.pane), sourceOf(body.source), context.lang);
  switch (rest) {
    case "/api/send": {
      const text = typeof body.text === "string" ? body.text : "";
      if (text.trim() === "") throw new RequestError(400, "empty message");
      // Telegram's Reply: the message answers one still in the chat.
      const replyTo = Number(body.replyTo);
      if (Number.isInteger(replyTo) && replyTo > 0) {
        if (!context.api.messages(actor.chatId).some((m) => m.message_id === replyTo)) {
          throw new RequestError(400, "that message is gone");
        }
        await actor.reply(replyTo, text.slice(0, 4096));
      } else {
        await actor.send(text.slice(0, 4096));
      }
      return sendJson(res, 200, { ok: true });
    }
    case "/api/press": {
      await actor.pressData(Number(body.messageId), String(body.data ?? ""));
      return sendJson(res, 200, { ok: true });
    }
    case "/api/edit": {
      const text = typeof body.text === "string" ? body.text : "";
      if (text.trim() === "") throw new RequestError(400, "empty message");
      await actor.edit(Number(body.messageId), text.slice(0, 4096));
      return sendJson(res, 200, { ok: true });
    }
    case "/api/sample-voice": {
      await actor.sendVoice(context.sampleVoice, { duration: SAMPLE_VOICE_SECONDS });
      return sendJson(res, 200, { ok: true });
    }
    case "/api/sample-photo": {
      // Sent as a file, as a person keeping the original would: its metadata is still in it.
      await actor.sendDocument(context.samplePhoto, {
        file_name: "photo-with-gps.jpg",
        mime_type: "image/jpeg",
      });
      return sendJson(res, 200, { ok: true });
    }
    default:
      throw new RequestError(404, "no such action");
  }
}

// ---------------------------------------------------------------------------------------------
// The simulated people

function paneOf(value: unknown): Pane {
  if (typeof value === "string" && (PANES as readonly string[]).includes(value)) {
    return value as Pane;
  }
  throw new RequestError(400, "pane must be source, editors or admin");
}

function sourceOf(value: unknown): number {
  const raw = value instanceof URLSearchParams ? value.get("source") : value;
  const n = raw === null || raw === undefined || raw === "" ? 1 : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SOURCES) {
    throw new RequestError(400, `source must be a number from 1 to ${MAX_SOURCES}`);
  }
  return n;
}

function langOf(value: string | null, fallback: Locale): Locale {
  return value !== null && isLocale(value) ? value : fallback;
}

/** What the page needs to draw its panes and the tour. Paths and the passphrase are demo-only. */
function info(context: Context, source: number) {
  const { api, info: where } = context;
  const ids = chatIds(source);
  return {
    lang: context.lang,
    source,
    maxSources: MAX_SOURCES,
    bot: { name: api.botInfo.first_name, username: api.botInfo.username },
    panes: Object.fromEntries(
      PANES.map((pane) => {
        const person = personOf(api, pane, source, context.lang).user;
        return [pane, { chatId: ids[pane], me: person.id, myName: person.first_name }];
      }),
    ),
    key: {
      privateKeyPath: where.key.privateKeyPath,
      passphrase: where.key.passphrase,
      fingerprint: where.key.fingerprint,
    },
    dir: where.dir,
    exportsDir: where.exportsDir,
    hasDesk: context.hasDesk,
    editorCommand: context.editorCommand,
  };
}

// ---------------------------------------------------------------------------------------------
// Live updates: a snapshot of the three chats, then every change as it happens

function openStream(context: Context, req: IncomingMessage, res: ServerResponse, source: number) {
  const { api } = context;
  const ids = chatIds(source);
  sourceUser(api, source, context.lang);
  const paneOfChat = new Map(PANES.map((pane) => [ids[pane], pane]));
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Type": "text/event-stream; charset=utf-8",
    Connection: "keep-alive",
  });
  const send = (event: string, data: unknown) => {
    if (res.writableEnded || res.destroyed) return;
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  send("snapshot", {
    ready: context.service !== undefined,
    chats: Object.fromEntries(
      PANES.map((pane) => [
        pane,
        {
          messages: api.messages(ids[pane]),
          keyboard: api.replyKeyboard(ids[pane]) ?? null,
          forceReply: api.forceReply(ids[pane]) ?? null,
        },
      ]),
    ),
  });
  const stop = api.watch((event: EmulatorEvent) => {
    const pane = paneOfChat.get(event.chatId);
    if (pane === undefined) return;
    send("change", { pane, ...withoutChat(event) });
  });
  if (!context.service) {
    context.ready.then(
      () => send("ready", {}),
      () => send("failed", {}),
    );
  }
  context.streams.add(res);
  req.on("close", () => {
    stop();
    context.streams.delete(res);
  });
}

/** Events carry the chat's pane instead of its id. */
function withoutChat(event: EmulatorEvent) {
  const { chatId: _chatId, ...rest } = event;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// What the database holds: sizes only, never content

async function stored(context: Context, userId: number) {
  if (!context.service) throw new RequestError(503, "the bot is still starting");
  const { app, keyring } = context.service;
  const { parts, submissions } = app.repositories;
  const sizeOf = async (row: { ciphertext: Uint8Array; attachmentId: string | null }) =>
    row.ciphertext.length + (row.attachmentId ? await parts.attachmentSize(row.attachmentId) : 0);

  const draft = await app.services.interview.find(userId);
  let draftInfo: { parts: number; lastAnswer?: { kind: string; bytes: number } } | null = null;
  if (draft) {
    const rows = await parts.listForDraft(draft.id);
    const last = rows.at(-1);
    draftInfo = {
      parts: rows.length,
      lastAnswer: last ? { kind: last.kind, bytes: await sizeOf(last) } : undefined,
    };
  }
  const [latest] = await submissions.list(1);
  let submission: { number: number; parts: number; bytes: number } | null = null;
  if (latest) {
    const rows = await parts.listForSubmission(latest.id);
    let bytes = 0;
    for (const row of rows) bytes += await sizeOf(row);
    submission = { number: latest.number, parts: rows.length, bytes };
  }
  return {
    fingerprints: keyring.fingerprints.map(formatFingerprint),
    draft: draftInfo,
    latestSubmission: submission,
  };
}

// ---------------------------------------------------------------------------------------------
// Files the simulated people sent or received

function sendFile(context: Context, res: ServerResponse, fileId: string, download: boolean) {
  const file = context.api.file(fileId);
  if (!file) throw new RequestError(404, "no such file");
  const bytes = context.api.fileBytes(fileId);
  const mime = (file.mime_type ?? "").toLowerCase();
  const isPhoto = file.file_path.startsWith("photos/");
  const playable =
    /^(image\/(jpeg|png|gif|webp)|audio\/(ogg|mpeg|mp4|webm|wav|x-wav)|video\/(mp4|webm))(;.*)?$/.test(
      mime,
    );
  const type = isPhoto && !playable ? "image/jpeg" : playable ? mime : "application/octet-stream";
  const name = cleanFileName(file.file_name ?? file.file_path.split("/").pop() ?? "file");
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Security-Policy": FILE_CSP,
    "Content-Type": type,
    "Content-Length": bytes.length,
    "Content-Disposition": `${download || type === "application/octet-stream" ? "attachment" : "inline"}; filename="${name}"`,
  });
  res.end(bytes);
}

function cleanFileName(name: string | null): string {
  const cleaned = (name ?? "").replace(/[^\w.\- ]+/g, "_").slice(0, 120);
  return cleaned.trim() === "" ? "file.bin" : cleaned;
}

function cleanMimeType(type: string | null): string | undefined {
  return type && /^[\w.+-]+\/[\w.+-]+(;[\w=. -]*)?$/.test(type) ? type : undefined;
}

// ---------------------------------------------------------------------------------------------
// Plumbing

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonWith(res, SECURITY_HEADERS, status, body);
}
