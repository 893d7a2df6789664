// The interview as data: loads and checks questionnaires/*.json, and answers the questions the
// interview asks of it (which question comes next, is this answer acceptable, what to forget).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

export const DEFAULT_QUESTIONNAIRE_PATH = fileURLToPath(
  new URL("../../../questionnaires/testimony.json", import.meta.url),
);

export const QUESTION_TYPES = [
  "text",
  "choice",
  "multi",
  "yesno",
  "year",
  "media",
  "text_or_media",
] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export const MEDIA_KINDS = ["voice", "audio", "video", "video_note", "photo", "document"] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

export const YESNO_OPTIONS = ["yes", "no"] as const;
export const CONSENT_ID = "consent";
export const YEAR_MIN = 1990;
export const DEFAULT_MAX_ATTACHMENTS = 10;

/** Codes the bot maps to `interview-error-<code>` messages. */
export const VALIDATION_ERRORS = [
  "text-empty",
  "text-too-long",
  "text-not-expected",
  "year-invalid",
  "year-out-of-range",
] as const;
export type ValidationError = (typeof VALIDATION_ERRORS)[number];
export type Validation<T> = { ok: true; value: T } | { ok: false; error: ValidationError };

/** Question id → option ids chosen so far (choice, multi and yesno answers), kept for branching. */
export type Choices = Record<string, string[]>;

export class QuestionnaireError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "QuestionnaireError";
  }
}

const CHOICE_TYPES: readonly QuestionType[] = ["choice", "multi"];
const BRANCHING_TYPES: readonly QuestionType[] = ["choice", "multi", "yesno"];
const MEDIA_TYPES: readonly QuestionType[] = ["media", "text_or_media"];
const TEXT_TYPES: readonly QuestionType[] = ["text", "text_or_media"];

// Ids travel in callback_data (64 bytes for question id + option id + framing), so keep them short.
const id = z
  .string({
    error: (issue) => (issue.input === undefined ? "missing" : "expected a snake_case id"),
  })
  .regex(/^[a-z][a-z0-9_]*$/, "expected a snake_case id (a-z, 0-9, _)")
  .max(24, "expected at most 24 characters");

const questionSchema = z.strictObject({
  id,
  type: z.enum(QUESTION_TYPES, {
    error: (issue) =>
      issue.input === undefined
        ? `missing; expected one of ${QUESTION_TYPES.join(", ")}`
        : `unknown type ${JSON.stringify(issue.input)}; expected one of ${QUESTION_TYPES.join(", ")}`,
  }),
  required: z.boolean().default(false),
  options: z.array(id).optional(),
  showIf: z
    .strictObject({ question: id, in: z.array(id).min(1, "expected at least one option") })
    .optional(),
  maxAttachments: z.number().int().min(1).max(100).default(DEFAULT_MAX_ATTACHMENTS),
  evidence: z.boolean().default(false),
  mediaWarning: z.boolean().default(false),
});

export type Question = z.output<typeof questionSchema>;

export interface Questionnaire {
  readonly id: string;
  readonly version: number;
  readonly questions: readonly Question[];
}

