// The interview engine alone: no Telegram, no database. Each test feeds events to
// handle(draft, event) and reads the views and the draft it returns.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EditorKeyring } from "../../../src/services/crypto/editor-keys.js";
import { decodePaddedText } from "../../../src/services/crypto/padding.js";
import { FileTooBigError } from "../../../src/services/interview/attachments.js";
import type { Draft } from "../../../src/services/interview/draft.js";
import { answerCounts } from "../../../src/services/interview/draft-store.js";
import {
  type AnswerCounts,
  createInterviewEngine,
  type InterviewEngine,
  type InterviewEvent,
  type InterviewView,
} from "../../../src/services/interview/engine.js";
import { parseQuestionnaire } from "../../../src/services/interview/questionnaire.js";
import { file } from "../../helpers/engine.js";
import {
  cleanupKeyFixtures,
  decryptAs,
  defined,
  makeTestEditorKeyring,
  type TestKey,
} from "../../helpers/keys.js";

const questionnaire = parseQuestionnaire(
  {
    id: "engine_test",
    version: 1,
    questions: [
      { id: "consent", type: "yesno", required: true },
      { id: "left", type: "choice", options: ["deserted", "stayed"] },
      { id: "route", type: "text", showIf: { question: "left", in: ["deserted"] } },
      { id: "units", type: "multi", options: ["tanks", "artillery", "drones"] },
      { id: "year", type: "year" },
      { id: "story", type: "text_or_media", maxAttachments: 2 },
      { id: "photos", type: "media", mediaWarning: true },
    ],
  },
  "engine-test.json",
);

/** The chunk store in memory: what the engine writes before the draft is saved. */
function memoryChunks() {
  const chunks = new Map<string, number>();
  return {
    chunks,
    writeChunk: async (attachmentId: string) => {
      chunks.set(attachmentId, (chunks.get(attachmentId) ?? 0) + 1);
    },
    deleteAttachments: async (ids: string[]) => {
      for (const id of ids) chunks.delete(id);
    },
  };
}

