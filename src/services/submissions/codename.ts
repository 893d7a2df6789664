// Codename receipts (DESIGN.md §3 invariant 7, §7 lesson 2).
// At submission a source gets 8 words from a 2048-word list in their language (88 bits), shown
// once. It is the only way back to the testimony; the server keeps only a slow, peppered hash
// of it as a lookup key. Plain TypeScript over node:crypto: no grammY, no openpgp here.
import { createHmac, randomInt, scrypt } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CODENAME_LOCALES = ["ru", "en"] as const;
export type CodenameLocale = (typeof CODENAME_LOCALES)[number];

/** Words in one codename: 8 × log2(2048) = 88 bits. */
export const CODENAME_WORDS = 8;
/** Every list has exactly this many distinct words (11 bits per word). */
export const WORDLIST_SIZE = 2048;

/**
 * scrypt cost for codename hashes: 128 · N · r = 32 MiB of memory and tens of milliseconds per
 * guess. The codename already carries 88 bits; this makes every guess expensive on top of that.
 */
export const CODENAME_SCRYPT = {
  N: 2 ** 15,
  r: 8,
  p: 1,
  keyLength: 32,
  // OpenSSL needs a little more than 128 · N · r, so the default (32 MiB) is not enough.
  maxmem: 64 * 1024 * 1024,
} as const;

const WORDLIST_FILES: Record<CodenameLocale, URL> = {
  ru: new URL("./wordlists/ru.txt", import.meta.url),
  en: new URL("./wordlists/en.txt", import.meta.url),
};

/** Letters a word of each list may contain. The Russian list has no «ё» at all. */
const WORD_PATTERN: Record<CodenameLocale, RegExp> = {
  ru: /^[абвгдежзийклмнопрстуфхцчшщъыьэюя]+$/,
  en: /^[a-z]+$/,
};

/** Longer input is never a codename: answers are not normalised just to be rejected. */
const MAX_CODENAME_INPUT = 1000;

export function isCodenameLocale(value: unknown): value is CodenameLocale {
  return (CODENAME_LOCALES as readonly unknown[]).includes(value);
}

/**
 * Parses and validates one word list (one word per line). Throws unless it holds exactly
 * WORDLIST_SIZE distinct lowercase words of the locale's alphabet.
 */
export function parseWordlist(
  text: string,
  locale: CodenameLocale,
  source: string = locale,
): string[] {
  const words = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const problems: string[] = [];
  if (words.length !== WORDLIST_SIZE) {
    problems.push(`has ${words.length} words, expected exactly ${WORDLIST_SIZE}`);
  }
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const word of words) {
    if (seen.has(word)) duplicates.add(word);
    seen.add(word);
  }
  if (duplicates.size > 0) {
    problems.push(`repeats ${duplicates.size} word(s), e.g. "${[...duplicates][0]}"`);
  }
  const invalid = words.filter((word) => !WORD_PATTERN[locale].test(word));
  if (invalid.length > 0) {
    problems.push(
      `has ${invalid.length} word(s) that are not lowercase ${locale} letters only, e.g. "${invalid[0]}"`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`Codename word list "${locale}" (${source}) ${problems.join("; ")}`);
  }
  return words;
}

interface LoadedList {
  words: readonly string[];
  set: ReadonlySet<string>;
}

const loaded = new Map<CodenameLocale, LoadedList>();

function load(locale: CodenameLocale): LoadedList {
  if (!isCodenameLocale(locale)) {
    throw new Error(`No codename word list for locale "${String(locale)}"`);
  }
  let list = loaded.get(locale);
  if (!list) {
    const file = WORDLIST_FILES[locale];
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(`Codename word list "${locale}" cannot be read at ${fileURLToPath(file)}`, {
        cause: error,
      });
    }
    const words = Object.freeze(parseWordlist(text, locale, fileURLToPath(file)));
    list = { words, set: new Set(words) };
    loaded.set(locale, list);
  }
  return list;
}

/** The locale's word list: loaded and validated once, then cached (frozen). */
export function wordlist(locale: CodenameLocale): readonly string[] {
  return load(locale).words;
}

