import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  abandonedQuestions,
  acceptsMedia,
  type Choices,
  DEFAULT_QUESTIONNAIRE_PATH,
  firstQuestion,
  getQuestion,
  isChoiceOption,
  isVisible,
  loadQuestionnaire,
  localeKeysFor,
  MEDIA_KINDS,
  nextQuestion,
  parseQuestionnaire,
  previousQuestion,
  pruneChoices,
  type Question,
  type Questionnaire,
  QuestionnaireError,
  validateText,
  validateYear,
  visibleQuestions,
} from "../../../src/services/interview/questionnaire.js";

const shipped = loadQuestionnaire(DEFAULT_QUESTIONNAIRE_PATH);

function question(q: Questionnaire, id: string): Question {
  const found = getQuestion(q, id);
  if (!found) throw new Error(`no question ${id}`);
  return found;
}

function ids(questions: readonly Question[]): string[] {
  return questions.map((item) => item.id);
}

function localeMessages(locale: string): Map<string, string> {
  const path = fileURLToPath(new URL(`../../../locales/${locale}.ftl`, import.meta.url));
  const messages = new Map<string, string>();
  let current: string | undefined;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^([a-zA-Z][\w-]*)\s*=(.*)$/.exec(line);
    if (match?.[1]) {
      current = match[1];
      messages.set(current, match[2] ?? "");
    } else if (current && /^\s+\S/.test(line)) {
      messages.set(current, `${messages.get(current)}\n${line.trim()}`);
    } else {
      current = undefined;
    }
  }
  return messages;
}

const consent = { id: "consent", type: "yesno", required: true };

function problemsOf(json: unknown): string[] {
  try {
    parseQuestionnaire(json, "test.json");
  } catch (error) {
    if (error instanceof QuestionnaireError) return error.problems;
    throw error;
  }
  return [];
}

function withQuestions(...questions: unknown[]) {
  return { id: "t", version: 1, questions: [consent, ...questions] };
}

// A chain: served → unit_kind (only if served) → unit_story (only if unit_kind is combat).
const chain = parseQuestionnaire(
  withQuestions(
    { id: "served", type: "yesno" },
    {
      id: "unit_kind",
      type: "multi",
      options: ["combat", "rear"],
      showIf: { question: "served", in: ["yes"] },
    },
    { id: "unit_story", type: "text", showIf: { question: "unit_kind", in: ["combat"] } },
    { id: "last", type: "text" },
  ),
  "chain",
);

describe("the shipped questionnaire", () => {
  it("loads, starts with a required consent and keeps everything else optional", () => {
    expect(shipped.id).toBe("testimony");
    expect(firstQuestion(shipped)).toMatchObject({ id: "consent", type: "yesno", required: true });
    expect(shipped.questions.filter((item) => item.required).map((item) => item.id)).toEqual([
      "consent",
    ]);
    expect(shipped.questions.length).toBeGreaterThanOrEqual(12);
    expect(shipped.questions.length).toBeLessThanOrEqual(17);
  });

  it("warns before the media question and keeps only the evidence question original", () => {
    expect(question(shipped, "materials")).toMatchObject({ mediaWarning: true, evidence: false });
    expect(shipped.questions.filter((item) => item.evidence).map((item) => item.id)).toEqual([
      "originals",
    ]);
  });

  for (const locale of ["ru", "en"]) {
    it(`has every message it needs in locales/${locale}.ftl, and no stray q- ids`, () => {
      const messages = localeMessages(locale);
      const needed = localeKeysFor(shipped);
      expect(needed.filter((key) => !messages.has(key))).toEqual([]);
      const questionIds = [...messages.keys()].filter((key) => key.startsWith("q-"));
      expect(questionIds.filter((key) => !needed.includes(key))).toEqual([]);
      for (const key of needed) expect(messages.get(key)?.trim(), key).not.toBe("");
    });
  }

  it("lists question, help and option ids", () => {
    const keys = localeKeysFor(shipped);
    expect(keys.slice(0, 5)).toEqual([
      "q-consent",
      "q-consent-help",
      "q-consent-short",
      "q-consent-opt-yes",
      "q-consent-opt-no",
    ]);
    expect(keys).toContain("q-role_other-help");
    expect(keys).toContain("q-witnessed-opt-other");
    expect(keys).toContain("q-departure-opt-left_unit");
  });

  it("never asks for a name, a unit number, a phone, documents or exact dates", () => {
    const identifying =
      /name|phone|unit_number|unit_no|passport|address|birth|date|email|contact_info/;
    expect(shipped.questions.map((item) => item.id).filter((id) => identifying.test(id))).toEqual(
      [],
    );
    const asks = {
      ru: /ФИО|фамил|имя|номер (?:вашей )?части|телефон|паспорт|адрес|дат[ау] рождения/i,
      en: /full name|surname|your name|unit number|phone|passport|address|date of birth/i,
    };
    for (const locale of ["ru", "en"] as const) {
      const messages = localeMessages(locale);
      for (const item of shipped.questions) {
        const text = messages.get(`q-${item.id}`) ?? "";
        if (item.id === "consent") {
          // Consent names these only to say what not to write.
          const warning = locale === "ru" ? /не пишите[^\n]*телефон/ : /do not write[^\n]*phone/;
          expect(text).toMatch(warning);
          continue;
        }
        expect(text, `q-${item.id} (${locale})`).not.toMatch(asks[locale]);
      }
    }
  });
});

