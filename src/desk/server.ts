// The review desk's web server: node:http on 127.0.0.1 only, a strict Content-Security-Policy,
// and the page's assets from src/desk/public. It runs on the editor's computer; decrypted bytes
// go from this process to the page and nowhere else. Every call that reads or changes anything
// carries the page's session token in a header: the token lives in that page's memory only, so
// a cookie replayed by another local program (cookies go to every port of 127.0.0.1) is worth
// nothing. A one-time launch code, good for a minute, buys the token; a new launch ends the
// earlier session and forgets the key it unlocked. The code travels in the address's fragment,
// which no server sees, and reaches the browser through a private file, never its command line.
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
import { isLocale, type Locale } from "../services/locale.js";
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
import { fromOwnPage, sameSecret } from "../web/local-guard.js";
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
/** How long a launch code may wait to be used. */
export const LAUNCH_CODE_MS = 60_000;
/** The header that carries the page's session token. */
export const SESSION_HEADER = "x-desk-session";
const UNLOCK_BODY_LIMIT = 1024 * 1024;
const BODY_LIMIT = 256 * 1024;
export const IDLE_LOCK_MINUTES = 30;

// Media are fetched with the session header and shown from blob: addresses.
const SECURITY_HEADERS = securityHeaders({ blobMedia: true });
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
  /** The clock (tests). */
  now?: () => number;
}

export interface Desk {
  /** The first one-time launch address: http://127.0.0.1:PORT/#launch=CODE */
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
    now: options.now,
  });
  const context: RequestContext = {
    session,
    page,
    lang: options.lang ?? "ru",
    port: 0,
    now: options.now ?? Date.now,
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
    context.launch = { code: Buffer.from(code), issued: context.now() };
    return `http://127.0.0.1:${context.port}/#launch=${code}`;
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
  /** The unused launch code, if any, and when it was made. */
  launch?: { code: Buffer; issued: number };
  /** The one page session (its token); a new launch replaces it. */
  token?: Buffer;
  lang: Locale;
  port: number;
  now: () => number;
}

function forbidden(res: ServerResponse): void {
  sendText(
    res,
    SECURITY_HEADERS,
    403,
    "Forbidden. Open the desk with the address printed in the terminal where it runs (press Enter there for a new one).\n",
  );
}

function hasSession(context: RequestContext, req: IncomingMessage): boolean {
  const given = req.headers[SESSION_HEADER];
  return (
    context.token !== undefined && typeof given === "string" && sameSecret(given, context.token)
  );
}

/**
 * POST /api/session {code}: the launch code, once and within a minute, for the page's session
 * token. The earlier session ends and the key it unlocked is forgotten: whoever raced a code
 * keeps nothing once the editor launches again.
 */
async function openSession(
  context: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readJsonObject(req, BODY_LIMIT, BODY_ERRORS);
  const launch = context.launch;
  const code = typeof body.code === "string" ? body.code.trim() : undefined;
  const fresh = launch !== undefined && context.now() - launch.issued <= LAUNCH_CODE_MS;
  if (!launch || !fresh || !sameSecret(code, launch.code)) {
    if (launch && !fresh) context.launch = undefined;
    return sendJson(res, 403, { error: "launch", params: {} });
  }
  context.launch = undefined;
  const token = newSecret();
  context.token = Buffer.from(token);
  context.session.lock();
  sendJson(res, 200, { token });
}

async function handle(
  context: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const method = req.method ?? "GET";
  const path = url.pathname;
  if (!fromOwnPage(req, context.port)) return forbidden(res);
  // The page itself and its texts hold nothing secret: they are what asks for the launch code.
  if (method === "GET" && (path === "/" || path.startsWith("/static/"))) {
    const render = () => renderPage(context.page, context.lang);
    if (sendPageOrStatic(res, SECURITY_HEADERS, context.page, path, render)) return;
    return forbidden(res);
  }
  if (method === "GET" && path === "/api/texts") {
    const lang = langOf(context, url.searchParams.get("lang"));
    return sendJson(res, 200, messagesWithPrefix(lang, TEXT_PREFIXES));
  }
  try {
    if (method === "POST" && path === "/api/session") return await openSession(context, req, res);
    if (!path.startsWith("/api/")) return forbidden(res);
    if (!hasSession(context, req)) throw new DeskError(403, "session");
    // The page's check that the desk still runs is not activity (it must not hold off the lock).
    if (method === "GET" && path === "/api/alive") {
      context.session.expireIfIdle();
      return sendJson(res, 200, { unlocked: context.session.state().unlocked });
    }
    context.session.touch();
    await route(context, req, res, path, url.searchParams);
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

  if (method === "GET" && rest === "/api/state") {
    return sendJson(res, 200, { ...session.state(), lang: context.lang, statuses: STATUSES });
  }
  if (method === "POST" && rest === "/api/lang") {
    const body = await readJsonObject(req, BODY_LIMIT, BODY_ERRORS);
    if (typeof body.lang === "string" && isLocale(body.lang)) context.lang = body.lang; // for the next launch
    return sendJson(res, 200, { lang: context.lang });
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
    statusNote: outline.statusNote ?? null,
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
