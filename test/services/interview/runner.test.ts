// The interview's runner alone: no Telegram, no database. Each test feeds events to
// handle(draft, event) and reads the views, the draft and the part writes it returns: what the
// decisions (decide.test.ts) become once carried out (ciphertext, stored files, a submission).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EditorKeyring } from "../../../src/services/crypto/editor-keys.js";
import { decodePaddedText } from "../../../src/services/crypto/padding.js";
import { FileTooBigError } from "../../../src/services/interview/attachments.js";
import type { InterviewEvent, InterviewView } from "../../../src/services/interview/decide.js";
import { answerCounts, type Draft, type PartWrite } from "../../../src/services/interview/draft.js";
import {
  createInterviewRunner,
  type InterviewRunner,
} from "../../../src/services/interview/runner.js";
import type { VoiceDisguiser } from "../../../src/services/voice/index.js";
import { file } from "../../helpers/engine.js";
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
import {
  cleanupKeyFixtures,
  decryptAs,
  defined,
  makeTestEditorKeyring,
  type TestKey,
} from "../../helpers/keys.js";

/** The chunk store in memory: what the runner writes before the draft is saved. */
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

/** A disguiser that changes every recording into the same few bytes (no worker, no decoder). */
const fakeDisguiser: VoiceDisguiser = {
  disguise: async () => new Uint8Array([1, 2, 3]),
  close: async () => {},
};