/** Bits of entropy of a generated codename: words × log2(list size). */
export function codenameEntropyBits(locale: CodenameLocale): number {
  return CODENAME_WORDS * Math.log2(wordlist(locale).length);
}

/** crypto.randomInt: uniform (rejection sampling, no modulo bias), from the CSPRNG. */
function randomWord(words: readonly string[]): string {
  const word = words[randomInt(words.length)];
  if (word === undefined) throw new Error("Codename word list is empty");
  return word;
}

/** A fresh codename: CODENAME_WORDS random words of the locale's list, joined by single spaces. */
export function generateCodename(locale: CodenameLocale): string {
  const { words } = load(locale);
  return Array.from({ length: CODENAME_WORDS }, () => randomWord(words)).join(" ");
}

/**
 * What people actually type back, made comparable: Unicode NFKC, lowercase, «ё» → «е»,
 * invisible characters dropped, and every run of whitespace (line breaks too), hyphens and
 * dashes, commas, dots and underscores turned into one space; trimmed. Cyrillic and Latin
 * look-alike letters are NOT merged: the two lists are separate.
 * A generated codename is already in this form.
 */
export function normaliseCodename(input: string): string {
  return input
    .normalize("NFKC")
    .toLowerCase()
    .replace(/ё/g, "е")
    .replace(/[\u00ad\u200b-\u200d\u2060\ufeff]/g, "")
    .replace(/[\s\-\u2010-\u2015\u2212_.,\u2026]+/gu, " ")
    .trim();
}

/** True if the input, once normalised, is CODENAME_WORDS words, each from one of the lists. */
export function looksLikeCodename(input: string): boolean {
  if (input.length > MAX_CODENAME_INPUT) return false;
  const words = normaliseCodename(input).split(" ");
  if (words.length !== CODENAME_WORDS) return false;
  const lists = CODENAME_LOCALES.map((locale) => load(locale).set);
  return words.every((word) => lists.some((set) => set.has(word)));
}

function scryptAsync(password: Buffer, salt: Buffer): Promise<Buffer> {
  const { N, r, p, keyLength, maxmem } = CODENAME_SCRYPT;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { N, r, p, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/**
 * The only form of a codename the server stores: scrypt over the normalised codename (hex).
 * The salt is HMAC-SHA256(pepper, "codename-salt"), so the hash is deterministic per deployment
 * (usable as a lookup key) and useless without the pepper. Slow on purpose: tens of ms, 32 MiB.
 */
export async function hashCodename(pepper: Uint8Array, codename: string): Promise<string> {
  if (pepper.length === 0) throw new Error("hashCodename: the pepper must not be empty");
  const normalised = normaliseCodename(codename);
  if (normalised.length === 0) throw new Error("hashCodename: the codename must not be empty");
  const salt = createHmac("sha256", pepper).update("codename-salt").digest();
  const key = await scryptAsync(Buffer.from(normalised, "utf8"), salt);
  return key.toString("hex");
}

/**
 * Codenames that differ from the real one in one or two words (random positions, random
 * replacement words from the same list), for "pick your codename from three". Never equal to
 * the real codename, all distinct from each other. Returned in normalised form.
 */
export function lookAlikes(codename: string, locale: CodenameLocale, count = 2): string[] {
  const { words: list, set } = load(locale);
  const original = normaliseCodename(codename).split(" ");
  if (original.length !== CODENAME_WORDS || !original.every((word) => set.has(word))) {
    throw new Error(`lookAlikes: not a ${locale} codename of ${CODENAME_WORDS} words`);
  }
  if (!Number.isSafeInteger(count) || count < 0 || count > 100) {
    throw new RangeError("lookAlikes: count must be an integer from 0 to 100");
  }
  const real = original.join(" ");
  const results = new Set<string>();
  while (results.size < count) {
    const words = [...original];
    const changes = randomInt(1, 3); // one or two words
    const positions = new Set<number>();
    while (positions.size < changes) positions.add(randomInt(CODENAME_WORDS));
    for (const position of positions) {
      let replacement = randomWord(list);
      while (replacement === original[position]) replacement = randomWord(list);
      words[position] = replacement;
    }
    const candidate = words.join(" ");
    if (candidate !== real) results.add(candidate);
  }
  return [...results];
}
