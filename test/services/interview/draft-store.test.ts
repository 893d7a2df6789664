// The draft store and the interview runner together on a real database, without Telegram: draft expiry and
// the sweep, sealed navigation state bound to the Telegram id, abandoned branches leaving nothing
// behind, redo replacing ciphertext, a failed update leaving nothing.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  decryptPartWithUnlockedKey,
  decryptWithPrivateKey,
  unlockPrivateKey,
} from "../../../src/services/crypto/decrypt.js";
import type { EditorKeyring } from "../../../src/services/crypto/editor-keys.js";
import { decodePaddedText } from "../../../src/services/crypto/padding.js";
import {
  answerCounts,
  createInterviewService,
  dayOf,
  type InterviewService,
} from "../../../src/services/interview/draft-store.js";
import { parseQuestionnaire } from "../../../src/services/interview/questionnaire.js";
import { createSealer, SealError } from "../../../src/services/sources/sealing.js";
import { createDraftsRepository } from "../../../src/storage/drafts.repo.js";
import { createPartsRepository } from "../../../src/storage/parts.repo.js";
import { attachmentChunks, drafts, parts } from "../../../src/storage/schema.js";
import { createTestStorage, type TestStorage, usingPostgres } from "../../helpers/db.js";
import { choose, createEngineDriver, file, text } from "../../helpers/engine.js";
import { cleanupKeyFixtures, makeTestEditorKeyring, type TestKey } from "../../helpers/keys.js";

const DAY = 86_400_000;

/** Branches two levels deep, with a media question inside the branch. */
const questionnaire = parseQuestionnaire(
  {
    id: "service_test",
    version: 3,
    questions: [
      { id: "consent", type: "yesno", required: true },
      { id: "left", type: "choice", options: ["deserted", "stayed"] },
      {
        id: "how",
        type: "choice",
        options: ["abroad", "hiding"],
        showIf: { question: "left", in: ["deserted"] },
      },
      { id: "route", type: "text", showIf: { question: "how", in: ["abroad"] } },
      { id: "proof", type: "media", showIf: { question: "left", in: ["deserted"] } },
      { id: "area", type: "text" },
      { id: "files", type: "media" },
    ],
  },
  "service-test.json",
);

