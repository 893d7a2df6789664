// Formatted text as Telegram parses it: HTML into plain text plus entities (bold, links, code…),
// MarkdownV2 into plain text; the same error messages for bad markup.
import type { MessageEntity } from "grammy/types";
import { words } from "./messages.js";
import { bad } from "./wire.js";

export interface FormattedText {
  text: string;
  entities?: MessageEntity[];
}

const HTML_TAGS = new Set(
  words("b strong i em u ins s strike del span tg-spoiler a tg-emoji code pre blockquote"),
);
const SIMPLE_ENTITIES: Record<string, MessageEntity["type"]> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
};
const NAMED_CHARACTERS: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

function decodeCharacters(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/gi, (_, e: string) => {
    const named = NAMED_CHARACTERS[e.toLowerCase()];
    if (named) return named;
    const hex = e[1] === "x" || e[1] === "X";
    return String.fromCodePoint(hex ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });
}

interface OpenTag {
  name: string;
  attributes: string;
  start: number;
}

/** The entity a closed tag makes, or none (an empty range, a plain span, a custom emoji). */
function entityOf(tag: OpenTag, end: number, insidePre: boolean): MessageEntity | undefined {
  const length = end - tag.start;
  if (length <= 0) return undefined;
  const offset = tag.start;
  if (tag.name === "a") {
    const url = /href\s*=\s*"([^"]*)"/i.exec(tag.attributes)?.[1];
    return url ? { type: "text_link", offset, length, url: decodeCharacters(url) } : undefined;
  }
  if (tag.name === "span") {
    return /class\s*=\s*"tg-spoiler"/i.test(tag.attributes)
      ? { type: "spoiler", offset, length }
      : undefined;
  }
  if (tag.name === "code" && insidePre) return undefined; // <pre><code> is one pre block
  if (tag.name === "blockquote" && /\bexpandable\b/i.test(tag.attributes)) {
    return { type: "expandable_blockquote", offset, length };
  }
  const type = SIMPLE_ENTITIES[tag.name];
  return type ? ({ type, offset, length } as MessageEntity) : undefined;
}

/** Plain text and entities of an HTML-formatted message; rejects tags Telegram rejects. */
export function parseHtml(src: string): FormattedText {
  const byteOffset = (i: number) => Buffer.byteLength(src.slice(0, i));
  const open: OpenTag[] = [];
  const entities: MessageEntity[] = [];
  let text = "";
  let last = 0;
  const addText = (from: number, to: number) => {
    const segment = src.slice(from, to);
    const lone = segment.indexOf("<");
    if (lone >= 0) {
      throw bad(
        `can't parse entities: Unsupported start tag "" at byte offset ${byteOffset(from + lone)}`,
      );
    }
    text += decodeCharacters(segment);
  };
  for (const match of src.matchAll(/<(\/?)([^\s>/]*)([^>]*)>/g)) {
    const index = match.index;
    addText(last, index);
    last = index + match[0].length;
    const name = (match[2] ?? "").toLowerCase();
    if (!HTML_TAGS.has(name)) {
      throw bad(
        `can't parse entities: Unsupported start tag "${name}" at byte offset ${byteOffset(index)}`,
      );
    }
    if (!match[1]) {
      open.push({ name, attributes: match[3] ?? "", start: text.length });
      continue;
    }
    const tag = open.pop();
    if (tag?.name !== name) {
      throw bad(`can't parse entities: Unexpected end tag at byte offset ${byteOffset(index)}`);
    }
    const entity = entityOf(
      tag,
      text.length,
      open.some((t) => t.name === "pre"),
    );
    if (entity) entities.push(entity);
  }
  addText(last, src.length);
  if (open.length) {
    throw bad(
      `can't parse entities: Can't find end tag corresponding to start tag "${open[0]?.name}"`,
    );
  }
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return entities.length > 0 ? { text, entities } : { text };
}

/** Plain text of a MarkdownV2 message; unescaped reserved characters fail like on Telegram. */
export function parseMarkdownV2(src: string): string {
  let out = "";
  let code = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === "\\") {
      out += src[++i] ?? "";
    } else if (c === "`") {
      code = !code;
    } else if (code) {
      out += c;
    } else if (c === "(" && src[i - 1] === "]") {
      i = src.indexOf(")", i); // link target is not text
      if (i < 0) throw bad("can't parse entities: Can't find end of a URL");
    } else if ("_*~|[]".includes(c) || (c === ">" && (i === 0 || src[i - 1] === "\n"))) {
      // formatting markers
    } else if ("()>#+-={}.!".includes(c)) {
      throw bad(
        `can't parse entities: Character '${c}' is reserved and must be escaped with the preceding '\\'`,
      );
    } else out += c;
  }
  return out;
}

/** Text as Telegram stores it: HTML gives entities; MarkdownV2 only its plain text here. */
export function renderText(text: unknown, parseMode: unknown): FormattedText {
  if (typeof text !== "string") return { text: "" };
  if (parseMode === "HTML") return parseHtml(text);
  if (parseMode === "MarkdownV2") return { text: parseMarkdownV2(text) };
  if (parseMode === undefined || parseMode === "Markdown") return { text };
  throw bad("unsupported parse_mode");
}