describe("branching in the shipped questionnaire", () => {
  it("asks what the other role was only after 'other'", () => {
    const roleOther = question(shipped, "role_other");
    expect(isVisible(shipped, roleOther, {})).toBe(false);
    expect(isVisible(shipped, roleOther, { role: ["other"] })).toBe(true);
    for (const role of ["conscript", "mobilised", "contract", "officer", "volunteer"]) {
      expect(isVisible(shipped, roleOther, { role: [role] }), role).toBe(false);
    }
    expect(nextQuestion(shipped, "role", { role: ["other"] })?.id).toBe("role_other");
    expect(nextQuestion(shipped, "role", { role: ["officer"] })?.id).toBe("branch");
  });

  it("asks how it happened only for the ways of leaving", () => {
    const story = question(shipped, "departure_story");
    const leaving = [
      "refused_orders",
      "left_unit",
      "deserted_abroad",
      "wounded_discharged",
      "other",
    ];
    for (const option of leaving) {
      expect(isVisible(shipped, story, { departure: [option] }), option).toBe(true);
    }
    for (const option of ["still_serving", "prefer_not_to_say"]) {
      expect(isVisible(shipped, story, { departure: [option] }), option).toBe(false);
    }
    expect(isVisible(shipped, story, {})).toBe(false);
  });

  it("skips hidden questions going forward and back", () => {
    const choices: Choices = { consent: ["yes"], role: ["contract"], departure: ["still_serving"] };
    expect(nextQuestion(shipped, "consent", choices)?.id).toBe("role");
    expect(nextQuestion(shipped, "role", choices)?.id).toBe("branch");
    expect(previousQuestion(shipped, "branch", choices)?.id).toBe("role");
    expect(nextQuestion(shipped, "departure", choices)?.id).toBe("situation");
    expect(previousQuestion(shipped, "situation", choices)?.id).toBe("departure");

    const other: Choices = { ...choices, role: ["other"], departure: ["left_unit"] };
    expect(previousQuestion(shipped, "branch", other)?.id).toBe("role_other");
    expect(nextQuestion(shipped, "departure", other)?.id).toBe("departure_story");
    expect(previousQuestion(shipped, "situation", other)?.id).toBe("departure_story");
  });

  it("ends after the last question and has nothing before the first", () => {
    expect(nextQuestion(shipped, "anything_else", {})).toBeUndefined();
    expect(previousQuestion(shipped, "consent", {})).toBeUndefined();
    expect(ids(visibleQuestions(shipped, {}))).not.toContain("role_other");
    expect(ids(visibleQuestions(shipped, {})).at(-1)).toBe("anything_else");
  });

  it("refuses an unknown current question instead of guessing a position", () => {
    expect(() => nextQuestion(shipped, "gone", {})).toThrow(QuestionnaireError);
    expect(() => previousQuestion(shipped, "gone", {})).toThrow(/no question "gone"/);
    expect(getQuestion(shipped, "gone")).toBeUndefined();
  });
});

