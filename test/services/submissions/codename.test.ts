import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CODENAME_LOCALES,
  CODENAME_SCRYPT,
  CODENAME_WORDS,
  type CodenameLocale,
  codenameEntropyBits,
  generateCodename,
  hashCodename,
  lookAlikes,
  looksLikeCodename,
  normaliseCodename,
  parseWordlist,
  wordlist,
} from "../../../src/services/submissions/codename.js";

const pepper = new Uint8Array(32).fill(7);
const otherPepper = new Uint8Array(32).fill(8);

/** Words at Damerau–Levenshtein distance 1 (one substitution, insertion, deletion or swap). */
function oneEditPairs(words: readonly string[]): string[] {
  const set = new Set(words);
  const pairs = new Set<string>();
  const note = (a: string, b: string) => pairs.add([a, b].sort().join("/"));
  const byWildcard = new Map<string, string>();
  for (const word of words) {
    const letters = [...word];
    for (let i = 0; i < letters.length; i++) {
      const key = `${letters.slice(0, i).join("")}*${letters.slice(i + 1).join("")}`;
      const other = byWildcard.get(key);
      if (other !== undefined) note(word, other);
      else byWildcard.set(key, word);
      const deleted = key.replace("*", "");
      if (set.has(deleted)) note(word, deleted);
      if (i + 1 < letters.length && letters[i] !== letters[i + 1]) {
        const swapped = [...letters];
        [swapped[i], swapped[i + 1]] = [letters[i + 1] as string, letters[i] as string];
        if (set.has(swapped.join(""))) note(word, swapped.join(""));
      }
    }
  }
  return [...pairs];
}

function differingPositions(a: string, b: string): number {
  const x = a.split(" ");
  const y = b.split(" ");
  expect(x).toHaveLength(y.length);
  return x.filter((word, i) => word !== y[i]).length;
}

describe("word lists", () => {
  it.each(CODENAME_LOCALES)("%s has 2048 distinct lowercase words", (locale) => {
    const words = wordlist(locale);
    expect(words).toHaveLength(2048);
    expect(new Set(words).size).toBe(2048);
    for (const word of words) {
      expect(word).toBe(word.toLowerCase());
      expect(word).toBe(word.trim());
      expect(normaliseCodename(word)).toBe(word);
    }
  });

  it("loads once and cannot be changed by callers", () => {
    const words = wordlist("ru");
    expect(wordlist("ru")).toBe(words);
    expect(Object.isFrozen(words)).toBe(true);
  });

  it("Russian words are 3–8 Cyrillic letters, never «ё»", () => {
    for (const word of wordlist("ru")) {
      expect(word).toMatch(/^[а-я]{3,8}$/);
      expect(word).not.toContain("ё");
    }
  });

  it("no two Russian words are one typo apart", () => {
    expect(oneEditPairs(wordlist("ru"))).toEqual([]);
  });

  it("English is BIP39 with the words that would alarm on a written note replaced", () => {
    const file = readFileSync(
      new URL("../../../src/services/submissions/wordlists/en.txt", import.meta.url),
    );
    expect(createHash("sha256").update(file).digest("hex")).toBe(
      "6a09218517410c2c37198d01b6239b9edea5cbb365e95355ca889512b5b1a455",
    );
    const alarming = [
      "army",
      "soldier",
      "weapon",
      "gun",
      "bomb",
      "prison",
      "desert",
      "escape",
      "spy",
      "police",
      "knife",
    ];
    expect(wordlist("en").filter((word) => alarming.includes(word))).toEqual([]);
    for (const word of wordlist("en")) expect(word).toMatch(/^[a-z]{3,8}$/);
  });

  it("the lists share no word", () => {
    const ru = new Set(wordlist("ru"));
    expect(wordlist("en").filter((word) => ru.has(word))).toEqual([]);
  });

  it("a bad list is refused with a clear error", () => {
    const good = wordlist("en");
    expect(() => parseWordlist(good.slice(1).join("\n"), "en")).toThrow(
      /has 2047 words, expected exactly 2048/,
    );
    const repeated = [...good.slice(1), good[2]].join("\n");
    expect(() => parseWordlist(repeated, "en")).toThrow(/repeats 1 word/);
    const capital = ["Abandon", ...good.slice(1)].join("\n");
    expect(() => parseWordlist(capital, "en")).toThrow(/not lowercase en letters/);
    const yo = ["ёлка", ...wordlist("ru").slice(1)].join("\n");
    expect(() => parseWordlist(yo, "ru")).toThrow(/not lowercase ru letters/);
    expect(parseWordlist(`${good.join("\r\n")}\r\n\r\n`, "en")).toEqual(good);
  });

  it("an unknown locale is refused", () => {
    expect(() => wordlist("de" as CodenameLocale)).toThrow(/No codename word list for locale "de"/);
  });
});

