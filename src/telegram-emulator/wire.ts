// How the emulator reads Bot API requests (JSON, urlencoded and multipart bodies), and the errors
// it answers with, worded as Telegram words them.
import type { IncomingMessage } from "node:http";
import { words } from "./messages.js";
import type { ApiError } from "./types.js";

export type Params = Record<string, unknown>;

/** A Bot API error answer (400, 403, 429…), thrown by a method and sent back as JSON. */
export class TgError extends Error {
  constructor(readonly error: ApiError) {
    super(error.description);
  }
}
export const bad = (what: string) =>
  new TgError({ error_code: 400, description: `Bad Request: ${what}` });
export const forbidden = (what: string) =>
  new TgError({ error_code: 403, description: `Forbidden: ${what}` });

/** A file part of a multipart request. */
export class Upload {
  constructor(
    readonly bytes: Uint8Array,
    readonly filename: string,
  ) {}
}
// Form fields that stay strings even if they look like JSON ("123" as text must not become 123).
const STRING_FIELDS = new Set(
  words(
    "text caption parse_mode callback_query_id url secret_token question emoji title " +
      "description performer file_name action language_code file_id",
  ),
);
function coerceField(key: string, value: string): unknown {
  if (STRING_FIELDS.has(key)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function parseMultipart(body: Buffer, boundary: string): Params {
  const params: Params = {};
  const delim = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const start = pos + delim.length + 2; // skip CRLF (or the final "--")
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    const part = body.subarray(start, next - 2);
    const split = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, split).toString("utf8");
    const data = part.subarray(split + 4);
    const name = /(?:^|;)\s*name="([^"]*)"/im.exec(headers)?.[1];
    const filename = /filename="?([^";\r\n]*)"?/i.exec(headers)?.[1];
    if (name !== undefined) {
      params[name] =
        filename !== undefined
          ? new Upload(new Uint8Array(data), filename)
          : coerceField(name, data.toString("utf8"));
    }
    pos = next;
  }
  // grammY names file parts by random ids referenced as "attach://id" from the real fields.
  const attached = new Set<string>();
  const resolve = (v: unknown): unknown => {
    if (typeof v === "string" && v.startsWith("attach://")) {
      const id = v.slice(9);
      attached.add(id);
      return params[id] ?? v;
    }
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === "object" && !(v instanceof Upload)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  const out = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, resolve(v)]));
  for (const id of attached) delete out[id];
  return out;
}

export async function readParams(req: IncomingMessage, query: URLSearchParams): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers["content-type"] ?? "";
  const params: Params = {};
  for (const [k, v] of query) params[k] = coerceField(k, v);
  if (body.length === 0) return params;
  if (type.includes("multipart/form-data")) {
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (!boundary) throw bad("invalid multipart boundary");
    return { ...params, ...parseMultipart(body, boundary) };
  }
  if (type.includes("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params[k] = coerceField(k, v);
    return params;
  }
  try {
    return { ...params, ...(JSON.parse(body.toString("utf8")) as Params) };
  } catch {
    throw bad("can't parse JSON body");
  }
}