describe("abandoned branches", () => {
  it("returns the follow-up when the role changes from other to conscript", () => {
    expect(abandonedQuestions(shipped, { role: ["other"] }, { role: ["conscript"] })).toEqual([
      "role_other",
    ]);
    expect(abandonedQuestions(shipped, { role: ["conscript"] }, { role: ["other"] })).toEqual([]);
    expect(abandonedQuestions(shipped, { role: ["other"] }, { role: ["other"] })).toEqual([]);
  });

  it("cascades through a chain of conditions, even with a stale answer left in the middle", () => {
    const before: Choices = { served: ["yes"], unit_kind: ["combat"] };
    const after: Choices = { served: ["no"], unit_kind: ["combat"] };
    expect(abandonedQuestions(chain, before, after)).toEqual(["unit_kind", "unit_story"]);
    expect(pruneChoices(chain, after)).toEqual({ served: ["no"] });
  });

  it("drops only the deepest branch when the middle answer changes", () => {
    const before: Choices = { served: ["yes"], unit_kind: ["combat", "rear"] };
    expect(abandonedQuestions(chain, before, { served: ["yes"], unit_kind: ["rear"] })).toEqual([
      "unit_story",
    ]);
    expect(abandonedQuestions(chain, before, { served: ["yes"], unit_kind: ["combat"] })).toEqual(
      [],
    );
  });

  it("forgets choices of unknown questions", () => {
    expect(pruneChoices(chain, { served: ["yes"], old_question: ["x"] })).toEqual({
      served: ["yes"],
    });
  });
});

