// Several instances behind one webhook (issue 17): two services on one PostgreSQL database, a
// round-robin proxy in front, Telegram posting updates over several connections at once. Sources
// who send a burst of messages, and an album, must find every message stored exactly once and
// every interview sent; and an update delivered again after a later one must not be lost.
import type { Message, Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptPartWithUnlockedKey, unlockPrivateKey } from "../../src/services/crypto/decrypt.js";
import { decodePaddedText } from "../../src/services/crypto/padding.js";
import { createPartsRepository } from "../../src/storage/parts.repo.js";
import { type Cluster, startCluster } from "../helpers/cluster.js";
import { usingPostgres } from "../helpers/db.js";
import { decryptSubmission } from "../helpers/decrypt.js";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { LABELS } from "../helpers/interview-driver.js";
import { questionIdOf } from "../helpers/steps.js";

const RU = LABELS.ru;
const SOURCES = 16;
const BURST = 5;
const ALBUM = 3;
/** Generous: 16 sources share two instances' memory-hard queues on a busy machine. */
const STEP_MS = 60_000;

const textOf = (source: number, n: number) => `Источник ${source}, сообщение ${n} из ${BURST}`;
const photoOf = (source: number, n: number) =>
  new Uint8Array(2000 + n).fill((source * 7 + n) % 251);
const savedCount = (text: string | undefined) =>
  /Сообщений: (\d+), файлов: (\d+)/
    .exec(text ?? "")
    ?.slice(1)
    .map(Number) ?? [];

/** The next question the bot asks in this chat (the warning before the media question is no question). */
async function nextQuestion(user: FakeUser): Promise<{ id: string; message: Message }> {
  for (;;) {
    const message = await user.nextBotMessage({ newOnly: true, timeoutMs: STEP_MS });
    const id = questionIdOf(message);
    if (id) return { id, message };
  }
}

/** /start, the briefing, consent, and "Other" as the role: at the free-text question. */
async function toRoleOther(user: FakeUser) {
  await user.command("start");
  await user.nextBotMessage({ timeoutMs: STEP_MS });
  await user.press(RU.begin);
  await nextQuestion(user);
  await user.press(RU.consent);
  await nextQuestion(user);
  await user.press("Другое");
  expect((await nextQuestion(user)).id).toBe("role_other");
}

/**
 * The "saved" note under the question `asked` once it shows `parts` messages and `files` files;
 * if it never does (a message lost), the note as it stands when the time is up.
 */
async function noteOnceSaved(
  cluster: Cluster,
  user: FakeUser,
  asked: Message,
  [parts, files]: [number, number],
) {
  const note = () =>
    user
      .botMessages()
      .findLast((m) => m.message_id > asked.message_id && savedCount(m.text).length > 0);
  await cluster.api
    .waitFor(
      () => {
        const [p, f] = savedCount(note()?.text);
        return p === parts && f === files;
      },
      STEP_MS / 2,
      "saved note",
    )
    .catch(() => undefined);
  return savedCount(note()?.text);
}