const headerSchema = z.strictObject({
  id,
  version: z.number().int().min(1),
  questions: z.array(z.unknown()).min(1, "expected at least one question"),
});

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`))
    .join("");
}

function issueLines(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = formatPath(issue.path);
    return `${prefix}${where ? `${where}: ` : ""}${issue.message}`;
  });
}

/** Option ids a question offers: its own for choice/multi, yes/no for yesno, none otherwise. */
export function optionsOf(question: Question): readonly string[] {
  if (question.type === "yesno") return YESNO_OPTIONS;
  return question.options ?? [];
}

function checkOwnFields(question: Question): string[] {
  const problems: string[] = [];
  const isChoice = CHOICE_TYPES.includes(question.type);
  const options = question.options ?? [];
  if (isChoice && options.length < 2) {
    problems.push(`options: a ${question.type} question needs at least two options`);
  }
  if (!isChoice && question.options !== undefined) {
    problems.push(`options: only choice and multi questions have options, not ${question.type}`);
  }
  const repeated = options.filter((option, i) => options.indexOf(option) !== i);
  for (const option of new Set(repeated)) problems.push(`options: "${option}" appears twice`);
  if (!MEDIA_TYPES.includes(question.type)) {
    if (question.evidence) problems.push(`evidence: only for media questions`);
    if (question.mediaWarning) problems.push(`mediaWarning: only for media questions`);
  }
  return problems;
}

// `ids` are the raw ids, so a question that failed its own checks still counts as existing.
function checkShowIf(
  question: Question,
  index: number,
  ids: readonly (string | undefined)[],
  all: readonly (Question | null)[],
): string[] {
  const showIf = question.showIf;
  if (!showIf) return [];
  const targetIndex = ids.indexOf(showIf.question);
  if (targetIndex === -1) {
    return [`showIf.question: there is no question "${showIf.question}"`];
  }
  if (targetIndex >= index) {
    return [`showIf.question: "${showIf.question}" must come before this question`];
  }
  const target = all[targetIndex];
  if (!target) return [];
  if (!BRANCHING_TYPES.includes(target.type)) {
    return [
      `showIf.question: "${showIf.question}" is a ${target.type} question; branching needs choice, multi or yesno`,
    ];
  }
  const options = optionsOf(target);
  const offered = options.length > 0 ? options.join(", ") : "it has none";
  return showIf.in
    .filter((option) => !options.includes(option))
    .map((option) => `showIf.in: "${option}" is not an option of "${target.id}" (${offered})`);
}

function checkConsent(questions: readonly (Question | null)[]): string[] {
  const first = questions[0];
  const consentIndex = questions.findIndex((question) => question?.id === CONSENT_ID);
  const problems: string[] = [];
  if (consentIndex > 0) {
    problems.push(`questions[${consentIndex}] "${CONSENT_ID}": consent must be the first question`);
  } else if (consentIndex === -1 && first !== null) {
    problems.push(`questions[0]: the first question must be "${CONSENT_ID}" (yesno, required)`);
  }
  if (first && first.id === CONSENT_ID) {
    if (first.type !== "yesno") {
      problems.push(`questions[0] "${CONSENT_ID}": type must be yesno, not ${first.type}`);
    }
    if (!first.required) problems.push(`questions[0] "${CONSENT_ID}": required must be true`);
    if (first.showIf) problems.push(`questions[0] "${CONSENT_ID}": consent cannot have showIf`);
  }
  return problems;
}

/**
 * Checks a parsed JSON value; `source` names it in messages. Throws QuestionnaireError with one
 * line per problem, each naming the question.
 */
export function parseQuestionnaire(json: unknown, source: string): Questionnaire {
  const header = headerSchema.safeParse(json);
  if (!header.success) throw new QuestionnaireError(issueLines(`${source}: `, header.error));

  const raw = header.data.questions;
  const problems: string[] = [];
  const ids = raw.map((item) => {
    const rawId = (item as { id?: unknown } | null)?.id;
    return typeof rawId === "string" ? rawId : undefined;
  });
  const label = (i: number) => `questions[${i}]${ids[i] === undefined ? "" : ` "${ids[i]}"`}: `;

  const parsed = raw.map((item, i) => {
    const result = questionSchema.safeParse(item);
    if (result.success) return result.data;
    problems.push(...issueLines(label(i), result.error));
    return null;
  });

  const firstIndex = new Map<string, number>();
  parsed.forEach((question, i) => {
    if (!question) return;
    const earlier = firstIndex.get(question.id);
    if (earlier === undefined) firstIndex.set(question.id, i);
    else problems.push(`${label(i)}id is already used by questions[${earlier}]`);
    for (const problem of checkOwnFields(question)) problems.push(label(i) + problem);
    for (const problem of checkShowIf(question, i, ids, parsed)) problems.push(label(i) + problem);
  });
  problems.push(...checkConsent(parsed));

  if (problems.length > 0) {
    throw new QuestionnaireError(problems.map((problem) => `${source}: ${problem}`));
  }
  return {
    id: header.data.id,
    version: header.data.version,
    questions: parsed.filter((question) => question !== null),
  };
}

export function loadQuestionnaire(path: string): Questionnaire {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new QuestionnaireError([`${path}: cannot read the questionnaire (${code})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new QuestionnaireError([`${path}: not valid JSON (${(error as Error).message})`]);
  }
  return parseQuestionnaire(json, path);
}

export function getQuestion(q: Questionnaire, id: string): Question | undefined {
  return q.questions.find((question) => question.id === id);
}

/** A question is shown when it has no condition, or its condition's question is shown and answered
 * with one of the listed options. Hidden parents hide their children, whatever stale answers say. */
export function isVisible(q: Questionnaire, question: Question, choices: Choices): boolean {
  const showIf = question.showIf;
  if (!showIf) return true;
  const parent = getQuestion(q, showIf.question);
  if (!parent || !isVisible(q, parent, choices)) return false;
  return (choices[parent.id] ?? []).some((option) => showIf.in.includes(option));
}

export function visibleQuestions(q: Questionnaire, choices: Choices): Question[] {
  return q.questions.filter((question) => isVisible(q, question, choices));
}

