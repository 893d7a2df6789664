// pino logger that only ever writes what we choose: no update payloads, texts, ids or tokens.
import { type DestinationStream, type Logger, pino } from "pino";
import { classify } from "./faults.js";

export type { Logger };

/** Bot API tokens, also inside file download URLs (…/file/bot<token>/…). */
const TOKEN_PATTERN = /\d{5,}:[A-Za-z0-9_-]{30,}/g;

/**
 * Errors are reduced to their class name, their code and fault class (faults.ts) and the stack
 * frames (file:line only).
 * Messages are left out unless the error class marks itself `safeToLog`: a message may quote
 * user text, and Bot API errors (GrammyError/HttpError) carry the request payload.
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const maybe = error as Error & { error_code?: unknown; method?: unknown; safeToLog?: unknown };
  const described: Record<string, unknown> = { type: error.name };
  // The code (an errno name, a SQLSTATE, a Bot API status) and whether it will pass: what an
  // operator needs to tell "the database restarted" from "a bug".
  const fault = classify(error);
  if (typeof maybe.error_code === "number") described.code = maybe.error_code;
  else if (fault.code) described.code = fault.code;
  described.class = fault.class;
  if (typeof maybe.method === "string" && /^[a-zA-Z]+$/.test(maybe.method)) {
    described.method = maybe.method;
  }
  if (maybe.safeToLog === true) described.message = scrub(error.message);
  const frames = (error.stack ?? "")
    .split("\n")
    .filter((line) => line.trimStart().startsWith("at "))
    .slice(0, 6)
    .map((line) => scrub(line.trim()));
  if (frames.length > 0) described.at = frames;
  return described;
}

/** "2026-12-03T09:00Z": the hour, no finer. */
export function coarseTime(date: Date): string {
  return `${date.toISOString().slice(0, 13)}:00Z`;
}

/** Last-resort scrubbing of a message we are about to log. */
function scrub(text: string): string {
  return text.replace(TOKEN_PATTERN, "[token]").slice(0, 200);
}

export function createLogger(
  options: { level?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: undefined,
      // To the hour: a log line's time beside a Telegram message's time would tie them together.
      timestamp: () => `,"time":"${coarseTime(new Date())}"`,
      serializers: { err: describeError, error: describeError },
      // A backstop only: code passes explicit, safe fields and never whole objects.
      redact: {
        paths: [
          "update",
          "ctx",
          "message",
          "text",
          "from",
          "chat",
          "user",
          "username",
          "payload",
          "token",
          "*.update",
          "*.message",
          "*.text",
          "*.from",
          "*.chat",
          "*.payload",
          "*.token",
        ],
        censor: "[redacted]",
      },
      hooks: {
        logMethod(args, method) {
          // Scrub tokens from any string argument (message templates included).
          const safe = args.map((a) => (typeof a === "string" ? scrub(a) : a));
          return method.apply(this, safe as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}

/**
 * The only facts about an update that may be logged: its id and its kind (message,
 * callback_query…). Never its content, sender or chat. The id is for debugging only: beside a
 * time it orders a source's messages, so it goes into log lines at debug level and below.
 */
export function updateFields(update: { update_id: number }): { updateId: number; kind?: string } {
  return { updateId: update.update_id, kind: Object.keys(update).find((k) => k !== "update_id") };
}
