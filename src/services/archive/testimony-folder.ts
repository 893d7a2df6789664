// A decrypted testimony written as a folder (testimony.md, attachments/, meta.json): what the
// editor tool's decrypt and the desk's "Save decrypted copy" both write. Every path is built from
// checked values and checked again to stay inside the chosen folder; no link is followed.
import { constants } from "node:fs";
import { mkdir, open, realpath } from "node:fs/promises";
import path from "node:path";
import type { Locale } from "../locale.js";
import { SAFE_ID } from "./reader.js";
import { ArchiveError } from "./tar-header.js";
import { renderMarkdown, type Testimony } from "./testimony.js";

/** File names this writer creates: letters, digits, "_", "-" and one dot before an extension. */
const SAFE_FILE_NAME = /^[A-Za-z0-9_-]{1,120}\.[a-z0-9]{1,8}$/;

interface PlannedFile {
  /** Relative to the submission folder. */
  relative: string;
  data: string | Uint8Array;
}

/** `child` is `parent` or below it (both absolute and normalised). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

function plan(testimony: Testimony, lang: Locale): PlannedFile[] {
  const files: PlannedFile[] = [
    { relative: "testimony.md", data: renderMarkdown(testimony, lang) },
  ];
  const { parts: _parts, ...meta } = testimony.manifest;
  const attachments = [];
  for (const item of testimony.items) {
    if (!item.attachment) continue;
    const { fileName } = item.attachment;
    if (!SAFE_FILE_NAME.test(fileName) || !SAFE_ID.test(item.questionId)) {
      throw new ArchiveError(`refusing to write an attachment named ${JSON.stringify(fileName)}`);
    }
    files.push({ relative: `attachments/${fileName}`, data: item.attachment.bytes });
    attachments.push({
      file: `attachments/${fileName}`,
      question: item.questionId,
      ...item.attachment.meta,
    });
  }
  files.push({
    relative: "meta.json",
    data: `${JSON.stringify({ ...meta, attachments }, null, 2)}\n`,
  });
  const names = new Set(files.map((file) => file.relative));
  if (names.size !== files.length) throw new ArchiveError("two attachments have the same name");
  return files;
}

/** A folder made here, or already there as a real folder (not a link) where expected. */
async function ownFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  if ((await realpath(folder)) !== folder) {
    throw new ArchiveError(`${folder} is a link; refusing to write through it`);
  }
}

async function writeNoFollow(file: string, data: string | Uint8Array): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
  const handle = await open(file, flags, 0o600);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

/**
 * Writes OUT/submission-N/ with testimony.md, attachments/ and meta.json; returns the folder.
 * Everything is planned and checked before the first byte is written.
 */
export async function writeTestimonyFolder(
  testimony: Testimony,
  out: string,
  lang: Locale,
): Promise<string> {
  const number = testimony.manifest.submission;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new ArchiveError("the submission number is not a number");
  }
  const files = plan(testimony, lang);
  await mkdir(out, { recursive: true, mode: 0o700 });
  const root = await realpath(out);
  const folder = path.join(root, `submission-${number}`);
  const targets = files.map((file) => ({ ...file, target: path.resolve(folder, file.relative) }));
  for (const { target } of [{ target: folder }, ...targets]) {
    if (!isInside(root, target) || !isInside(folder, target)) {
      throw new ArchiveError(`refusing to write outside ${root}`);
    }
  }
  await ownFolder(folder);
  await ownFolder(path.join(folder, "attachments"));
  for (const { target, data } of targets) await writeNoFollow(target, data);
  return folder;
}
