// Guards shared by the local web apps (review desk, demo): a secret (a token in the path, or a
// session header), compared in constant time, and requests accepted only from the app's own page.

import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** `given` equals `secret`, compared in constant time. */
export function sameSecret(given: string | undefined, secret: Buffer): boolean {
  if (given === undefined) return false;
  const bytes = Buffer.from(given);
  return bytes.length === secret.length && timingSafeEqual(bytes, secret);
}

/** The rest of the path after /t/<token>, compared in constant time; undefined if wrong. */
export function pathAfterToken(token: Buffer, pathname: string): string | undefined {
  const match = /^\/t\/([^/]+)(\/.*)?$/.exec(pathname);
  if (!match || !sameSecret(match[1], token)) return undefined;
  return match[2] ?? "";
}

/**
 * Requests from the page itself: another Host means DNS rebinding, another Origin a cross-site
 * request; a POST must carry a type no plain form can send.
 */
export function fromOwnPage(
  req: IncomingMessage,
  port: number,
  postTypes: readonly string[] = ["application/json"],
): boolean {
  const own = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!own.includes(req.headers.host ?? "")) return false;
  if (req.method === "GET" || req.method === "HEAD") return true;
  const origin = req.headers.origin;
  if (origin !== undefined && !own.some((host) => origin === `http://${host}`)) return false;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return false;
  const type = req.headers["content-type"] ?? "";
  return postTypes.some((allowed) => type.startsWith(allowed));
}