describe("entropy", () => {
  it.each(CODENAME_LOCALES)("%s codenames carry at least 80 bits", (locale) => {
    expect(CODENAME_WORDS).toBe(8);
    expect(codenameEntropyBits(locale)).toBeGreaterThanOrEqual(80);
    expect(codenameEntropyBits(locale)).toBe(88);
  });
});

describe("generateCodename", () => {
  it.each(CODENAME_LOCALES)("%s: 8 words of that list, single spaces, normalised", (locale) => {
    const own = new Set(wordlist(locale));
    for (let i = 0; i < 50; i++) {
      const codename = generateCodename(locale);
      const words = codename.split(" ");
      expect(words).toHaveLength(8);
      for (const word of words) expect(own.has(word)).toBe(true);
      expect(normaliseCodename(codename)).toBe(codename);
      expect(looksLikeCodename(codename)).toBe(true);
    }
  });

  it("1000 codenames are all different", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(generateCodename(i % 2 ? "ru" : "en"));
    expect(seen.size).toBe(1000);
  });

  it("uses the whole list", () => {
    const used = new Set<string>();
    for (let i = 0; i < 2000; i++)
      for (const word of generateCodename("en").split(" ")) used.add(word);
    // 16000 draws from 2048 words leave about 2048·e^-7.8 ≈ 1 word unused.
    expect(used.size).toBeGreaterThan(2030);
  });
});

describe("normaliseCodename", () => {
  it("handles case, «ё», extra spaces, hyphens, punctuation and line breaks", () => {
    expect(normaliseCodename("  Лужайка   МЁД-свет,\nстужа.  Ёж_ёлка\r\n\tзонт ")).toBe(
      "лужайка мед свет стужа еж елка зонт",
    );
    expect(normaliseCodename("Abandon—ABILITY – able…about\u00a0above")).toBe(
      "abandon ability able about above",
    );
    expect(normaliseCodename("кот\u200bик")).toBe("котик");
    expect(normaliseCodename("е\u0308ж")).toBe("еж");
    expect(normaliseCodename(" \n ")).toBe("");
  });

  it("does not merge Cyrillic and Latin look-alikes", () => {
    const latinA = "c\u0430д"; // Latin c, Cyrillic а, д
    expect(normaliseCodename(latinA)).not.toBe(normaliseCodename("сад"));
    expect(normaliseCodename("Сaд")).toBe("сaд"); // Cyrillic С lowercased, Latin a kept
  });
});

describe("looksLikeCodename", () => {
  it("accepts codenames however they are typed", () => {
    const codename = generateCodename("ru");
    const typed = codename.replaceAll("е", "ё").toUpperCase().split(" ").join(" - ");
    expect(looksLikeCodename(typed)).toBe(true);
    expect(looksLikeCodename(generateCodename("en").split(" ").join("\n"))).toBe(true);
  });

  it("rejects other text", () => {
    const words = generateCodename("ru").split(" ");
    expect(looksLikeCodename(words.slice(0, 7).join(" "))).toBe(false);
    expect(looksLikeCodename([...words, "лужайка"].join(" "))).toBe(false);
    expect(looksLikeCodename([...words.slice(0, 7), "zzzz"].join(" "))).toBe(false);
    expect(looksLikeCodename("Я служил в части с весны, потом нас перевели под город")).toBe(false);
    expect(looksLikeCodename("")).toBe(false);
    expect(looksLikeCodename(`${words.join(" ")} ${" ".repeat(2000)}`)).toBe(false);
  });
});