describe("parseQuestionnaire", () => {
  it("accepts a minimal questionnaire and fills in defaults", () => {
    const q = parseQuestionnaire(withQuestions({ id: "files", type: "media" }), "t");
    expect(question(q, "files")).toEqual({
      id: "files",
      type: "media",
      required: false,
      maxAttachments: 10,
      evidence: false,
      mediaWarning: false,
    });
  });

  const cases: [string, unknown[], RegExp][] = [
    [
      "an unknown type",
      [{ id: "where", type: "dropdown" }],
      /questions\[1\] "where": type: unknown type "dropdown"/,
    ],
    ["a missing type", [{ id: "where" }], /questions\[1\] "where": type: missing/],
    ["a bad id", [{ id: "Where Exactly", type: "text" }], /questions\[1\] "Where Exactly": id:/],
    ["an unknown field", [{ id: "where", type: "text", showif: {} }], /"where": .*showif/],
    [
      "a duplicate id",
      [
        { id: "where", type: "text" },
        { id: "where", type: "year" },
      ],
      /questions\[2\] "where": id is already used by questions\[1\]/,
    ],
    [
      "a choice without options",
      [{ id: "role", type: "choice" }],
      /questions\[1\] "role": options: a choice question needs at least two options/,
    ],
    [
      "a multi with one option",
      [{ id: "kinds", type: "multi", options: ["a"] }],
      /"kinds": options: a multi question needs/,
    ],
    [
      "a repeated option",
      [{ id: "role", type: "choice", options: ["a", "b", "a"] }],
      /"role": options: "a" appears twice/,
    ],
    [
      "options on a text question",
      [{ id: "where", type: "text", options: ["a", "b"] }],
      /"where": options: only choice and multi/,
    ],
    [
      "evidence on a text question",
      [{ id: "where", type: "text", evidence: true }],
      /"where": evidence: only for media/,
    ],
    [
      "showIf pointing to an unknown question",
      [{ id: "where", type: "text", showIf: { question: "nowhere", in: ["yes"] } }],
      /questions\[1\] "where": showIf.question: there is no question "nowhere"/,
    ],
    [
      "showIf pointing to a later question",
      [
        { id: "where", type: "text", showIf: { question: "served", in: ["yes"] } },
        { id: "served", type: "yesno" },
      ],
      /questions\[1\] "where": showIf.question: "served" must come before this question/,
    ],
    [
      "showIf pointing to itself",
      [{ id: "served", type: "yesno", showIf: { question: "served", in: ["yes"] } }],
      /"served": showIf.question: "served" must come before/,
    ],
    [
      "showIf pointing to a text question",
      [
        { id: "where", type: "text" },
        { id: "more", type: "text", showIf: { question: "where", in: ["yes"] } },
      ],
      /questions\[2\] "more": showIf.question: "where" is a text question/,
    ],
    [
      "showIf with an option that does not exist",
      [
        { id: "role", type: "choice", options: ["conscript", "other"] },
        { id: "role_other", type: "text", showIf: { question: "role", in: ["othre"] } },
      ],
      /questions\[2\] "role_other": showIf.in: "othre" is not an option of "role"/,
    ],
    [
      "showIf with a yesno option that does not exist",
      [
        { id: "served", type: "yesno" },
        { id: "more", type: "text", showIf: { question: "served", in: ["maybe"] } },
      ],
      /"more": showIf.in: "maybe" is not an option of "served" \(yes, no\)/,
    ],
    [
      "showIf with no options",
      [
        { id: "served", type: "yesno" },
        { id: "more", type: "text", showIf: { question: "served", in: [] } },
      ],
      /"more": showIf.in: expected at least one option/,
    ],
    [
      "a bad maxAttachments",
      [{ id: "files", type: "media", maxAttachments: 0 }],
      /"files": maxAttachments:/,
    ],
  ];

  for (const [name, questions, expected] of cases) {
    it(`names the question for ${name}`, () => {
      const problems = problemsOf(withQuestions(...questions));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^test\.json: /);
      expect(problems[0]).toMatch(expected);
    });
  }

  it("names the question by its index when it has no usable id", () => {
    expect(problemsOf(withQuestions({ type: "text" }))).toEqual([
      "test.json: questions[1]: id: missing",
    ]);
    expect(problemsOf(withQuestions("text"))[0]).toMatch(/questions\[1\]: /);
  });

  it("does not blame a condition on a question that only failed its own checks", () => {
    const problems = problemsOf(
      withQuestions(
        { id: "served", type: "yes_no" },
        { id: "more", type: "text", showIf: { question: "served", in: ["yes"] } },
      ),
    );
    expect(problems).toEqual([expect.stringMatching(/questions\[1\] "served": type: unknown/)]);
  });

  it("reports every problem at once, one per line", () => {
    const error = (() => {
      try {
        parseQuestionnaire(
          withQuestions(
            { id: "a", type: "dropdown" },
            { id: "b", type: "choice" },
            { id: "b", type: "text" },
          ),
          "test.json",
        );
      } catch (caught) {
        return caught as QuestionnaireError;
      }
    })();
    expect(error).toBeInstanceOf(QuestionnaireError);
    expect(error?.problems).toHaveLength(3);
    expect(error?.message.split("\n")).toEqual(error?.problems);
  });

  it("requires consent to be the first, required yesno question", () => {
    const text = { id: "where", type: "text" };
    expect(problemsOf({ id: "t", version: 1, questions: [text] })).toEqual([
      expect.stringMatching(/questions\[0\]: the first question must be "consent"/),
    ]);
    expect(problemsOf({ id: "t", version: 1, questions: [text, consent] })).toEqual([
      expect.stringMatching(/questions\[1\] "consent": consent must be the first question/),
    ]);
    expect(
      problemsOf({ id: "t", version: 1, questions: [{ id: "consent", type: "yesno" }] }),
    ).toEqual([expect.stringMatching(/questions\[0\] "consent": required must be true/)]);
    expect(problemsOf({ id: "t", version: 1, questions: [{ ...consent, type: "text" }] })).toEqual([
      expect.stringMatching(/"consent": type must be yesno/),
    ]);
  });

  it("checks the questionnaire itself", () => {
    expect(problemsOf({ id: "t", version: 1, questions: [] })).toEqual([
      "test.json: questions: expected at least one question",
    ]);
    expect(problemsOf({ id: "t", questions: [consent] })[0]).toMatch(/^test\.json: version: /);
    expect(problemsOf([])[0]).toMatch(/^test\.json: /);
  });
});