describe(`the interview service on ${usingPostgres ? "PostgreSQL" : "PGlite"}`, () => {
  let storage: TestStorage;
  let keyring: EditorKeyring;
  let keys: TestKey[];
  let clock = Date.parse("2025-03-10T12:00:00Z");
  let service: InterviewService;
  let userId = 424_242_000;

  beforeAll(async () => {
    storage = await createTestStorage();
    ({ keyring, keys } = await makeTestEditorKeyring(1));
  });
  afterAll(async () => {
    await storage.close();
    await cleanupKeyFixtures();
  });

  const make = (ttlHours = 72) =>
    createInterviewService({
      drafts: createDraftsRepository({ db: storage.db }),
      parts: createPartsRepository({ db: storage.db }),
      keyring,
      sealer: createSealer(serverKey),
      pepper,
      questionnaire,
      limits: { draftTtlHours: ttlHours, maxTextLength: 20_000, maxAttachmentsPerSubmission: 30 },
      now: () => new Date(clock),
    });
  const serverKey = randomBytes(32);
  const pepper = randomBytes(32);
  const partsRepo = () => createPartsRepository({ db: storage.db });
  const decrypt = async (ciphertext: Uint8Array) => {
    const key = keys[0] as TestKey;
    const unlock = { armoredPrivateKey: key.armoredPrivateKey, passphrase: key.passphrase };
    return decodePaddedText(await decryptWithPrivateKey(unlock, ciphertext));
  };
  /** The question a part answers, as an editor reads it: from inside the encryption only. */
  const questionOf = async (part: { ciphertext: Uint8Array; questionId: string | null }) => {
    expect(part.questionId).toBeNull();
    const key = keys[0] as TestKey;
    const unlocked = await unlockPrivateKey(key.armoredPrivateKey, key.passphrase);
    return (await decryptPartWithUnlockedKey(unlocked, part.ciphertext)).label?.questionId;
  };
  const count = async (table: typeof drafts | typeof parts | typeof attachmentChunks) =>
    Number(await storage.db.$count(table));

  beforeEach(async () => {
    clock = Date.parse("2025-03-10T12:00:00Z");
    userId++;
    service = make();
    // Each test starts from empty tables.
    await storage.db.delete(parts);
    await storage.db.delete(attachmentChunks);
    await storage.db.delete(drafts);
  });

  const driver = (id = userId) => createEngineDriver(service, id);

  function draftWithAnswers(id = userId) {
    return driver(id).run([
      choose("consent", "yes"),
      text("area", "Херсонская область"),
      file("files", { kind: "photo" }, randomBytes(300_000)),
    ]);
  }

  it("sweeps a draft whose expiry day has passed, with its parts and attachment chunks", async () => {
    await draftWithAnswers();
    expect(await count(parts)).toBe(3);
    expect(await count(attachmentChunks)).toBeGreaterThan(1);
    const row = await createDraftsRepository({ db: storage.db }).find(
      await service.lookupKey(userId),
    );
    // Days only at rest: the draft lives to the end of the day the TTL (72 h) ends in, no longer.
    expect(row?.createdOn).toBe("2025-03-10");
    expect(row?.expiresOn).toBe("2025-03-13");

    // On the expiry day itself the draft is still there.
    clock = Date.parse("2025-03-13T23:00:00Z");
    expect(await service.sweepExpired()).toBe(0);
    expect(await count(drafts)).toBe(1);

    clock = Date.parse("2025-03-14T00:30:00Z");
    expect(await service.sweepExpired()).toBe(1);
    expect(await count(drafts)).toBe(0);
    expect(await count(parts)).toBe(0);
    expect(await count(attachmentChunks)).toBe(0);
    expect(await service.find(userId)).toBeUndefined();
  });

  it("keeps a draft that is in use: every save pushes the expiry on", async () => {
    const draft = await draftWithAnswers();
    clock += 2 * DAY;
    await service.save(userId, draft);
    clock += 2 * DAY; // four days after the start, two after the last activity
    expect(await service.sweepExpired()).toBe(0);
    expect((await service.find(userId))?.id).toBe(draft.id);
  });

  it("treats an expired draft as gone in find(), and deletes it there", async () => {
    const other = userId + 1_000_000;
    await draftWithAnswers();
    const kept = await driver(other).run([]);
    clock += 5 * DAY;
    await service.save(other, kept); // the other source is active today
    expect(await service.find(userId)).toBeUndefined();
    expect(await count(drafts)).toBe(1);
    expect(await count(parts)).toBe(0);
    expect(await count(attachmentChunks)).toBe(0);
    expect((await service.find(other))?.id).toBe(kept.id);
    // A new interview starts clean.
    expect(await service.find(userId)).toBeUndefined();
    const fresh = await driver().run([]);
    expect(answerCounts(fresh)).toEqual({});
  });

  it("does not open one source's sealed state with another Telegram id", async () => {
    await draftWithAnswers();
    const repo = createDraftsRepository({ db: storage.db });
    const sealed = (await repo.find(await service.lookupKey(userId)))?.sealedState as Uint8Array;
    // Someone copies the sealed state into another source's draft row.
    const intruder = userId + 2_000_000;
    const theirs = await driver(intruder).run([]);
    await repo.update(theirs.id, { sealedState: sealed });
    await expect(service.find(intruder)).rejects.toBeInstanceOf(SealError);
    // Nor with another server key, even for the right source.
    const otherKey = createInterviewService({
      drafts: repo,
      parts: partsRepo(),
      keyring,
      sealer: createSealer(randomBytes(32)),
      pepper,
      questionnaire,
      limits: { draftTtlHours: 72, maxTextLength: 20_000, maxAttachmentsPerSubmission: 30 },
      now: () => new Date(clock),
    });
    await expect(otherKey.find(userId)).rejects.toBeInstanceOf(SealError);
    // The owner still opens it, and nothing in the row names the Telegram id.
    expect((await service.find(userId))?.state.choices).toEqual({ consent: ["yes"] });
    expect(Buffer.from(sealed).toString("latin1")).not.toContain(String(userId));
  });

  it("deletes the stored answers of an abandoned branch, down the chain, files included", async () => {
    const source = driver();
    let draft = await source.run([
      choose("consent", "yes"),
      choose("left", "deserted"),
      choose("how", "abroad"),
      text("route", "Через Верхний Ларс"),
      file("proof", { kind: "photo" }, randomBytes(5000)),
      text("area", "Белгородская область"),
    ]);
    expect(Object.keys(answerCounts(draft)).sort()).toEqual(
      ["area", "consent", "how", "left", "proof", "route"].sort(),
    );
    expect(await count(attachmentChunks)).toBe(2); // the ciphertext and its padding

    draft = await source.run([choose("left", "stayed")]);
    expect(Object.keys(answerCounts(draft)).sort()).toEqual(["area", "consent", "left"]);
    expect(await count(attachmentChunks)).toBe(0);
    expect(await count(parts)).toBe(3);
    expect(draft.state.choices).toEqual({ consent: ["yes"], left: ["stayed"] });
    expect(draft.state.attachments.proof).toBeUndefined();
    expect(draft.state.textLength.route).toBeUndefined();
    // The saved state agrees.
    expect((await service.find(userId))?.state.choices).toEqual(draft.state.choices);

    // Skipping a choice abandons its branch too.
    draft = await source.run([
      choose("left", "deserted"),
      choose("how", "abroad"),
      text("route", "Снова маршрут"),
      ["how", { type: "skip", question: "how", confirmed: true }],
    ]);
    expect(Object.keys(answerCounts(draft)).sort()).toEqual(["area", "consent", "left"]);
    expect(draft.state.skipped).toContain("how");
    expect(await count(parts)).toBe(3);
  });

  it("replaces the old ciphertext on a redo, for text and for files", async () => {
    const source = driver();
    let draft = await source.run([
      text("area", "Старый ответ, часть 1"),
      text("area", "Старый ответ, часть 2"),
      file("files", { kind: "document" }, randomBytes(4000)),
    ]);
    const before = await partsRepo().listForDraft(draft.id);
    expect(await Promise.all(before.map(questionOf))).toEqual(["area", "area", "files"]);
    const oldChunks = await count(attachmentChunks);
    expect(oldChunks).toBe(2); // the ciphertext and its padding

    // The source comes back to each question: the first new part replaces the old answer.
    draft = await source.run([text("area", "Новый ответ")]);
    const newFile = randomBytes(6000);
    draft = await source.run([file("files", { kind: "photo" }, newFile)]);

    const after = await partsRepo().listForDraft(draft.id);
    expect(await Promise.all(after.map(questionOf))).toEqual(["area", "files"]);
    expect(await decrypt(after[0]?.ciphertext as Uint8Array)).toBe("Новый ответ");
    expect(JSON.parse(await decrypt(after[1]?.ciphertext as Uint8Array))).toEqual({
      kind: "photo",
    });
    const oldCiphertexts = before.map((p) => Buffer.from(p.ciphertext).toString("hex"));
    for (const part of after) {
      expect(oldCiphertexts).not.toContain(Buffer.from(part.ciphertext).toString("hex"));
    }
    // Only the new file's chunks are left.
    expect(await count(attachmentChunks)).toBe(2); // the ciphertext and its padding
    expect(after[1]?.attachmentId).not.toBe(before[2]?.attachmentId);
    expect(draft.state.textLength.area).toBe("Новый ответ".length);
    expect(draft.state.attachments.files).toBe(1);
    expect(dayOf(new Date(clock))).toBe("2025-03-10");
  });

  it("writes nothing of an update that fails after its answer was encrypted", async () => {
    const source = driver();
    const draft = await source.run([choose("consent", "yes")]);
    const partsBefore = await count(parts);
    const [, event] = file("files", { kind: "document" }, randomBytes(4000));
    const outcome = await service.handle({ ...draft, position: "files" }, event);
    // The file's ciphertext is in the chunk store already; its part waits for the write.
    expect(await count(attachmentChunks)).toBe(2);
    expect(outcome.writes.map((write) => write.op)).toEqual(["add"]);
    // The bot failed to answer: the draft session abandons the update instead of writing it.
    await service.abandon(outcome.writes);
    expect(await count(attachmentChunks)).toBe(0);
    expect(await count(parts)).toBe(partsBefore);
    expect(answerCounts((await service.find(userId)) ?? draft)).toEqual(answerCounts(draft));
    // The draft given to the interview was not touched.
    expect(draft.position).not.toBe("files");
  });
});