describe.skipIf(!usingPostgres)("two instances behind one webhook", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ instances: 2 });
  });
  afterAll(() => cluster?.stop());

  it(`${SOURCES} sources bursting messages and albums: each stored once, every interview sent`, async () => {
    const users = Array.from({ length: SOURCES }, (_, i) =>
      cluster.api.user({ id: 9_170_000 + i, first_name: `Источник ${i}`, language_code: "ru" }),
    );
    const notes: Record<number, { burst: number[]; album: number[]; review: string }> = {};

    // Where each source is, so a failure says which step of whose interview went wrong.
    const at: Record<number, string> = {};
    const interview = async (user: FakeUser, source: number) => {
      await user.command("start");
      await user.nextBotMessage({ timeoutMs: STEP_MS });
      await user.press(RU.begin);
      await nextQuestion(user);
      await user.press(RU.consent);
      const seen = { burst: [] as number[], album: [] as number[], review: "" };
      for (;;) {
        const { id, message } = await nextQuestion(user);
        at[source] = id;
        if (id === "review") {
          seen.review = message.text ?? "";
          break;
        }
        if (id === "role") {
          await user.press("Другое");
        } else if (id === "role_other") {
          // Five quick messages: sent one after another without waiting for an answer, so
          // Telegram has several of them in flight at once, on both instances.
          for (let n = 1; n <= BURST; n++) await user.send(textOf(source, n));
          seen.burst = await noteOnceSaved(cluster, user, message, [BURST, 0]);
          await user.press(RU.next);
        } else if (id === "materials") {
          await user.sendMediaGroup(
            Array.from({ length: ALBUM }, (_, n) => ({
              kind: "photo" as const,
              bytes: photoOf(source, n),
            })),
          );
          seen.album = await noteOnceSaved(cluster, user, message, [0, ALBUM]);
          await user.press(RU.next);
        } else if (id === "service_year") {
          await user.send("2023");
        } else if (id === "area" || id === "story" || id === "departure_story") {
          await user.send(`${id} ${source}`);
          await noteOnceSaved(cluster, user, message, [1, 0]);
          await user.press(RU.next);
        } else {
          const option = message.reply_markup?.inline_keyboard
            .flat()
            .find((b) => "callback_data" in b && b.callback_data.startsWith("iv:a:"));
          if (option) await user.press(option.text);
          else await user.press(RU.skip);
        }
      }
      notes[source] = seen;
      await user.press(RU.submit);
      const receipt = await cluster.api.waitFor(
        () => user.botMessages().find((m) => m.text?.includes(RU.codename)),
        STEP_MS,
        "codename",
      );
      return receipt.text?.split("\n")[2]?.trim() as string;
    };

    const runs = await Promise.allSettled(users.map((user, i) => interview(user, i)));
    await cluster.settled();
    const failures = runs.flatMap((run, source) =>
      run.status === "rejected"
        ? [
            `source ${source} at ${at[source]}: ${String(run.reason).split("\n").slice(0, 12).join("\n")}`,
          ]
        : [],
    );
    expect(failures).toEqual([]);
    const codenames = runs.map((run) => (run.status === "fulfilled" ? run.value : ""));

    // Every instance took part.
    expect(cluster.proxy.counts().every((count) => count > 0)).toBe(true);
    expect(new Set(codenames).size).toBe(SOURCES);
    for (let source = 0; source < SOURCES; source++) {
      // What the source was shown: all five messages, all three files, in the note and review.
      expect({ source, ...notes[source] }).toMatchObject({
        source,
        burst: [BURST, 0],
        album: [0, ALBUM],
      });
      expect(notes[source]?.review).toContain(`${ALBUM} файла`);
    }

    // What the editors get: every message and every file exactly once.
    const parts = createPartsRepository({ db: cluster.storage.db });
    const submissions = cluster.instances[0]?.app.services.submissions;
    const key = cluster.editorKeys[0];
    if (!submissions || !key) throw new Error("no instance");
    for (const [source, codename] of codenames.entries()) {
      const view = await submissions.openWithCodename(codename);
      expect(view, `source ${source}`).toBeDefined();
      const decrypted = await decryptSubmission(parts, view?.submissionId as string, key);
      const burst = decrypted.filter((p) => p.questionId === "role_other").map((p) => p.text);
      expect({ source, burst: burst.sort() }).toEqual({
        source,
        burst: Array.from({ length: BURST }, (_, n) => textOf(source, n + 1)).sort(),
      });
      const files = decrypted
        .filter((p) => p.questionId === "materials" && p.file)
        .map((p) => Buffer.from(p.file as Uint8Array).toString("hex"))
        .sort();
      const sent = Array.from({ length: ALBUM }, (_, n) =>
        Buffer.from(photoOf(source, n)).toString("hex"),
      ).sort();
      expect({ source, files: files.length, same: files.join() === sent.join() }).toEqual({
        source,
        files: ALBUM,
        same: true,
      });
    }
    expect(await cluster.instances[0]?.app.repositories.submissions.list()).toHaveLength(SOURCES);
    expect(await cluster.instances[0]?.app.repositories.drafts.count()).toBe(0);
  }, 600_000);

  it("a first question answered on the other instance before Begin's draft is stored there waits for it", async () => {
    const user = cluster.api.user({ id: 9_171_100, first_name: "Быстрый", language_code: "ru" });
    // /start goes to one instance, which derives the key in the background; Begin goes to the
    // other, which shows the first question at once and stores the draft once it has derived
    // the key too; the answer, pressed at once, goes back to the first one, key in hand.
    await user.command("start");
    await user.nextBotMessage({ timeoutMs: STEP_MS });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await user.press(RU.begin);
    expect((await nextQuestion(user)).id).toBe("consent");
    const press = await user.press(RU.consent);
    const answer = await cluster.api.waitFor(
      () => cluster.api.callbackAnswer(press.id),
      STEP_MS,
      "the press answered",
    );
    // Not "this interview is gone": the press moves the interview on.
    expect(answer.text).toBeUndefined();
    expect((await nextQuestion(user)).id).toBe("role");
  });
});