describe("the interview engine", () => {
  let keyring: EditorKeyring;
  let keys: TestKey[];
  let engine: InterviewEngine;
  let store: ReturnType<typeof memoryChunks>;
  const submitted: Draft[] = [];

  beforeAll(async () => {
    ({ keyring, keys } = await makeTestEditorKeyring(1));
    store = memoryChunks();
    engine = createInterviewEngine({
      questionnaire,
      keyring,
      parts: store,
      limits: { draftTtlHours: 72, maxTextLength: 100, maxAttachmentsPerSubmission: 3 },
      submit: async (draft) => {
        submitted.push(draft);
        return {
          submissionId: "s1",
          number: 1,
          codename: "тест тест тест",
          answers: 1,
          attachments: 0,
          questionnaireVersion: 1,
          locale: draft.locale,
        };
      },
      now: () => new Date("2026-12-03T12:00:00Z"),
    });
  });
  afterAll(() => cleanupKeyFixtures());

  /** Runs events from a fresh start; returns the last draft and every view on the way. */
  async function run(...events: InterviewEvent[]) {
    const started = engine.start("ru");
    let draft = defined(started.draft);
    const views: InterviewView[] = [...started.views];
    let last: InterviewView[] = started.views;
    for (const event of events) {
      const outcome = await engine.handle(draft, event);
      if (outcome.draft) draft = outcome.draft;
      views.push(...outcome.views);
      last = outcome.views;
      if (outcome.ended) return { draft, views, last, ended: outcome.ended };
    }
    return { draft, views, last, ended: undefined };
  }

  const asked = (views: InterviewView[]) =>
    views.flatMap((view) => (view.type === "question" ? [view.question.id] : []));
  const choose = (question: string, option: string): InterviewEvent => ({
    type: "choose",
    question,
    option,
  });
  const typed = (text: string): InterviewEvent => ({ type: "text", text });
  const skip = (question: string): InterviewEvent => ({ type: "skip", question });
  /** The shortest way to the review. */
  const toReview: InterviewEvent[] = [
    choose("consent", "yes"),
    choose("left", "stayed"),
    { type: "next", question: "units" },
    typed("2023"),
    skip("story"),
    skip("photos"),
  ];

  it("starts at the first question and follows the branch a choice opens", async () => {
    const { draft, views } = await run(choose("consent", "yes"), choose("left", "deserted"));
    expect(asked(views)).toEqual(["consent", "left", "route"]);
    expect(draft.position).toBe("route");
    const other = await run(choose("consent", "yes"), choose("left", "stayed"));
    expect(asked(other.views)).toEqual(["consent", "left", "units"]);
  });

  it("encrypts a text answer to the editors and keeps only counts in the draft", async () => {
    const { draft, last } = await run(
      choose("consent", "yes"),
      choose("left", "deserted"),
      typed("Через Ларс"),
    );
    expect(last).toEqual([
      {
        type: "saved",
        question: expect.objectContaining({ id: "route" }),
        counts: { parts: 1, files: 0 },
      },
    ]);
    const added = (draft.unsaved ?? []).filter((write) => write.op === "add");
    expect(added).toHaveLength(3); // two choices and the text
    const ciphertext = added.at(-1);
    if (ciphertext?.op !== "add") throw new Error("no text part");
    expect(Buffer.from(ciphertext.ciphertext).toString("latin1")).not.toContain("Ларс");
    const plain = await decryptAs(defined(keys[0]), ciphertext.ciphertext);
    expect(decodePaddedText(plain)).toBe("Через Ларс");
    expect(JSON.stringify(draft.state)).not.toContain("Ларс");
  });

  it("refuses what does not fit the question, and changes nothing", async () => {
    const atConsent = await run(typed("да"));
    expect(atConsent.last).toEqual([{ type: "problem", problem: "use-buttons" }]);
    expect(atConsent.draft.unsaved).toBeUndefined();

    const atRoute = await run(
      choose("consent", "yes"),
      choose("left", "deserted"),
      typed("x".repeat(101)),
    );
    expect(atRoute.last).toEqual([{ type: "problem", problem: "error-text-too-long" }]);

    const atYear = await run(
      choose("consent", "yes"),
      choose("left", "stayed"),
      { type: "next", question: "units" },
      typed("в прошлом году"),
    );
    expect(atYear.last).toEqual([{ type: "problem", problem: "error-year-invalid" }]);
    expect(atYear.draft.position).toBe("year");
  });

  it("answers a button of another question as stale, without changing the draft", async () => {
    const { draft, last } = await run(choose("consent", "yes"), choose("consent", "yes"));
    expect(last).toEqual([{ type: "stale" }]);
    expect(draft.position).toBe("left");
    const required = await run(skip("consent"));
    expect(required.last).toEqual([{ type: "stale" }]);
    const fromOutsideReview = await run({ type: "submit" });
    expect(fromOutsideReview.last).toEqual([{ type: "stale" }]);
    expect(submitted).toHaveLength(0);
  });

  it("selects several options and stores them with Done; Done with none skips", async () => {
    const toggle = (option: string): InterviewEvent => ({
      type: "toggle",
      question: "units",
      option,
    });
    const { draft, views } = await run(
      choose("consent", "yes"),
      choose("left", "stayed"),
      toggle("tanks"),
      toggle("drones"),
      toggle("tanks"),
      { type: "next", question: "units" },
    );
    expect(views.filter((view) => view.type === "selection")).toHaveLength(3);
    expect(draft.state.choices.units).toEqual(["drones"]);
    expect(draft.position).toBe("year");

    const none = await run(
      choose("consent", "yes"),
      choose("left", "stayed"),
      toggle("tanks"),
      toggle("tanks"),
      { type: "next", question: "units" },
    );
    expect(none.draft.state.choices.units).toBeUndefined();
    expect(none.draft.state.skipped).toContain("units");
  });

  it("drops the answers of a branch that a changed choice closes", async () => {
    const { draft } = await run(
      choose("consent", "yes"),
      choose("left", "deserted"),
      typed("Через Ларс"),
      { type: "back", question: "route" },
      choose("left", "stayed"),
    );
    expect(Object.keys(answerCounts(draft)).sort()).toEqual(["consent", "left"]);
    const deleted = (draft.unsaved ?? []).flatMap((write) =>
      write.op === "delete" ? write.ids : [],
    );
    expect(deleted).toHaveLength(2); // the old "left" answer and the route text
  });

  it("from the review, asks only the follow-up a changed choice opens, then returns to the review", async () => {
    const atReview = await run(...toReview);
    expect(atReview.last).toEqual([{ type: "review", counts: expect.any(Object) }]);
    const { views, draft } = await run(
      ...toReview,
      { type: "redo", question: "left" },
      choose("left", "deserted"),
      typed("Через Ларс"),
      { type: "next", question: "route" },
    );
    expect(asked(views).slice(-2)).toEqual(["left", "route"]);
    expect(views.at(-1)?.type).toBe("review");
    expect(draft.position).toBe("review");
  });

  it("Skip on an answered question asks first and changes nothing; confirmed, it deletes", async () => {
    const answered = [
      choose("consent", "yes"),
      choose("left", "deserted"),
      typed("Через Ларс"),
      { type: "back", question: "route" } as InterviewEvent,
    ];
    const back = await run(...answered);
    expect(back.last).toMatchObject([{ type: "question", answered: true }]);
    const asking = await engine.handle(back.draft, skip("left"));
    expect(asking.views).toEqual([{ type: "confirm-skip", question: expect.any(Object) }]);
    expect(asking.draft?.unsaved).toEqual(back.draft.unsaved);
    expect(answerCounts(defined(asking.draft))).toEqual(answerCounts(back.draft));

    const kept = await engine.handle(back.draft, { type: "keep", question: "left" });
    expect(kept.views).toMatchObject([{ type: "question", question: { id: "route" } }]);
    expect(Object.keys(answerCounts(defined(kept.draft))).sort()).toEqual([
      "consent",
      "left",
      "route",
    ]);

    const dropped = await engine.handle(back.draft, {
      type: "skip",
      question: "left",
      confirmed: true,
    });
    expect(Object.keys(answerCounts(defined(dropped.draft)))).toEqual(["consent"]);
    expect(dropped.views).toMatchObject([{ type: "question", question: { id: "units" } }]);
    // An unanswered question is skipped at once.
    const fresh = await run(choose("consent", "yes"), skip("left"));
    expect(asked(fresh.last)).toEqual(["units"]);
  });

  it("asks once before sending a testimony where every question was skipped", async () => {
    const empty = await run(
      choose("consent", "yes"),
      skip("left"),
      skip("units"),
      skip("year"),
      skip("story"),
      skip("photos"),
      { type: "submit" },
    );
    expect(empty.ended).toBeUndefined();
    expect(empty.last).toEqual([{ type: "confirm-empty" }]);
    const sent = await engine.handle(empty.draft, { type: "submit", confirmed: true });
    expect(sent.ended).toBe("submitted");
  });

  it("checks file limits before opening the file, and reports a file too big", async () => {
    const photo = (bytes = 100) =>
      file("story", { kind: "photo" }, new Uint8Array(bytes).fill(1))[1];
    const start: InterviewEvent[] = [
      choose("consent", "yes"),
      choose("left", "stayed"),
      { type: "next", question: "units" },
      typed("2023"),
    ];
    const two = await run(...start, photo(), photo());
    expect(answerCounts(two.draft).story).toEqual({ parts: 0, files: 2 });
    let opened = false;
    const third = await engine.handle(two.draft, {
      type: "file",
      file: {
        meta: { kind: "photo" },
        open: async () => {
          opened = true;
          throw new Error("must not be opened");
        },
      },
    });
    expect(third.views).toEqual([{ type: "problem", problem: "error-too-many-attachments" }]);
    expect(opened).toBe(false);

    const tooBig = await run(...start, {
      type: "file",
      file: { meta: { kind: "document" }, open: () => Promise.reject(new FileTooBigError()) },
    });
    expect(tooBig.last).toEqual([{ type: "problem", problem: "file-too-big" }]);
    const atConsent = await run(photo());
    expect(atConsent.last).toEqual([{ type: "problem", problem: "media-not-expected" }]);
  });

  it("ends on a declined consent, a cancel and a submit; submit only from the review", async () => {
    expect((await run(choose("consent", "no"))).ended).toBe("declined");
    expect((await run(choose("consent", "yes"), { type: "cancel" })).ended).toBe("cancelled");
    const done = await run(...toReview, { type: "toggle-notify" }, { type: "submit" });
    expect(done.ended).toBe("submitted");
    expect(done.last[0]).toMatchObject({ type: "submitted", receipt: { number: 1 } });
    expect(submitted.at(-1)?.state.notifyReplies).toBe(true);
  });

  it("never changes the draft it is given", async () => {
    const { draft } = await run(choose("consent", "yes"));
    const before = structuredClone(draft);
    await engine.handle(draft, choose("left", "deserted"));
    await engine.handle(draft, typed("текст"));
    expect(draft).toEqual(before);
  });

  it("counts parts and files per question from the draft alone", () => {
    const counts: AnswerCounts = answerCounts({
      state: {
        choices: {},
        skipped: [],
        textLength: {},
        attachments: { story: 1 },
        partIds: { story: ["a", "b", "c"], left: ["d"], empty: [] },
      },
    });
    expect(counts).toEqual({ story: { parts: 2, files: 1 }, left: { parts: 1, files: 0 } });
  });
});
