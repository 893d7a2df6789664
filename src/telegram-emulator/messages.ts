// Small helpers over messages and files shared by the emulator and its simulated users.
import { randomBytes } from "node:crypto";
import type { InlineKeyboardButton, Message, MessageEntity } from "grammy/types";
import type { Bytes } from "./types.js";

export const words = (list: string) => list.split(" ");

/** Content types by file extension (what Telegram reports for common files). */
const MIME: Record<string, string> = Object.fromEntries(
  words(
    "pdf=application/pdf txt=text/plain json=application/json zip=application/zip jpg=image/jpeg " +
      "jpeg=image/jpeg png=image/png ogg=audio/ogg oga=audio/ogg mp3=audio/mpeg mp4=video/mp4 " +
      "asc=application/pgp-encrypted gpg=application/pgp-encrypted pgp=application/pgp-encrypted",
  ).map((pair) => pair.split("=")),
);
export const randomId = (n = 16) => randomBytes(n).toString("base64url").slice(0, n);
export const toBytes = (b: Bytes): Uint8Array | null =>
  typeof b === "string" ? new TextEncoder().encode(b) : b;
export const extOf = (name?: string) =>
  /\.([A-Za-z0-9]{1,8})$/.exec(name ?? "")?.[1]?.toLowerCase();
export const guessMime = (name?: string) => MIME[extOf(name) ?? ""] ?? "application/octet-stream";

/** Drops undefined fields so messages compare and serialise like Telegram's. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function commandEntities(text: string): MessageEntity[] | undefined {
  const m = /^\/[A-Za-z0-9_]+(@\w+)?/.exec(text);
  return m ? [{ type: "bot_command", offset: 0, length: m[0].length }] : undefined;
}

export const matches = (label: string | RegExp, text: string) =>
  typeof label === "string" ? text === label : label.test(text);

export function inlineButtons(m: Message): InlineKeyboardButton[] {
  return m.reply_markup?.inline_keyboard.flat() ?? [];
}

/** The file_id a message carries (largest photo size), if any. */
export function messageFileId(m: Message): string | undefined {
  return (
    m.document ??
    m.photo?.at(-1) ??
    m.voice ??
    m.audio ??
    m.video ??
    m.video_note ??
    m.sticker ??
    m.animation
  )?.file_id;
}

/** One line describing a message, for error messages that show what the chat looks like. */
export function summary(m: Message): string {
  const kinds = ["document", "photo", "voice", "audio", "video", "sticker", "location", "contact"];
  const body = m.text ?? m.caption ?? `<${kinds.find((k) => k in m) ?? "message"}>`;
  const buttons = inlineButtons(m).map((b) => b.text);
  return `${JSON.stringify(body.length > 120 ? `${body.slice(0, 120)}…` : body)}${
    buttons.length ? ` [buttons: ${buttons.join(" | ")}]` : ""
  }`;
}