describe("an update delivered again after a later one", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ instances: 1, maxConnections: 1 });
  });
  afterAll(() => cluster?.stop());

  /** Posts one update to the instance as Telegram would, and waits for the answer. */
  const post = async (update: Update) => {
    const response = await fetch(cluster.urls[0] as string, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": cluster.webhookSecret,
      },
      body: JSON.stringify(update),
    });
    expect(response.status).toBe(200);
    await response.text();
  };

  it("stores an update that arrives after a later one, and a repeated one once", async () => {
    const user = cluster.api.user({ id: 9_171_000, first_name: "Боец", language_code: "ru" });
    await toRoleOther(user);

    // Two messages, held back by "Telegram" (no delivery), then delivered by hand: the later
    // one (11) first, then the earlier one (10), then 11 again, as a redelivery would.
    cluster.api.stopDelivery();
    await user.send("Первое сообщение");
    await user.send("Второе сообщение");
    const [ten, eleven] = cluster.api.pendingUpdates();
    if (!ten || !eleven) throw new Error("updates not queued");
    expect(eleven.update_id).toBe(ten.update_id + 1);
    await cluster.api.call("deleteWebhook", { drop_pending_updates: true });
    await post(eleven);
    await post(ten);
    await post(eleven);

    const draft = await cluster.instances[0]?.app.services.interview.find(user.id);
    const key = cluster.editorKeys[0];
    if (!draft || !key) throw new Error("no draft");
    const parts = createPartsRepository({ db: cluster.storage.db });
    const stored = await decryptDraftTexts(parts, draft.id, key);
    expect(stored.sort()).toEqual(["Второе сообщение", "Первое сообщение"]);
    // The note tells the source both were saved.
    expect(savedCount(user.botMessages().findLast((m) => savedCount(m.text).length)?.text)).toEqual(
      [2, 0],
    );
  });
});

async function decryptDraftTexts(
  parts: ReturnType<typeof createPartsRepository>,
  draftId: string,
  key: NonNullable<Cluster["editorKeys"][number]>,
): Promise<string[]> {
  const unlocked = await unlockPrivateKey(key.armoredPrivateKey, key.passphrase);
  const texts: string[] = [];
  for (const row of await parts.listForDraft(draftId)) {
    const { data, label } = await decryptPartWithUnlockedKey(unlocked, row.ciphertext);
    if (label?.questionId === "role_other") texts.push(decodePaddedText(data));
  }
  return texts;
}

describe.skipIf(!usingPostgres)("limits of a source spread over two instances", () => {
  const FLOOD = 8;
  const ATTEMPTS = 3;
  let cluster: Cluster;
  beforeAll(async () => {
    // One request at a time: the proxy then sends every other update to the other instance.
    cluster = await startCluster({
      instances: 2,
      maxConnections: 1,
      env: {
        FLOOD_MESSAGES_PER_MINUTE: String(FLOOD),
        CODENAME_ATTEMPTS_PER_HOUR: String(ATTEMPTS),
      },
    });
  });
  afterAll(() => cluster?.stop());

  it("a flood is cut at the same message as on one instance, with one 'slow down'", async () => {
    const user = cluster.api.user({ id: 9_172_000, first_name: "Боец", language_code: "ru" });
    // /start, begin, consent, role: 4 updates.
    await toRoleOther(user);
    const before = cluster.proxy.counts();
    for (let i = 1; i <= 10; i++) await user.send(`Сообщение номер ${i}`);
    await cluster.settled();
    const after = cluster.proxy.counts();
    // Both instances saw the flood.
    expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([5, 5]);

    const slowDown = user.botMessages().filter((m) => m.text?.includes("Слишком много сообщений"));
    expect(slowDown).toHaveLength(1);
    const draft = await cluster.instances[0]?.app.services.interview.find(user.id);
    const key = cluster.editorKeys[0];
    if (!draft || !key) throw new Error("no draft");
    const stored = await decryptDraftTexts(
      createPartsRepository({ db: cluster.storage.db }),
      draft.id,
      key,
    );
    expect(stored.sort()).toEqual([1, 2, 3, 4].map((i) => `Сообщение номер ${i}`));
  });

  it("wrong codenames are counted across instances", async () => {
    const user = cluster.api.user({
      id: 9_172_001,
      first_name: "Вернувшийся",
      language_code: "ru",
    });
    const wrong = "абажур абзац абрикос август авокадо авоська автобус автор";
    const answers: string[] = [];
    for (let i = 0; i <= ATTEMPTS; i++) {
      await user.send(wrong);
      answers.push((await user.nextBotMessage({ newOnly: true, timeoutMs: STEP_MS })).text ?? "");
    }
    expect(answers.slice(0, ATTEMPTS).every((a) => a.includes("ничего не найдено"))).toBe(true);
    expect(answers[ATTEMPTS]).toBe("Слишком много попыток. Попробуйте через час.");
  });
});