describe("loadQuestionnaire", () => {
  const dir = mkdtempSync(join(tmpdir(), "questionnaire-"));

  it("names the file when it is missing or not JSON", () => {
    const missing = join(dir, "missing.json");
    expect(() => loadQuestionnaire(missing)).toThrow(`${missing}: cannot read the questionnaire`);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{ "id": "t", ');
    expect(() => loadQuestionnaire(broken)).toThrow(`${broken}: not valid JSON`);
  });

  it("names the file in validation problems", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify(withQuestions({ id: "x", type: "dropdown" })));
    expect(() => loadQuestionnaire(bad)).toThrow(`${bad}: questions[1] "x": type: unknown type`);
  });
});

describe("answers", () => {
  const limits = { maxTextLength: 20 };
  const text = question(shipped, "area");
  const story = question(shipped, "story");
  const role = question(shipped, "role");
  const year = question(shipped, "service_year");
  const files = question(shipped, "materials");
  const consentQuestion = question(shipped, "consent");

  it("accepts text for text questions, trimmed", () => {
    expect(validateText(text, "  Донбасс \n", limits)).toEqual({ ok: true, value: "Донбасс" });
    expect(validateText(story, "line one\nline two", limits)).toEqual({
      ok: true,
      value: "line one\nline two",
    });
  });

  it("rejects empty, too long, or unexpected text", () => {
    expect(validateText(text, " \n ", limits)).toEqual({ ok: false, error: "text-empty" });
    expect(validateText(text, "x".repeat(20), limits).ok).toBe(true);
    expect(validateText(text, "x".repeat(21), limits)).toEqual({
      ok: false,
      error: "text-too-long",
    });
    for (const other of [role, year, files, consentQuestion]) {
      expect(validateText(other, "hello", limits), other.id).toEqual({
        ok: false,
        error: "text-not-expected",
      });
    }
  });

  const now = new Date("2025-06-15T12:00:00Z");

  it.each([
    ["2023", 2023],
    ["  2023 ", 2023],
    ["1990", 1990],
    ["2025", 2025],
    ["2022 г.", 2022],
    ["2022г", 2022],
    ["2022 год", 2022],
  ])("accepts the year %j", (input, expected) => {
    expect(validateYear(input, now)).toEqual({ ok: true, value: expected });
  });

  it.each(["", "  ", "23", "20233", "two thousand", "2023-2024", "2o23", "-2023", "2023.5"])(
    "rejects %j as not a year",
    (input) => {
      expect(validateYear(input, now)).toEqual({ ok: false, error: "year-invalid" });
    },
  );

  it.each(["1989", "0000", "2026", "9999"])("rejects %j as out of range", (input) => {
    expect(validateYear(input, now)).toEqual({ ok: false, error: "year-out-of-range" });
  });

  it("lets a source already in the new year give it while UTC is still in the old one", () => {
    const newYearsEveUtc = new Date("2025-12-31T15:00:00Z");
    expect(validateYear("2026", newYearsEveUtc)).toEqual({ ok: true, value: 2026 });
    expect(validateYear("2026", new Date("2025-12-31T09:00:00Z")).ok).toBe(false);
  });

  it("accepts media only for media questions", () => {
    for (const kind of MEDIA_KINDS) {
      expect(acceptsMedia(files, kind), kind).toBe(true);
      expect(acceptsMedia(story, kind), kind).toBe(true);
      expect(acceptsMedia(text, kind), kind).toBe(false);
      expect(acceptsMedia(role, kind), kind).toBe(false);
    }
  });

  it("knows the options of choice and yesno questions", () => {
    expect(isChoiceOption(role, "officer")).toBe(true);
    expect(isChoiceOption(role, "general")).toBe(false);
    expect(isChoiceOption(consentQuestion, "yes")).toBe(true);
    expect(isChoiceOption(consentQuestion, "no")).toBe(true);
    expect(isChoiceOption(consentQuestion, "maybe")).toBe(false);
    expect(isChoiceOption(text, "yes")).toBe(false);
  });
});
