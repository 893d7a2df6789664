// HTTP plumbing shared by the local web apps (review desk, demo): strict security headers, JSON
// answers, bounded request bodies, and a server that listens on 127.0.0.1 only.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Headers = Readonly<Record<string, string>>;

/**
 * Headers for every answer: nothing from another origin, no framing, no referrer, no cache.
 * `blobMedia`: pictures and sound the page made itself (a voice note before it is sent);
 * `microphone`: the page may record (the demo's voice notes).
 */
export function securityHeaders(options: { blobMedia?: boolean; microphone?: boolean } = {}) {
  const media = options.blobMedia ? " img-src 'self' blob:; media-src 'self' blob:;" : "";
  return {
    "Content-Security-Policy": `default-src 'self';${media} object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": options.microphone
      ? "camera=(), geolocation=(), usb=(), payment=(), microphone=(self)"
      : "camera=(), microphone=(), geolocation=(), usb=(), payment=()",
  } as const satisfies Headers;
}

/** Files opened on their own (not in the page) get no origin and may run nothing. */
export const FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox";

/** A JSON answer with the app's headers. */
export function sendJson(res: ServerResponse, headers: Headers, status: number, body: unknown) {
  const json = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": json.length,
  });
  res.end(json);
}

/** A plain-text answer (a refusal the person at the browser should read). */
export function sendText(res: ServerResponse, headers: Headers, status: number, text: string) {
  res.writeHead(status, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
  res.end(text);
}

/** How an app says a body was refused: its own error type, status and wording. */
export interface BodyErrors {
  tooLarge(): Error;
  notJson(): Error;
}

/** The whole body, refused (tooLarge) once it passes `limit` bytes. */
export async function readBody(
  req: IncomingMessage,
  limit: number,
  errors: Pick<BodyErrors, "tooLarge">,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw errors.tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A body that must be one JSON object of at most `limit` bytes. */
export async function readJsonObject(
  req: IncomingMessage,
  limit: number,
  errors: BodyErrors,
): Promise<Record<string, unknown>> {
  const body = await readBody(req, limit, errors);
  try {
    const value = JSON.parse(body.toString("utf8"));
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // answered below
  }
  throw errors.notJson();
}

/** Listens on 127.0.0.1 only (0: a free port); resolves with the port, rejects on e.g. EADDRINUSE. */
export async function listenOnLoopback(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return (server.address() as AddressInfo).port;
}

/** Stops listening and drops open connections (a page's event stream, keep-alive sockets). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