describe("hashCodename", () => {
  it("is a slow scrypt with the agreed parameters", async () => {
    expect(CODENAME_SCRYPT).toMatchObject({ N: 2 ** 15, r: 8, p: 1, keyLength: 32 });
    const started = performance.now();
    await hashCodename(pepper, generateCodename("en"));
    expect(performance.now() - started).toBeGreaterThan(10);
  });

  it("is deterministic, hex, and does not contain the codename", async () => {
    const codename = generateCodename("ru");
    const hash = await hashCodename(pepper, codename);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashCodename(pepper, codename)).toBe(hash);
    for (const word of codename.split(" ")) expect(hash).not.toContain(word);
    expect(hash).not.toContain(Buffer.from(codename).toString("hex"));
  });

  it("differs for different codenames and different peppers", async () => {
    const codename = generateCodename("en");
    const [other] = lookAlikes(codename, "en", 1);
    const hash = await hashCodename(pepper, codename);
    expect(await hashCodename(pepper, other as string)).not.toBe(hash);
    expect(await hashCodename(otherPepper, codename)).not.toBe(hash);
  });

  it("is the same for differently typed forms of one codename", async () => {
    const codename = "лужайка медведь свет стужа ежевика береза зонт метель";
    const hash = await hashCodename(pepper, codename);
    expect(
      await hashCodename(pepper, "Лужайка-Медведь-Свет-Стужа\nЕжевика Берёза, зонт. метель"),
    ).toBe(hash);
    expect(await hashCodename(pepper, `  ${codename.toUpperCase()}  `)).toBe(hash);
  });

  it("refuses an empty codename or pepper", async () => {
    await expect(hashCodename(pepper, " - ")).rejects.toThrow(/must not be empty/);
    await expect(hashCodename(new Uint8Array(0), "abandon")).rejects.toThrow(/pepper/);
  });
});

describe("lookAlikes", () => {
  it.each(CODENAME_LOCALES)(
    "%s: differ in one or two words, from the real one and each other",
    (locale) => {
      const own = new Set(wordlist(locale));
      const counts = new Set<number>();
      for (let i = 0; i < 100; i++) {
        const codename = generateCodename(locale);
        const alikes = lookAlikes(codename, locale);
        expect(alikes).toHaveLength(2);
        const [a, b] = alikes as [string, string];
        expect(a).not.toBe(b);
        expect(differingPositions(a, b)).toBeGreaterThan(0);
        for (const alike of alikes) {
          expect(alike).not.toBe(codename);
          const differs = differingPositions(alike, codename);
          expect(differs).toBeGreaterThanOrEqual(1);
          expect(differs).toBeLessThanOrEqual(2);
          counts.add(differs);
          for (const word of alike.split(" ")) expect(own.has(word)).toBe(true);
        }
      }
      expect(counts).toEqual(new Set([1, 2]));
    },
  );

  it("gives as many as asked, all distinct, for a codename typed loosely", () => {
    const codename = generateCodename("ru");
    const alikes = lookAlikes(codename.toUpperCase().replaceAll(" ", "-"), "ru", 10);
    expect(alikes).toHaveLength(10);
    expect(new Set([...alikes, codename]).size).toBe(11);
    expect(lookAlikes(codename, "ru", 0)).toEqual([]);
  });

  it("refuses something that is not a codename of that locale", () => {
    expect(() => lookAlikes(generateCodename("en"), "ru")).toThrow(/not a ru codename/);
    expect(() => lookAlikes("лужайка стужа", "ru")).toThrow(/not a ru codename/);
    expect(() => lookAlikes(generateCodename("ru"), "ru", -1)).toThrow(RangeError);
  });
});
