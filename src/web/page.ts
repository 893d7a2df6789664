// The local web apps' page: one HTML shell (head, icon, stylesheet, script) around each app's
// body.html, its {{message-id}} placeholders filled in the page's language, and the app's static
// files from its public/ folder, all served with the app's security headers.
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import type { Headers } from "./http.js";

export interface PageShell {
  /** The message id of the page's title. */
  title: string;
  /** File names in public/, served under static/. */
  stylesheet: string;
  script: string;
  /** An ES module (the desk), or a classic script run once the page is parsed (the demo). */
  module?: boolean;
}

const STATIC_TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

export interface Page {
  /** The page in `lang`, each placeholder replaced by `text(id)` (HTML-escaped). */
  render(lang: string, text: (id: string) => string): Buffer;
  /** A file of public/ by name (the shell's stylesheet, script and icon only), with its type. */
  staticFile(name: string): { body: Buffer; type: string } | undefined;
}

/** Reads body.html and the shell's files from `publicDir` once, at start. */
export function loadPage(publicDir: string, shell: PageShell): Page {
  const body = readFileSync(`${publicDir}body.html`, "utf8");
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of [shell.stylesheet, shell.script, "icon.svg"]) {
    const type = STATIC_TYPES[name.slice(name.lastIndexOf("."))];
    if (type) files.set(name, { body: readFileSync(publicDir + name), type });
  }
  const script = shell.module
    ? `<script type="module" src="static/${shell.script}"></script>`
    : `<script src="static/${shell.script}" defer></script>`;
  const template = (lang: string) => `<!doctype html>
<html lang="${lang}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <meta name="robots" content="noindex, nofollow" />
    <title>{{${shell.title}}}</title>
    <link rel="icon" href="static/icon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="static/${shell.stylesheet}" />
    ${script}
  </head>
${body.trimEnd()}
</html>
`;
  return {
    render: (lang, text) =>
      Buffer.from(
        template(lang).replace(/\{\{([a-z0-9-]+)\}\}/g, (_, id: string) => escapeHtml(text(id))),
        "utf8",
      ),
    staticFile: (name) => files.get(name),
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page ("/") or one of its static files ("/static/NAME"); false for any other path. */
export function sendPageOrStatic(
  res: ServerResponse,
  headers: Headers,
  page: Page,
  path: string,
  render: () => Buffer,
): boolean {
  const file =
    path === "/"
      ? { body: render(), type: "text/html; charset=utf-8" }
      : path.startsWith("/static/")
        ? page.staticFile(path.slice("/static/".length))
        : undefined;
  if (!file) return false;
  res.writeHead(200, { ...headers, "Content-Type": file.type, "Content-Length": file.body.length });
  res.end(file.body);
  return true;
}
