// The interview's decisions alone: no keys, no database, no waiting. Each test feeds events to
// decide(draft, event, context) and reads the draft, the commands and the views it returns; what
// the commands become (ciphertext, stored files, a submission) is runner.test.ts's business.
import { describe, expect, it } from "vitest";
import {
  type DecideContext,
  type DecidedView,
  type Decision,
  decide,
  type InterviewEvent,
  start,
} from "../../../src/services/interview/decide.js";
import { answerCounts, type Draft } from "../../../src/services/interview/draft.js";
import {
  back,
  choose,
  limits,
  next,
  questionnaire,
  skip,
  toReview,
  toStory,
  typed,
} from "../../helpers/interview-fixture.js";

/** A context with a fixed time and counted ids, so every decision can be compared. */
function context(): DecideContext {
  let next = 0;
  return {
    questionnaire,
    limits,
    now: new Date("2026-12-03T12:00:00Z"),
    newId: () => `id-${++next}`,
  };
}

/** Runs events from a fresh start; returns the last decision and every view on the way. */
function run(events: InterviewEvent[], ctx = context()) {
  let decision: Decision = start("ru", ctx);
  const views: DecidedView[] = [...decision.views];
  for (const event of events) {
    decision = decide(decision.draft, event, ctx);
    views.push(...decision.views);
    if (decision.ended) break;
  }
  return { ...decision, all: views };
}

const asked = (views: DecidedView[]) =>
  views.flatMap((view) => (view.type === "question" ? [view.question.id] : []));
const toggle = (option: string): InterviewEvent => ({ type: "toggle", question: "units", option });
const file = (kind: "photo" | "voice" | "document" = "photo"): InterviewEvent => ({
  type: "file",
  file: {
    meta: { kind },
    open: () => {
      throw new Error("a decision never opens a file");
    },
  },
});
const dropped = (decision: Decision) =>
  decision.commands.flatMap((command) => (command.type === "drop-parts" ? command.ids : []));

