// What failed, and whether it will pass: the one place errors are sorted into "try the update
// again" (the database or Telegram is away for a moment) and "it will fail the same way again"
// (a bug, bad input). The bot's error boundary and update retries act on it (bot/update-retry.ts);
// the logger prints its code and class. Duck-typed, so it needs neither grammY nor a driver.

export type FaultClass = "transient" | "permanent" | "disk-full";

export interface Fault {
  class: FaultClass;
  /** Who failed: the database, Telegram's Bot API, or unknown. */
  source?: "database" | "telegram";
  /** An errno name (ECONNREFUSED), a SQLSTATE (57P01), a driver code, or a Bot API error code. */
  code?: string;
  /** The database or Telegram cannot be reached at all (not merely busy or in a conflict). */
  unreachable?: boolean;
  /** Seconds the Bot API asked to wait (429). */
  retryAfter?: number;
}

/** Network failures: the peer is restarting, or the path to it is. */
const NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** postgres.js's own codes when a connection goes away under a query. */
const DRIVER = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/**
 * SQLSTATEs that a later try can pass: the server shutting down or starting (57P01–57P03), too
 * many connections (53300), a serialization failure or deadlock (40001, 40P01), a lock or
 * statement timeout (55P03, 57014); class 08 is the connection itself.
 */
const UNREACHABLE = new Set(["57P01", "57P02", "57P03", "53300"]);
const SQLSTATE = new Set(["40001", "40P01", "55P03", "57014"]);

/**
 * The bot's own: a press on a first question whose draft another instance is still storing
 * (bot/features/interview.ts). It is there a moment later.
 */
const NOT_YET = new Set(["DRAFT_NOT_STORED_YET"]);

/** Out of disk: a write that will fail until someone frees space. */
const DISK_FULL = new Set(["ENOSPC", "EDQUOT", "53100"]);

const SAFE_CODE = /^[A-Z0-9_]{2,40}$/;

/** The error and its causes (BotError.error, DrizzleQueryError.cause, HttpError.error…). */
function chain(error: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  let current: unknown = error;
  while (current && typeof current === "object" && found.length < 6) {
    const record = current as Record<string, unknown>;
    if (found.includes(record)) break;
    found.push(record);
    current = record.cause ?? record.error;
  }
  return found;
}

export function classify(error: unknown): Fault {
  const links = chain(error);
  for (const link of links) {
    const code = typeof link.code === "string" ? link.code : undefined;
    const errno = typeof link.errno === "number" ? link.errno : undefined;
    // Emscripten's file system (PGlite) reports errno 28 for "no space left".
    if ((code && DISK_FULL.has(code)) || (link.name === "ErrnoError" && errno === 28)) {
      return { class: "disk-full", code: code ?? "ENOSPC" };
    }
  }
  const inHttp = links.some((link) => link.name === "HttpError");
  for (const link of links) {
    const code = typeof link.code === "string" ? link.code : undefined;
    if (typeof link.error_code === "number") {
      const status = link.error_code;
      const parameters = link.parameters as { retry_after?: unknown } | undefined;
      const retryAfter =
        typeof parameters?.retry_after === "number" ? parameters.retry_after : undefined;
      const transient = status === 429 || status >= 500;
      return {
        class: transient ? "transient" : "permanent",
        source: "telegram",
        code: String(status),
        ...(status >= 500 ? { unreachable: true } : {}),
        ...(retryAfter !== undefined ? { retryAfter } : {}),
      };
    }
    if (!code) continue;
    if (NETWORK.has(code)) {
      const source = inHttp ? "telegram" : "database";
      return { class: "transient", source, code, unreachable: true };
    }
    if (DRIVER.has(code) || UNREACHABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) {
      return { class: "transient", source: "database", code, unreachable: true };
    }
    if (SQLSTATE.has(code)) return { class: "transient", source: "database", code };
    if (NOT_YET.has(code)) return { class: "transient", code };
  }
  // A network failure grammY could not describe further (fetch failed, aborted).
  if (inHttp) return { class: "transient", source: "telegram", unreachable: true };
  const code = links
    .map((link) => link.code)
    .find((c) => typeof c === "string" && SAFE_CODE.test(c));
  return { class: "permanent", ...(typeof code === "string" ? { code } : {}) };
}

export const isTransient = (error: unknown) => classify(error).class === "transient";