describe("the interview runner", () => {
  let keyring: EditorKeyring;
  let keys: TestKey[];
  let runner: InterviewRunner;
  let store: ReturnType<typeof memoryChunks>;
  const submitted: Draft[] = [];

  beforeAll(async () => {
    ({ keyring, keys } = await makeTestEditorKeyring(1));
    store = memoryChunks();
    runner = createInterviewRunner({
      questionnaire,
      keyring,
      parts: store,
      voice: fakeDisguiser,
      limits,
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

  /** Runs events from a fresh start; returns the last draft, every write and view on the way. */
  async function run(...events: InterviewEvent[]) {
    const started = runner.start("ru");
    let draft = defined(started.draft);
    const writes: PartWrite[] = [];
    let last: InterviewView[] = started.views;
    for (const event of events) {
      const outcome = await runner.handle(draft, event);
      if (outcome.draft) draft = outcome.draft;
      writes.push(...outcome.writes);
      last = outcome.views;
      if (outcome.ended) return { draft, writes, last, ended: outcome.ended };
    }
    return { draft, writes, last, ended: undefined };
  }

  const added = (writes: PartWrite[]) => writes.filter((write) => write.op === "add");

  it("encrypts a text answer to the editors and keeps only counts in the draft", async () => {
    const { draft, writes, last } = await run(
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
    expect(added(writes)).toHaveLength(3); // two choices and the text
    const text = writes.at(-1);
    if (text?.op !== "add") throw new Error("no text part");
    expect(draft.state.partIds?.route).toEqual([text.id]);
    expect(Buffer.from(text.ciphertext).toString("latin1")).not.toContain("Ларс");
    const plain = await decryptAs(defined(keys[0]), text.ciphertext);
    expect(decodePaddedText(plain)).toBe("Через Ларс");
    expect(text.recipients).toHaveLength(1);
    expect(JSON.stringify(draft)).not.toContain("Ларс");
  });

  it("encrypts a choice as its option ids", async () => {
    const { writes } = await run(choose("consent", "yes"), choose("left", "deserted"));
    const choice = writes.at(-1);
    if (choice?.op !== "add") throw new Error("no choice part");
    expect(decodePaddedText(await decryptAs(defined(keys[0]), choice.ciphertext))).toBe("deserted");
  });

  it("writes nothing for what it refuses", async () => {
    const atConsent = await run(typed("да"));
    expect(atConsent.last).toEqual([{ type: "problem", problem: "use-buttons" }]);
    expect(atConsent.writes).toEqual([]);
  });

  it("writes the drops of a closed branch before the new answer's part", async () => {
    const { draft } = await run(
      choose("consent", "yes"),
      choose("left", "deserted"),
      typed("Через Ларс"),
      back("route"),
    );
    const { left = [], route = [] } = draft.state.partIds ?? {};
    const changed = await runner.handle(draft, choose("left", "stayed"));
    expect(changed.writes.map((write) => write.op)).toEqual(["delete", "add"]);
    const [deleted] = changed.writes;
    if (deleted?.op !== "delete") throw new Error("nothing deleted");
    // The old "left" answer and the route text; the consent stays.
    expect(deleted.ids).toEqual([...left, ...route]);
    expect(Object.keys(answerCounts(defined(changed.draft))).sort()).toEqual(["consent", "left"]);
  });

  it("stores a file encrypted, its description as a part, and says what cleaning did", async () => {
    const body = new TextEncoder().encode("not a format the cleaner knows");
    const [, document] = file("story", { kind: "document", fileName: "a.bin" }, body);
    const before = store.chunks.size;
    const { draft, writes, last } = await run(...toStory, document);
    expect(store.chunks.size).toBe(before + 1);
    const part = writes.at(-1);
    if (part?.op !== "add") throw new Error("no file part");
    expect(part).toMatchObject({ kind: "attachment", attachmentId: expect.any(String) });
    expect(store.chunks.has(defined(part.attachmentId))).toBe(true);
    expect(draft.state.partIds?.story).toEqual([part.id]);
    const meta = JSON.parse(decodePaddedText(await decryptAs(defined(keys[0]), part.ciphertext)));
    expect(meta).toMatchObject({ kind: "document", fileName: "a.bin" });
    const cleaning = { cleaned: false, removed: [], reason: "unknown-format" };
    expect(meta.cleaning).toEqual(cleaning);
    expect(last).toEqual([
      {
        type: "saved",
        question: expect.objectContaining({ id: "story" }),
        counts: { parts: 0, files: 1 },
        cleaning,
      },
    ]);
    // A question that asks for originals stores the file as sent, and says so.
    const [, evidence] = file("photos", { kind: "document" }, body);
    const original = await run(...toStory, skip("story"), evidence);
    expect(original.last).toMatchObject([
      { type: "saved", cleaning: { cleaned: false, reason: "original" } },
    ]);
  });

  it("disguises a recording unless the source keeps their voice, and says which", async () => {
    const recording = () => file("story", { kind: "voice" }, new Uint8Array([9, 9, 9, 9]))[1];
    const first = await run(...toStory, recording());
    expect(first.last).toEqual([
      { type: "voice", label: { disguised: true }, first: true, keepReal: false },
      {
        type: "saved",
        question: expect.objectContaining({ id: "story" }),
        counts: { parts: 0, files: 1 },
      },
    ]);
    const real = await runner.handle(first.draft, { type: "toggle-voice" });
    const kept = await runner.handle(defined(real.draft), recording());
    expect(kept.views[0]).toEqual({
      type: "voice",
      label: { disguised: false, reason: "kept-by-source" },
      first: false,
      keepReal: true,
    });
    const part = kept.writes.at(-1);
    if (part?.op !== "add") throw new Error("no recording part");
    const meta = JSON.parse(decodePaddedText(await decryptAs(defined(keys[0]), part.ciphertext)));
    expect(meta.voice).toEqual({ disguised: false, reason: "kept-by-source" });
  });

  it("opens no file the limits refuse", async () => {
    const photo = () => file("story", { kind: "photo" }, new Uint8Array(100).fill(1))[1];
    const two = await run(...toStory, photo(), photo());
    expect(answerCounts(two.draft).story).toEqual({ parts: 0, files: 2 });
    let opened = false;
    const third = await runner.handle(two.draft, {
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
    expect(third.writes).toEqual([]);
    expect(opened).toBe(false);
  });

  it("reports a file too big to download and leaves the draft as it was", async () => {
    const tooBig: InterviewEvent = {
      type: "file",
      file: { meta: { kind: "document" }, open: () => Promise.reject(new FileTooBigError()) },
    };
    const fresh = await run(...toStory, tooBig);
    expect(fresh.last).toEqual([{ type: "problem", problem: "file-too-big" }]);
    expect(added(fresh.writes)).toHaveLength(3); // the answers before it, none for the file

    // Back at a question with a stored file, whose first new file would replace it: the old
    // answer stays, and nothing is dropped for a file that never came.
    const photo = file("story", { kind: "photo" }, new Uint8Array(10))[1];
    const { draft } = await run(...toStory, photo, next("story"), back("photos"));
    expect(draft.position).toBe("story");
    const refused = await runner.handle(draft, tooBig, "en");
    expect(refused.views).toEqual([{ type: "problem", problem: "file-too-big" }]);
    expect(refused.writes).toEqual([]);
    expect(refused.draft).toEqual({ ...draft, locale: "en" });
    expect(answerCounts(defined(refused.draft)).story).toEqual({ parts: 0, files: 1 });
  });

  it("ends on a declined consent, a cancel and a submit; submit only from the review", async () => {
    expect((await run(choose("consent", "no"))).ended).toBe("declined");
    expect((await run(choose("consent", "yes"), { type: "cancel" })).ended).toBe("cancelled");
    const early = await run(choose("consent", "yes"), { type: "submit" });
    expect(early.last).toEqual([{ type: "stale" }]);
    expect(submitted).toHaveLength(0);
    const done = await run(...toReview, { type: "toggle-notify" }, { type: "submit" });
    expect(done.ended).toBe("submitted");
    expect(done.last).toEqual([
      { type: "submitted", receipt: expect.objectContaining({ number: 1, submissionId: "s1" }) },
    ]);
    expect(submitted.at(-1)?.state.notifyReplies).toBe(true);
  });

  it("never changes the draft it is given, and takes the locale given", async () => {
    const { draft } = await run(choose("consent", "yes"));
    const before = structuredClone(draft);
    const moved = await runner.handle(draft, choose("left", "deserted"), "en");
    await runner.handle(draft, typed("текст"));
    expect(draft).toEqual(before);
    expect(moved.draft?.locale).toBe("en");
  });
});