describe("deciding the interview", () => {
  it("starts at the first question and follows the branch a choice opens", () => {
    const deserted = run([choose("consent", "yes"), choose("left", "deserted")]);
    expect(asked(deserted.all)).toEqual(["consent", "left", "route"]);
    expect(deserted.draft.position).toBe("route");
    const stayed = run([choose("consent", "yes"), choose("left", "stayed")]);
    expect(asked(stayed.all)).toEqual(["consent", "left", "units"]);
  });

  it("takes the draft's id and day from the context", () => {
    const { draft } = start("en", context());
    expect(draft).toMatchObject({ id: "id-1", createdOn: "2026-12-03", locale: "en" });
  });

  it("asks for a text answer to be encrypted and keeps only its length and part id", () => {
    const decision = run([choose("consent", "yes"), choose("left", "deserted"), typed("Ларс")]);
    expect(decision.commands).toEqual([
      { type: "encrypt-answer", partId: "id-4", questionId: "route", text: "Ларс", label: "text" },
    ]);
    expect(decision.views).toEqual([
      {
        type: "saved",
        question: expect.objectContaining({ id: "route" }),
        counts: { parts: 1, files: 0 },
      },
    ]);
    expect(decision.draft.state.partIds?.route).toEqual(["id-4"]);
    expect(decision.draft.state.textLength.route).toBe(4);
    expect(JSON.stringify(decision.draft)).not.toContain("Ларс");
  });

  it("asks for a choice to be encrypted as its option ids", () => {
    const decision = run([
      choose("consent", "yes"),
      choose("left", "stayed"),
      toggle("tanks"),
      toggle("drones"),
    ]);
    expect(decision.commands).toEqual([]);
    const done = decide(decision.draft, next("units"), context());
    expect(done.commands).toMatchObject([
      { type: "encrypt-answer", questionId: "units", text: "tanks\ndrones", label: "choice" },
    ]);
  });

  it("refuses what does not fit the question, and changes nothing", () => {
    const cases: [InterviewEvent[], string][] = [
      [[typed("да")], "use-buttons"],
      [
        [choose("consent", "yes"), choose("left", "deserted"), typed("x".repeat(101))],
        "error-text-too-long",
      ],
      [[choose("consent", "yes"), choose("left", "deserted"), typed("   ")], "error-text-empty"],
      [[...toStory.slice(0, 3), typed("в прошлом году")], "error-year-invalid"],
      [[...toStory.slice(0, 3), typed("1812")], "error-year-out-of-range"],
      [[...toStory, skip("story"), typed("текст")], "media-text-not-expected"],
      [[file()], "media-not-expected"],
    ];
    for (const [events, problem] of cases) {
      const before = run(events.slice(0, -1));
      const refused = decide(before.draft, events.at(-1) as InterviewEvent, context());
      expect(refused.views).toEqual([{ type: "problem", problem }]);
      expect(refused.commands).toEqual([]);
      expect(refused.draft).toEqual(before.draft);
    }
  });

  it("judges the year by the context's clock", () => {
    const atYear = run(toStory.slice(0, 3));
    const early = decide(atYear.draft, typed("2027"), context());
    expect(early.views).toEqual([{ type: "problem", problem: "error-year-out-of-range" }]);
    const newYear = { ...context(), now: new Date("2026-12-31T12:00:00Z") };
    const ahead = decide(atYear.draft, typed("2027 г."), newYear);
    expect(ahead.commands).toMatchObject([{ type: "encrypt-answer", text: "2027" }]);
    expect(ahead.draft.position).toBe("story");
  });

  it("adds up the messages of one answer against the length limit", () => {
    const atRoute = [choose("consent", "yes"), choose("left", "deserted")];
    const two = run([...atRoute, typed("x".repeat(60)), typed("y".repeat(40))]);
    expect(answerCounts(two.draft).route).toEqual({ parts: 2, files: 0 });
    expect(two.draft.state.textLength.route).toBe(100);
    const over = decide(two.draft, typed("z"), context());
    expect(over.views).toEqual([{ type: "problem", problem: "error-text-too-long" }]);
    expect(over.draft).toEqual(two.draft);
    // Coming back to the question starts the answer again: the old length no longer counts.
    const again = run([
      ...atRoute,
      typed("x".repeat(100)),
      back("route"),
      choose("left", "deserted"),
    ]);
    expect(again.draft.position).toBe("route");
    const replaced = decide(again.draft, typed("y".repeat(100)), context());
    expect(replaced.views[0]?.type).toBe("saved");
    expect(replaced.draft.state.textLength.route).toBe(100);
  });

  it("answers a button of another question or state as stale, and changes nothing", () => {
    const atLeft = run([choose("consent", "yes")]);
    const stale: InterviewEvent[] = [
      choose("consent", "yes"),
      choose("left", "nonsense"),
      next("units"),
      back("units"),
      { type: "keep", question: "year" },
      { type: "redo", question: "consent" },
      { type: "toggle-notify" },
      { type: "toggle-voice" },
      { type: "submit" },
    ];
    for (const event of stale) {
      const decision = decide(atLeft.draft, event, context());
      expect(decision.views, event.type).toEqual([{ type: "stale" }]);
      expect(decision.commands).toEqual([]);
      expect(decision.draft).toEqual(atLeft.draft);
    }
    // A required question cannot be skipped.
    expect(run([skip("consent")]).views).toEqual([{ type: "stale" }]);
  });

  it("selects several options and stores them with Done; Done with none skips", () => {
    const { draft, all } = run([
      choose("consent", "yes"),
      choose("left", "stayed"),
      toggle("tanks"),
      toggle("drones"),
      toggle("tanks"),
      next("units"),
    ]);
    expect(all.filter((view) => view.type === "selection")).toHaveLength(3);
    expect(draft.state.choices.units).toEqual(["drones"]);
    expect(draft.position).toBe("year");

    const none = run([
      choose("consent", "yes"),
      choose("left", "stayed"),
      toggle("tanks"),
      toggle("tanks"),
      next("units"),
    ]);
    expect(none.draft.state.choices.units).toBeUndefined();
    expect(none.draft.state.skipped).toContain("units");
    expect(none.commands).toEqual([]);
  });

  it("drops the answers of a branch that a changed choice closes", () => {
    const answered = run([
      choose("consent", "yes"),
      choose("left", "deserted"),
      typed("Через Ларс"),
      back("route"),
    ]);
    const { left, route } = answered.draft.state.partIds ?? {};
    const changed = decide(answered.draft, choose("left", "stayed"), context());
    expect(Object.keys(answerCounts(changed.draft)).sort()).toEqual(["consent", "left"]);
    expect(dropped(changed).sort()).toEqual([...(left ?? []), ...(route ?? [])].sort());
    expect(changed.draft.state.textLength.route).toBeUndefined();
    // The drop comes before the new choice's part.
    expect(changed.commands.map((command) => command.type)).toEqual([
      "drop-parts",
      "encrypt-answer",
    ]);
  });

  it("from the review, asks only the follow-up a changed choice opens, then returns to the review", () => {
    const atReview = run(toReview);
    expect(atReview.views).toEqual([{ type: "review", counts: expect.any(Object) }]);
    const { all, draft } = run([
      ...toReview,
      { type: "redo", question: "left" },
      choose("left", "deserted"),
      typed("Через Ларс"),
      next("route"),
    ]);
    expect(asked(all).slice(-2)).toEqual(["left", "route"]);
    expect(all.at(-1)?.type).toBe("review");
    expect(draft.position).toBe("review");
  });

  it("goes back to the previous question of the branch taken, and resumes where it was", () => {
    const atUnits = run([
      choose("consent", "yes"),
      choose("left", "deserted"),
      typed("Ларс"),
      next("route"),
    ]);
    expect(atUnits.draft.position).toBe("units");
    const backed = decide(atUnits.draft, back("units"), context());
    expect(backed.views).toMatchObject([
      { type: "question", question: { id: "route" }, answered: true },
    ]);
    const resumed = decide(backed.draft, { type: "resume" }, context());
    expect(resumed.views).toMatchObject([{ type: "question", question: { id: "route" } }]);
    expect(run(toReview.concat({ type: "resume" })).views).toMatchObject([{ type: "review" }]);
  });

  it("Skip on an answered question asks first and changes nothing; confirmed, it deletes", () => {
    const back = run([
      choose("consent", "yes"),
      choose("left", "deserted"),
      typed("Ларс"),
      { type: "back", question: "route" },
    ]);
    expect(back.views).toMatchObject([{ type: "question", answered: true }]);
    const asking = decide(back.draft, skip("left"), context());
    expect(asking.views).toEqual([{ type: "confirm-skip", question: expect.any(Object) }]);
    expect(asking.commands).toEqual([]);
    expect(asking.draft).toEqual(back.draft);

    const kept = decide(back.draft, { type: "keep", question: "left" }, context());
    expect(kept.views).toMatchObject([{ type: "question", question: { id: "route" } }]);
    expect(kept.commands).toEqual([]);
    expect(Object.keys(answerCounts(kept.draft)).sort()).toEqual(["consent", "left", "route"]);

    const deleted = decide(
      back.draft,
      { type: "skip", question: "left", confirmed: true },
      context(),
    );
    expect(Object.keys(answerCounts(deleted.draft))).toEqual(["consent"]);
    expect(dropped(deleted)).toHaveLength(2);
    expect(deleted.views).toMatchObject([{ type: "question", question: { id: "units" } }]);
    // An unanswered question is skipped at once.
    expect(asked(run([choose("consent", "yes"), skip("left")]).views)).toEqual(["units"]);
  });

  it("asks once before sending a testimony where every question was skipped", () => {
    const empty = run([
      choose("consent", "yes"),
      skip("left"),
      skip("units"),
      skip("year"),
      skip("story"),
      skip("photos"),
      { type: "submit" },
    ]);
    expect(empty.ended).toBeUndefined();
    expect(empty.views).toEqual([{ type: "confirm-empty" }]);
    expect(empty.commands).toEqual([]);
    const sent = decide(empty.draft, { type: "submit", confirmed: true }, context());
    expect(sent).toMatchObject({ ended: "submitted", commands: [{ type: "submit" }] });
    expect(sent.views).toEqual([{ type: "receipt" }]);
  });

  it("ends on a declined consent and a cancel, with nothing to carry out", () => {
    const declined = run([choose("consent", "no")]);
    expect(declined).toMatchObject({
      ended: "declined",
      commands: [],
      views: [{ type: "declined" }],
    });
    const cancelled = run([choose("consent", "yes"), { type: "cancel" }]);
    expect(cancelled).toMatchObject({
      ended: "cancelled",
      commands: [],
      views: [{ type: "cancelled" }],
    });
  });

  it("asks for a file to be stored, cleaned unless the question wants originals", () => {
    const document = run([...toStory, file("document")]);
    expect(document.commands).toMatchObject([
      { type: "store-file", questionId: "story", keepOriginal: false, keepRealVoice: false },
    ]);
    const [command] = document.commands;
    if (command?.type !== "store-file") throw new Error("no file to store");
    expect(document.draft.state.partIds?.story).toEqual([command.partId]);
    // Its note waits for the file's cleaning line, which only storing it can tell.
    expect(document.views).toEqual([
      {
        type: "file-saved",
        partId: command.partId,
        question: expect.objectContaining({ id: "story" }),
        counts: { parts: 0, files: 1 },
      },
    ]);
    const evidence = run([...toStory, skip("story"), file("photo")]);
    expect(evidence.commands).toMatchObject([
      { type: "store-file", questionId: "photos", keepOriginal: true },
    ]);
  });

  it("checks the attachment limits per question and per submission before any file is opened", () => {
    const two = run([...toStory, file(), file()]);
    expect(answerCounts(two.draft).story).toEqual({ parts: 0, files: 2 });
    const third = decide(two.draft, file(), context());
    expect(third.views).toEqual([{ type: "problem", problem: "error-too-many-attachments" }]);
    expect(third.commands).toEqual([]);
    expect(third.draft).toEqual(two.draft);

    const onPhotos = run([...toStory, file(), file(), next("story"), file()]);
    expect(answerCounts(onPhotos.draft).photos).toEqual({ parts: 0, files: 1 });
    const fourth = decide(onPhotos.draft, file(), context());
    expect(fourth.views).toEqual([{ type: "problem", problem: "error-submission-attachments" }]);
    expect(fourth.commands).toEqual([]);

    // Files that a new answer replaces do not count against the submission.
    const redo = run([...toStory, file(), file(), next("story"), back("photos")]);
    const replacing = decide(redo.draft, file(), context());
    expect(dropped(replacing)).toHaveLength(2);
    expect(answerCounts(replacing.draft).story).toEqual({ parts: 0, files: 1 });
  });

  it("explains the voice disguise at the first recording only, and toggles it after", () => {
    const atStory = run(toStory);
    expect(decide(atStory.draft, { type: "toggle-voice" }, context()).views).toEqual([
      { type: "stale" },
    ]);
    const first = decide(atStory.draft, file("voice"), context());
    expect(first.commands).toMatchObject([{ type: "store-file", keepRealVoice: false }]);
    expect(first.views).toMatchObject([
      { type: "voice-stored", first: true, keepReal: false },
      { type: "saved", counts: { parts: 0, files: 1 } },
    ]);
    const real = decide(first.draft, { type: "toggle-voice" }, context());
    expect(real.views).toEqual([{ type: "voice-choice", keepReal: true }]);
    const second = decide(real.draft, file("voice"), context());
    expect(second.commands).toMatchObject([{ type: "store-file", keepRealVoice: true }]);
    expect(second.views).toMatchObject([
      { type: "voice-stored", first: false, keepReal: true },
      { type: "saved" },
    ]);
    // From the review its own button redraws the review; from the note, the review comes again.
    const atReview = run([...toStory, file("voice"), next("story"), skip("photos")]);
    const fromReview = decide(
      atReview.draft,
      { type: "toggle-voice", fromReview: true },
      context(),
    );
    expect(fromReview.views).toMatchObject([{ type: "review-changed" }]);
    const fromNote = decide(atReview.draft, { type: "toggle-voice" }, context());
    expect(fromNote.views).toMatchObject([
      { type: "voice-choice", keepReal: true },
      { type: "review" },
    ]);
  });

  it("switches reply notices at the review only", () => {
    const atReview = run(toReview);
    const on = decide(atReview.draft, { type: "toggle-notify" }, context());
    expect(on.draft.state.notifyReplies).toBe(true);
    expect(on.views).toMatchObject([{ type: "review-changed" }]);
    expect(decide(on.draft, { type: "toggle-notify" }, context()).draft.state.notifyReplies).toBe(
      false,
    );
  });

  it("never changes the draft it is given", () => {
    const { draft } = run([choose("consent", "yes")]);
    const before: Draft = structuredClone(draft);
    decide(draft, choose("left", "deserted"), context());
    decide(draft, typed("текст"), context());
    expect(draft).toEqual(before);
  });

  it("counts parts and files per question from the draft alone", () => {
    const counts = answerCounts({
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
