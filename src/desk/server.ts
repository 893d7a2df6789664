// The review desk's web server: node:http on 127.0.0.1 only, every path behind a session cookie
// (HttpOnly, SameSite=Strict) that a one-time launch code buys, a strict Content-Security-Policy,
// and the page's assets from src/desk/public. It runs on the editor's computer; decrypted bytes
// go from this process to the page and nowhere else. The launch code may pass through a
// browser's command line and history: it is worth nothing once used.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import type { TestimonyOutline, TestimonySection } from "../services/archive/testimony.js";
import { type EditorKeyring, loadEditorKeys } from "../services/crypto/editor-keys.js";
import type { AttachmentMeta } from "../services/interview/attachments.js";
import {
  DEFAULT_QUESTIONNAIRE_PATH,
  loadQuestionnaire,
} from "../services/interview/questionnaire.js";
import { isLocale, type Locale } from "../services/sources/preferences.js";
import { STATUSES } from "../services/submissions/submit.js";
import { messagesWithPrefix } from "../services/texts.js";
import { openStorage, type Storage } from "../storage/db.js";
import {
  type BodyErrors,
  closeServer,
  FILE_CSP,
  listenOnLoopback,
  readJsonObject,
  securityHeaders,
  sendJson as sendJsonWith,
  sendText,
} from "../web/http.js";
import { cookieOf, fromOwnPage, sameSecret } from "../web/local-guard.js";
import { loadPage, type Page, sendPageOrStatic } from "../web/page.js";
import { createDeskSession, DeskError, type DeskSession } from "./session.js";
import { type DeskSource, databaseSource, openArchiveSource } from "./sources.js";

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));
const PAGE = { title: "desk-title", stylesheet: "desk.css", script: "desk.js", module: true };
/** Message ids the page gets from /api/texts (the same Fluent files as the bot). */
const TEXT_PREFIXES = ["desk-", "editors-status-", "export-", "language-button-"];
/** 256 bits: the session is the only thing between another local program and the testimonies. */
const TOKEN_BYTES = 32;
const newSecret = () => randomBytes(TOKEN_BYTES).toString("base64url");
const UNLOCK_BODY_LIMIT = 1024 * 1024;
const BODY_LIMIT = 256 * 1024;
export const IDLE_LOCK_MINUTES = 30;

const SECURITY_HEADERS = securityHeaders();
const BODY_ERRORS: BodyErrors = {
  tooLarge: () => new DeskError(413, "other", { reason: "request too large" }),
  notJson: () => new DeskError(400, "other", { reason: "expected a JSON object" }),
};

export type DeskSourceOptions =
  | { archives: string[] }
  | { databaseUrl: string }
  | { dataDir: string }
  /** An open storage (the editor tool's openDatabase); the desk closes it when it closes. */
  | { storage: Storage };

export interface DeskOptions {
  source: DeskSourceOptions;
  /** The editors' public keys (paths or a loaded keyring): needed with a database, for notes and replies. */
  keys?: readonly string[] | EditorKeyring;
  /** --key: an armored private key; the page then asks only for its passphrase. */
  privateKey?: { armored: string; fileName: string };
  /** 0 or unset: a free port. */
  port?: number;
  /** The interface and question language the page starts in. */
  lang?: Locale;
  /** Forget the key after this many minutes without a request; 0: never. */
  idleLockMinutes?: number;
  questionnairePath?: string;
}

export interface Desk {
  /** The first one-time launch address: http://127.0.0.1:PORT/open/CODE */
  url: string;
  /** A new one-time launch address; an unused earlier one stops working. */
  newLaunchUrl(): string;
  readOnly: boolean;
  problems: string[];
  close(): Promise<void>;
}

/** A refusal to start that the editor can act on (the CLI prints it as one line). */
export class DeskStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeskStartError";
  }
}

function isKeyPaths(keys: readonly string[] | EditorKeyring): keys is readonly string[] {
  return Array.isArray(keys);
}

