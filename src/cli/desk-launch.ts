// How the review desk's launch code reaches the browser without passing through its command
// line (every user of the computer can read a process's arguments): a page in a private folder
// that sends the browser on to the address. The browser gets only the file's path; the file
// goes once the code has expired.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface LaunchFile {
  /** The file to give the browser. */
  path: string;
  /** Removes the file and its folder (also done by itself after `lifetimeMs`). */
  remove(): void;
}

const escapeAttribute = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** Writes open-desk.html (0600, in a 0700 folder) that goes on to `url`. */
export function writeLaunchFile(url: string, lifetimeMs: number): LaunchFile {
  const folder = mkdtempSync(path.join(tmpdir(), "testimony-desk-"));
  const file = path.join(folder, "open-desk.html");
  const target = escapeAttribute(url);
  writeFileSync(
    file,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
      `<meta http-equiv="refresh" content="0;url=${target}"><title>Review desk</title>` +
      `<p><a href="${target}">Open the review desk</a></p>\n`,
    { mode: 0o600 },
  );
  const remove = () => rmSync(folder, { recursive: true, force: true });
  setTimeout(remove, lifetimeMs).unref();
  return { path: file, remove };
}
