// Files from Telegram: into memory as a stream, never to disk. Bots can fetch up to 20 MB.
import type { Api } from "grammy";
import type { Message } from "grammy/types";
import { type AttachmentMeta, FileTooBigError } from "../services/interview/attachments.js";
import type { MediaKind } from "../services/interview/questionnaire.js";

export { FileTooBigError };

export const BOT_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

export interface IncomingFile {
  fileId: string;
  meta: AttachmentMeta & { kind: MediaKind };
}

/** The file a message carries (largest photo size), or undefined for non-file messages and GIFs. */
export function fileOf(message: Message): IncomingFile | undefined {
  // GIFs (animations) come with a document field too; they are not testimony material.
  if (message.animation) return undefined;
  if (message.photo && message.photo.length > 0) {
    const photo = message.photo[message.photo.length - 1];
    if (!photo) return undefined;
    return { fileId: photo.file_id, meta: { kind: "photo", size: photo.file_size } };
  }
  const { voice, audio, video, video_note: note, document } = message;
  if (voice) {
    return {
      fileId: voice.file_id,
      meta: {
        kind: "voice",
        mimeType: voice.mime_type,
        size: voice.file_size,
        duration: voice.duration,
      },
    };
  }
  if (audio) {
    return {
      fileId: audio.file_id,
      meta: {
        kind: "audio",
        fileName: audio.file_name,
        mimeType: audio.mime_type,
        size: audio.file_size,
        duration: audio.duration,
      },
    };
  }
  if (video) {
    return {
      fileId: video.file_id,
      meta: {
        kind: "video",
        fileName: video.file_name,
        mimeType: video.mime_type,
        size: video.file_size,
        duration: video.duration,
      },
    };
  }
  if (note) {
    return {
      fileId: note.file_id,
      meta: { kind: "video_note", size: note.file_size, duration: note.duration },
    };
  }
  if (document) {
    return {
      fileId: document.file_id,
      meta: {
        kind: "document",
        fileName: document.file_name,
        mimeType: document.mime_type,
        size: document.file_size,
      },
    };
  }
  return undefined;
}

/**
 * Opens the file as a stream. The download URL contains the bot token: it is built here and
 * goes nowhere else (not into errors, not into logs).
 */
export async function openFileStream(
  api: Api,
  apiRoot: string,
  file: IncomingFile,
): Promise<ReadableStream<Uint8Array>> {
  if ((file.meta.size ?? 0) > BOT_DOWNLOAD_LIMIT) throw new FileTooBigError();
  let path: string | undefined;
  try {
    path = (await api.getFile(file.fileId)).file_path;
  } catch (error) {
    if ((error as { description?: string }).description?.includes("too big")) {
      throw new FileTooBigError();
    }
    throw error;
  }
  if (!path) throw new Error("getFile returned no file path");
  let response: Response;
  try {
    response = await fetch(`${apiRoot}/file/bot${api.token}/${path}`);
  } catch {
    throw new Error("file download failed");
  }
  if (!response.ok || !response.body) throw new Error(`file download failed (${response.status})`);
  return response.body;
}