async function openSource(options: DeskOptions): Promise<DeskSource> {
  const { source } = options;
  if ("archives" in source) return openArchiveSource(source.archives);
  const keys = options.keys;
  if (!keys || (isKeyPaths(keys) && keys.length === 0)) {
    throw new DeskStartError(
      "the desk on a database needs the editors' public keys (--keys PATHS or EDITOR_KEYS): notes and replies are encrypted to them",
    );
  }
  const keyring = isKeyPaths(keys) ? await loadEditorKeys(keys) : keys;
  if ("storage" in source) return databaseSource(source.storage, keyring, { closeStorage: true });
  const storage = await openStorage(
    "databaseUrl" in source ? { databaseUrl: source.databaseUrl } : { dataDir: source.dataDir },
  );
  return databaseSource(storage, keyring, { closeStorage: true });
}

export async function startDesk(options: DeskOptions): Promise<Desk> {
  const page = loadPage(PUBLIC_DIR, PAGE);
  const questionnaire = loadQuestionnaire(options.questionnairePath ?? DEFAULT_QUESTIONNAIRE_PATH);
  const source = await openSource(options);
  const session = createDeskSession({
    source,
    questionnaire,
    privateKey: options.privateKey,
    idleLockMs: (options.idleLockMinutes ?? IDLE_LOCK_MINUTES) * 60_000,
  });
  const context: RequestContext = {
    session,
    page,
    sessions: [],
    lang: options.lang ?? "ru",
    port: 0,
  };

  const server = createServer((req, res) => {
    handle(context, req, res).catch((error: unknown) => {
      process.stderr.write(
        `desk: ${(error as Error)?.name ?? "error"} while answering a request\n`,
      );
      if (!res.headersSent) sendJson(res, 500, { error: "other", params: { reason: "internal" } });
      else res.destroy();
    });
  });
  context.port = await listenOnLoopback(server, options.port ?? 0).catch(
    (error: NodeJS.ErrnoException) => {
      throw error.code === "EADDRINUSE"
        ? new DeskStartError(`port ${options.port} is in use; leave --port out to take a free one`)
        : error;
    },
  );
  const idleTimer = setInterval(() => session.expireIfIdle(), 30_000);
  idleTimer.unref();

  const newLaunchUrl = () => {
    const code = newSecret();
    context.launchCode = Buffer.from(code);
    return `http://127.0.0.1:${context.port}/open/${code}`;
  };
  let closing: Promise<void> | undefined;
  return {
    url: newLaunchUrl(),
    newLaunchUrl,
    readOnly: session.state().readOnly,
    problems: source.problems,
    close: () =>
      (closing ??= (async () => {
        clearInterval(idleTimer);
        await closeServer(server);
        await session.close();
      })()),
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

interface RequestContext {
  session: DeskSession;
  page: Page;
  /** The unused launch code, if any. */
  launchCode?: Buffer;
  /** Session cookies handed out (one per launch code used). */
  sessions: Buffer[];
  lang: Locale;
  port: number;
}

function forbidden(res: ServerResponse): void {
  sendText(
    res,
    SECURITY_HEADERS,
    403,
    "Forbidden. Desk addresses work once: press Enter in the terminal where the desk runs for a new one.\n",
  );
}

/** Per port: two desks on one computer keep their own cookie (cookies ignore the port). */
const cookieName = (context: RequestContext) => `desk-session-${context.port}`;

function hasSession(context: RequestContext, req: IncomingMessage): boolean {
  const given = cookieOf(req, cookieName(context));
  let found = false;
  for (const session of context.sessions) found = sameSecret(given, session) || found;
  return found;
}

/**
 * GET /open/CODE: the launch code, once, for a session cookie; then the page without the code.
 * A browser that already has a session (a prefetch used the code first) is simply sent on.
 */
function openSession(
  context: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
  code: string,
): void {
  const expected = context.launchCode;
  const matches = expected !== undefined && sameSecret(code, expected);
  if (matches) context.launchCode = undefined;
  const headers: Record<string, string> = { ...SECURITY_HEADERS, Location: "/" };
  if (!hasSession(context, req)) {
    if (!matches) {
      forbidden(res);
      return;
    }
    const session = newSecret();
    context.sessions.push(Buffer.from(session));
    headers["Set-Cookie"] = `${cookieName(context)}=${session}; HttpOnly; SameSite=Strict; Path=/`;
  }
  res.writeHead(303, headers);
  res.end();
}

async function handle(
  context: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  // The old address form (/t/TOKEN/) is refused outright: its token lived in argv and history.
  if (!fromOwnPage(req, context.port) || url.pathname.startsWith("/t/")) return forbidden(res);
  const launch = /^\/open\/([^/]+)$/.exec(url.pathname);
  if (launch && req.method === "GET") return openSession(context, req, res, launch[1] as string);
  if (!hasSession(context, req)) return forbidden(res);
  context.session.touch();
  try {
    await route(context, req, res, url.pathname, url.searchParams);
  } catch (error) {
    if (!(error instanceof DeskError)) throw error;
    sendJson(res, error.status, { error: error.code, params: error.params });
  }
}

async function route(
  context: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
  query: URLSearchParams,
): Promise<void> {
  const { session } = context;
  const method = req.method ?? "GET";
  const lang = langOf(context, query.get("lang"));

  if (method === "GET" && (rest === "/" || rest.startsWith("/static/"))) {
    const render = () => renderPage(context.page, context.lang);
    if (sendPageOrStatic(res, SECURITY_HEADERS, context.page, rest, render)) return;
    return sendJson(res, 404, { error: "other", params: { reason: "no such file" } });
  }
  if (method === "GET" && rest === "/api/state") {
    return sendJson(res, 200, { ...session.state(), lang: context.lang, statuses: STATUSES });
  }
  if (method === "GET" && rest === "/api/texts") {
    context.lang = lang; // the page's choice, kept for a reload
    return sendJson(res, 200, messagesWithPrefix(lang, TEXT_PREFIXES));
  }
  if (method === "POST" && rest === "/api/unlock") {
    const body = await readJsonObject(req, UNLOCK_BODY_LIMIT, BODY_ERRORS);
    return sendJson(res, 200, await session.unlock(body.key, body.passphrase));
  }
  if (method === "POST" && rest === "/api/lock") {
    session.lock();
    return sendJson(res, 200, session.state());
  }
  if (method === "GET" && rest === "/api/submissions") {
    return sendJson(res, 200, await session.inbox());
  }

  const match =
    /^\/api\/submissions\/(\d{1,9})(?:\/(files\/(\d{1,6})|status|notes|replies|save))?$/.exec(rest);
  if (!match) return sendJson(res, 404, { error: "other", params: { reason: "no such page" } });
  const number = Number(match[1]);
  const action = match[2];

  if (method === "GET" && action === undefined) {
    const testimony = await session.testimony(number);
    const outline = await session.outline(number, lang);
    return sendJson(res, 200, {
      number,
      status: testimony.manifest.status,
      createdOn: testimony.manifest.createdOn,
      locale: testimony.manifest.locale,
      questionnaireVersion: testimony.manifest.questionnaireVersion,
      ...pageOutline(number, outline),
    });
  }
  if (method === "GET" && match[3] !== undefined) {
    const item = await session.attachment(number, Number(match[3]));
    return sendFile(req, res, item.attachment as NonNullable<typeof item.attachment>, query);
  }
  if (method !== "POST") return sendJson(res, 405, { error: "other", params: { reason: method } });

  const body = await readJsonObject(req, BODY_LIMIT, BODY_ERRORS);
  switch (action) {
    case "status":
      await session.setStatus(number, body.status);
      return sendJson(res, 200, { ok: true });
    case "notes":
      await session.addNote(number, body.text);
      return sendJson(res, 200, { ok: true });
    case "replies":
      return sendJson(res, 200, { ok: true, ...(await session.reply(number, body.text)) });
    case "save":
      return sendJson(res, 200, { folder: await session.save(number, body.folder, lang) });
    default:
      return sendJson(res, 404, { error: "other", params: { reason: "no such page" } });
  }
}

/** The page in the chosen language (the script can switch). */
function renderPage(page: Page, lang: Locale): Buffer {
  const texts = messagesWithPrefix(lang, TEXT_PREFIXES);
  return page.render(lang, (id) => texts[id] ?? id);
}

function langOf(context: RequestContext, value: string | null): Locale {
  return value !== null && isLocale(value) ? value : context.lang;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonWith(res, SECURITY_HEADERS, status, body);
}

// ---------------------------------------------------------------------------------------------
// Testimonies and their files

type Display = "audio" | "video" | "image" | "file";

/**
 * How the page shows a file, and the type it is served with. Only types a browser plays or shows
 * as media are served as such: anything else (HTML, SVG, PDF…) is a download, so a file a source
 * sent can never run as a page of the desk.
 */
export function mediaOf(meta: AttachmentMeta): { display: Display; type: string } {
  const mime = (meta.mimeType ?? "").toLowerCase();
  const audio = /^audio\/(ogg|mpeg|mp4|aac|wav|x-wav|webm|opus|flac|x-m4a)$/.test(mime);
  const video = /^video\/(mp4|webm|ogg)$/.test(mime);
  const image = /^image\/(jpeg|png|gif|webp)$/.test(mime);
  switch (meta.kind) {
    case "voice":
      return { display: "audio", type: audio ? mime : "audio/ogg" };
    case "audio":
      return { display: "audio", type: audio ? mime : "audio/mpeg" };
    case "video":
    case "video_note":
      return { display: "video", type: video ? mime : "video/mp4" };
    case "photo":
      return { display: "image", type: image ? mime : "image/jpeg" };
    default:
      if (image) return { display: "image", type: mime };
      if (audio) return { display: "audio", type: mime };
      if (video) return { display: "video", type: mime };
      return { display: "file", type: "application/octet-stream" };
  }
}

/** The outline with a URL (relative to the page) and a display for each file. */
function pageOutline(number: number, outline: TestimonyOutline) {
  const section = (s: TestimonySection) => ({
    ...s,
    entries: s.entries.map((entry) =>
      entry.type === "attachment"
        ? {
            ...entry,
            display: mediaOf(entry.meta).display,
            url: `api/submissions/${number}/files/${entry.item}`,
          }
        : entry,
    ),
  });
  return {
    title: outline.title,
    questions: outline.questions.map(section),
    extras: outline.extras.map(section),
  };
}

function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  attachment: { meta: AttachmentMeta; bytes: Uint8Array; fileName: string },
  query: URLSearchParams,
): void {
  const { display, type } = mediaOf(attachment.meta);
  const bytes = attachment.bytes;
  const download = query.get("download") === "1" || display === "file";
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    "Content-Security-Policy": FILE_CSP,
    "Content-Type": type,
    "Accept-Ranges": "bytes",
    // "NN-question-kind.ext"; an archive's manifest could hold anything, so keep it plain.
    "Content-Disposition": `${download ? "attachment" : "inline"}; filename="${attachment.fileName.replace(/[^\w.-]/g, "_")}"`,
  };
  // <audio> and <video> ask for ranges to seek.
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
  if (range && (range[1] || range[2])) {
    const start = range[1] ? Number(range[1]) : Math.max(0, bytes.length - Number(range[2]));
    const end =
      range[1] && range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    if (start >= bytes.length || start > end) {
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${bytes.length}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      ...headers,
      "Content-Range": `bytes ${start}-${end}/${bytes.length}`,
      "Content-Length": end - start + 1,
    });
    res.end(bytes.subarray(start, end + 1));
    return;
  }
  res.writeHead(200, { ...headers, "Content-Length": bytes.length });
  res.end(bytes);
}