export function firstQuestion(q: Questionnaire): Question {
  const first = q.questions[0];
  if (!first) throw new QuestionnaireError([`questionnaire "${q.id}" has no questions`]);
  return first;
}

function indexOf(q: Questionnaire, id: string): number {
  const index = q.questions.findIndex((question) => question.id === id);
  if (index === -1) {
    throw new QuestionnaireError([`questionnaire "${q.id}" has no question "${id}"`]);
  }
  return index;
}

/** The next shown question after `currentId`, or undefined when the interview is over. Throws
 * QuestionnaireError for an unknown id (check stale positions with getQuestion first). */
export function nextQuestion(
  q: Questionnaire,
  currentId: string,
  choices: Choices,
): Question | undefined {
  return q.questions
    .slice(indexOf(q, currentId) + 1)
    .find((question) => isVisible(q, question, choices));
}

/**
 * After `currentId` was answered again from the review: the first follow-up (a shown question
 * with showIf, right after it) that is not `settled` (answered or skipped), i.e. one the new
 * answer has just opened. Undefined when there is none and the review comes next.
 */
export function openedFollowUp(
  q: Questionnaire,
  currentId: string,
  choices: Choices,
  settled: ReadonlySet<string>,
): Question | undefined {
  let next = nextQuestion(q, currentId, choices);
  while (next?.showIf) {
    if (!settled.has(next.id)) return next;
    next = nextQuestion(q, next.id, choices);
  }
  return undefined;
}

/** The shown question before `currentId`, or undefined at the first one. */
export function previousQuestion(
  q: Questionnaire,
  currentId: string,
  choices: Choices,
): Question | undefined {
  return q.questions
    .slice(0, indexOf(q, currentId))
    .findLast((question) => isVisible(q, question, choices));
}

/** Ids of questions shown under `before` but hidden under `after`: their answers must be deleted,
 * so an abandoned branch leaves nothing behind. Follows chains of showIf. */
export function abandonedQuestions(q: Questionnaire, before: Choices, after: Choices): string[] {
  return q.questions
    .filter((question) => isVisible(q, question, before) && !isVisible(q, question, after))
    .map((question) => question.id);
}

/** `choices` without the answers of hidden or unknown questions, e.g. after abandonedQuestions. */
export function pruneChoices(q: Questionnaire, choices: Choices): Choices {
  const kept: Choices = {};
  for (const question of visibleQuestions(q, choices)) {
    const chosen = choices[question.id];
    if (chosen) kept[question.id] = chosen;
  }
  return kept;
}

export function validateText(
  question: Question,
  text: string,
  limits: { maxTextLength: number },
): Validation<string> {
  if (!TEXT_TYPES.includes(question.type)) return { ok: false, error: "text-not-expected" };
  const value = text.trim();
  if (value === "") return { ok: false, error: "text-empty" };
  if (value.length > limits.maxTextLength) return { ok: false, error: "text-too-long" };
  return { ok: true, value };
}

/** A four-digit year from YEAR_MIN to this year; "2023", " 2023 ", "2023 г." and "2023 год" pass. */
export function validateYear(text: string, now: Date): Validation<number> {
  const match = /^(\d{4})(?:\s*(?:г\.?|год))?$/iu.exec(text.trim());
  if (!match) return { ok: false, error: "year-invalid" };
  const year = Number(match[1]);
  // The source may be up to 14 hours ahead of UTC, already in the new year.
  const thisYear = new Date(now.getTime() + 14 * 60 * 60 * 1000).getUTCFullYear();
  if (year < YEAR_MIN || year > thisYear) return { ok: false, error: "year-out-of-range" };
  return { ok: true, value: year };
}

export function acceptsMedia(question: Question, kind: MediaKind): boolean {
  return MEDIA_TYPES.includes(question.type) && MEDIA_KINDS.includes(kind);
}

export function isChoiceOption(question: Question, option: string): boolean {
  return optionsOf(question).includes(option);
}

export const questionKey = (questionId: string) => `q-${questionId}`;
export const helpKey = (questionId: string) => `q-${questionId}-help`;
/** The question's name in a few words (the review's lines and buttons). */
export const shortKey = (questionId: string) => `q-${questionId}-short`;
export const optionKey = (questionId: string, option: string) => `q-${questionId}-opt-${option}`;

/** Every locale message id the questionnaire needs, in question order. */
export function localeKeysFor(q: Questionnaire): string[] {
  return q.questions.flatMap((question) => [
    questionKey(question.id),
    helpKey(question.id),
    shortKey(question.id),
    ...optionsOf(question).map((option) => optionKey(question.id, option)),
  ]);
}
