// The real program (src/main.ts, started through tsx as `npm start` does) in a child process,
// against the fake Bot API in this process: kill -9 and restart, SIGTERM with work in flight, the
// PGlite lock, webhook mode and start-up errors — what an operator meets, not what a unit sees.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { eq } from "drizzle-orm";
import type { Message, Update } from "grammy/types";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decryptWithPrivateKey } from "../../src/services/crypto/decrypt.js";
import { deriveSourceKey } from "../../src/services/sources/keys.js";
import { openStorage, type Storage } from "../../src/storage/db.js";
import { createPartsRepository } from "../../src/storage/parts.repo.js";
import { draftParts, drafts, parts } from "../../src/storage/schema.js";
import { loadSecrets } from "../../src/storage/secrets.js";
import { createSubmissionsRepository } from "../../src/storage/submissions.repo.js";
import {
  type BotProcess,
  freePort,
  killAllBotProcesses,
  runBotProcessToExit,
  startBotProcess,
  startSlowFileProxy,
} from "../helpers/bot-process.js";
import { createTestStorage, type TestStorage, usingPostgres } from "../helpers/db.js";
import { decryptSubmission } from "../helpers/decrypt.js";
import { type FakeBotApi, type FakeUser, startFakeBotApi } from "../helpers/fake-bot-api.js";
import { TEST_TOKEN } from "../helpers/harness.js";
import { LABELS } from "../helpers/interview-driver.js";
import {
  cleanupKeyFixtures,
  makeOpenpgpKey,
  makeTempDir,
  makeTestEditorKeyring,
  type TestKey,
  writeKeyFile,
} from "../helpers/keys.js";
import { findPlantedInFiles, readTree } from "../helpers/scan.js";

const RU = LABELS.ru;
const STALE_BUTTON = "Эта кнопка относится к другому шагу";

let api: FakeBotApi;
let keysDir: string;
let editorKey: TestKey;
const launched: BotProcess[] = [];
/** Output of runs that ended by themselves (start-up errors), for the token check. */
const launchedOutputs: string[] = [];
const worlds: World[] = [];

/** A data directory (and, with TEST_DATABASE_URL, a fresh PostgreSQL database) for one test. */
interface World {
  dir: string;
  dataDir: string;
  lockFile: string;
  pg?: TestStorage;
  env: Record<string, string | undefined>;
}

async function newWorld(
  options: { apiRoot?: string; embedded?: boolean; env?: Record<string, string> } = {},
): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), "testimony-process-"));
  // The test database stays open here (PostgreSQL takes many clients): the test reads what the
  // bot stored through it, and closing it drops the database at the end.
  const pg = usingPostgres && !options.embedded ? await createTestStorage() : undefined;
  const dataDir = join(dir, "data");
  const world: World = {
    dir,
    dataDir,
    lockFile: join(dataDir, "bot.lock"),
    pg,
    env: {
      BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: options.apiRoot ?? api.apiRoot,
      EDITOR_KEYS: keysDir,
      DATA_DIR: dataDir,
      LOG_LEVEL: "debug",
      DATABASE_URL: pg?.url,
      ...options.env,
    },
  };
  worlds.push(world);
  return world;
}

function launch(world: World, env: Record<string, string | undefined> = {}): BotProcess {
  const bot = startBotProcess({ env: { ...world.env, ...env }, cwd: world.dir });
  launched.push(bot);
  return bot;
}

/** Reads what the bot stored. PGlite is single-process: only while no bot runs on the dir. */
async function withStorage<T>(world: World, work: (storage: Storage) => Promise<T>): Promise<T> {
  if (world.pg) return work(world.pg);
  const storage = await openStorage({ dataDir: world.dataDir });
  try {
    return await work(storage);
  } finally {
    await storage.close();
  }
}

const lockPid = (world: World) => Number(readFileSync(world.lockFile, "utf8").trim());

// --- the interview as a source clicks through it ---------------------------------------------

interface Asked {
  id: string;
  message: Message;
}

/** The next question the bot asks (skipping e.g. the warning before the media question). */
async function nextQuestion(user: FakeUser): Promise<Asked> {
  for (;;) {
    const message = await user.nextBotMessage({ newOnly: true, timeoutMs: 15_000 });
    for (const button of message.reply_markup?.inline_keyboard.flat() ?? []) {
      if (!("callback_data" in button)) continue;
      if (button.callback_data === "iv:submit") return { id: "review", message };
      const id = /^iv:(?:a|t|back|skip|next):(\w+)/.exec(button.callback_data)?.[1];
      if (id) return { id, message };
    }
  }
}

async function expectQuestion(user: FakeUser, id: string): Promise<Asked> {
  const asked = await nextQuestion(user);
  expect(asked.id).toBe(id);
  return asked;
}

/** Presses the option button of a choice question by its option id. */
async function choose(user: FakeUser, asked: Asked, option: string): Promise<void> {
  const button = asked.message.reply_markup?.inline_keyboard
    .flat()
    .find((b) => "callback_data" in b && b.callback_data === `iv:a:${asked.id}:${option}`);
  if (!button) throw new Error(`no option ${option} on question ${asked.id}`);
  await user.press(button.text);
}

/** The bot's "saved" note after an answer part (sent or edited). */
async function savedNote(user: FakeUser): Promise<string> {
  const note = await user.nextBotMessage({ timeoutMs: 15_000 });
  return note.text ?? "";
}

async function beginInterview(user: FakeUser): Promise<Asked> {
  await user.command("start");
  await user.nextBotMessage({ newOnly: true, timeoutMs: 15_000 });
  await user.press(RU.begin);
  await expectQuestion(user, "consent");
  await user.press(RU.consent);
  return expectQuestion(user, "role");
}

const updateText = (u: Update) => u.message?.text;

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  api = await startFakeBotApi({ token: TEST_TOKEN });
  const editors = await makeTestEditorKeyring(2);
  keysDir = editors.dir;
  editorKey = editors.keys[0] as TestKey;
});

afterEach(async () => {
  await killAllBotProcesses();
  api.clearFaults();
});

afterAll(async () => {
  await killAllBotProcesses();
  await api?.close();
  for (const world of worlds) {
    await world.pg?.close();
    await rm(world.dir, { recursive: true, force: true });
  }
  await cleanupKeyFixtures();
});

describe(`the bot as a process (${usingPostgres ? "PostgreSQL" : "PGlite"})`, () => {
  // Embedded PGlite runs inside the bot's process: a SIGKILL of the bot is an unclean stop of
  // the database, whose recovery empties the UNLOGGED drafts (measured: PGlite does what
  // PostgreSQL does). The source is told calmly; the parts already written are swept at start.
  it.skipIf(usingPostgres)(
    "forgets the interview in progress on SIGKILL (embedded database), says so and keeps nothing of it",
    async () => {
      const world = await newWorld();
      const user = api.user({ id: 7102, first_name: "Пётр", language_code: "ru" });
      let bot = launch(world);
      await bot.ready();
      const role = await beginInterview(user);
      await choose(user, role, "other");
      await expectQuestion(user, "role_other");
      await user.send("Связист, часть первая");
      expect(await savedNote(user)).toContain("Сообщений: 1, файлов: 0");
      expect((await bot.kill("SIGKILL")).signal).toBe("SIGKILL");

      bot = launch(world);
      await bot.ready();
      // The source goes on where they were: the bot says the interview is gone, never an error.
      const next = await user.pressData(role.message.message_id, "iv:next:role_other");
      const answer = await api.waitFor(() => api.callbackAnswer(next.id), 10_000);
      expect(answer).toMatchObject({
        text: expect.stringContaining("Этого рассказа больше нет"),
        show_alert: true,
      });
      await user.send("Связист, часть вторая");
      expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
        "Я понимаю только кнопки и команды",
      );
      expect(await bot.kill("SIGTERM")).toEqual({ code: 0, signal: null });
      expect(bot.stdout()).toContain("parts of lost interviews deleted");

      // Nothing of it is left: no draft, and the parts written before the kill were swept.
      await withStorage(world, async ({ db }) => {
        expect(await db.$count(parts)).toBe(0);
        expect(await db.$count(draftParts)).toBe(0);
        expect(await db.$count(drafts)).toBe(0);
      });
      // Nor, in any file of DATA_DIR, the draft's lookup key, derived as an adversary would.
      const { pepper } = loadSecrets({ dataDir: world.dataDir });
      const { lookup } = await deriveSourceKey(pepper, 7102);
      expect(findPlantedInFiles(readTree(world.dataDir), [lookup])).toEqual([]);
    },
    120_000,
  );

  it("loses and duplicates nothing when killed with SIGKILL mid-interview", async (context) => {
    // On PostgreSQL the database did not crash: its unlogged drafts are all there.
    if (!usingPostgres) return context.skip("PGlite forgets the interview: the test above");
    const world = await newWorld();
    const user = api.user({ id: 7101, first_name: "Пётр", language_code: "ru" });
    const file = randomBytes(300_000);
    const T = {
      roleOther: ["Связист, часть первая", "Связист, часть вторая", "Связист, часть третья"],
      area: "Херсонское направление",
      story: "Нас отправили без объяснений",
    };

    let bot = launch(world);
    await bot.ready();
    const role = await beginInterview(user);
    await choose(user, role, "other");
    await expectQuestion(user, "role_other");
    await user.send(T.roleOther[0] as string);
    expect(await savedNote(user)).toContain("Сообщений: 1, файлов: 0");
    await user.send(T.roleOther[1] as string);
    expect(await savedNote(user)).toContain("Сообщений: 2, файлов: 0");

    // 1. The second part of a text answer is stored (the note says so): kill -9 at once.
    const deadPid = usingPostgres ? 0 : lockPid(world);
    expect((await bot.kill("SIGKILL")).signal).toBe("SIGKILL");
    if (!usingPostgres) {
      // The dead process left its lock behind; the next one takes it over.
      expect(lockPid(world)).toBe(deadPid);
    }
    bot = launch(world);
    await bot.ready();
    if (!usingPostgres) expect(lockPid(world)).not.toBe(deadPid);

    // The next message continues at the same question, after the two stored parts.
    await user.send(T.roleOther[2] as string);
    expect(await savedNote(user)).toContain("Сообщений: 3, файлов: 0");
    // An old button, sent by the killed process, still works...
    await user.press(RU.next);
    const branch = await expectQuestion(user, "branch");
    // ...and one of a step already done says clearly that it belongs to another step.
    const stale = await user.pressData(role.message.message_id, "iv:a:role:officer");
    const staleAnswer = await api.waitFor(() => api.callbackAnswer(stale.id), 10_000);
    expect(String(staleAnswer.text)).toContain(STALE_BUTTON);

    await choose(user, branch, "ground_forces");
    await expectQuestion(user, "service_year");
    await user.send("2022");
    await choose(user, await expectQuestion(user, "service_length"), "months_6_12");
    await expectQuestion(user, "area");
    await user.send(T.area);
    expect(await savedNote(user)).toContain("Сообщений: 1");
    await user.press(RU.next);
    await expectQuestion(user, "witnessed");
    await user.press(RU.skip);
    await expectQuestion(user, "story");

    // 2. Telegram redelivers what it was not told about: getUpdates fails from now on, so the
    // next answer is handled (and stored) but never confirmed, and the file after it waits.
    await api.waitFor(
      () => api.pendingUpdates().length === 0 && api.longPolling(),
      10_000,
      "the runner's long poll is open",
    );
    api.injectFault({
      method: "getUpdates",
      times: Number.POSITIVE_INFINITY,
      error: { error_code: 500, description: "Internal Server Error" },
    });
    await user.send(T.story);
    expect(await savedNote(user)).toContain("Сообщений: 1, файлов: 0");
    await user.sendDocument(file, { file_name: "order.pdf", mime_type: "application/pdf" });
    const queued = await api.waitFor(() => {
      const pending = api.pendingUpdates();
      return pending.length === 2 && pending;
    });
    expect(updateText(queued[0] as Update)).toBe(T.story); // handled, yet it will come again
    await bot.kill("SIGKILL");
    api.clearFaults();

    bot = launch(world);
    await bot.ready();
    // The story text comes again and is recognised; the file is stored once.
    expect(await savedNote(user)).toContain("Сообщений: 1, файлов: 1");
    await api.waitFor(() => api.pendingUpdates().length === 0, 10_000, "updates confirmed");
    await user.press(RU.next);
    await choose(user, await expectQuestion(user, "departure"), "still_serving");
    await choose(user, await expectQuestion(user, "situation"), "abroad_safe");
    await expectQuestion(user, "materials");

    // 3. Killed while idle between questions: the question's own buttons still work afterwards.
    // One chat's updates are handled in order, so once a stale press is answered, the update
    // before it (which asked this question and saved the draft) is done too.
    const probe = await user.pressData(role.message.message_id, "iv:a:role:officer");
    await api.waitFor(() => api.callbackAnswer(probe.id), 10_000, "the probe answered");
    await bot.kill("SIGKILL");
    bot = launch(world);
    await bot.ready();
    await user.press(RU.skip);
    await expectQuestion(user, "originals");
    await user.press(RU.skip);
    await choose(user, await expectQuestion(user, "publication"), "paraphrase");
    await choose(user, await expectQuestion(user, "contact_back"), "no");
    await expectQuestion(user, "anything_else");
    await user.press(RU.skip);
    await expectQuestion(user, "review");
    await user.press(RU.submit);
    await api.waitFor(() => user.botMessages().find((m) => m.text?.includes(RU.codename)), 15_000);
    expect(await bot.kill("SIGTERM")).toEqual({ code: 0, signal: null });

    // What the editors decrypt: every answer exactly once, in order; the file byte-identical.
    await withStorage(world, async ({ db }) => {
      const [submission, ...more] = await createSubmissionsRepository({ db }).list();
      expect(more).toHaveLength(0);
      const decrypted = await decryptSubmission(
        createPartsRepository({ db }),
        submission?.id as string,
        editorKey,
      );
      expect(
        decrypted.map((p) => [
          p.questionId,
          p.kind,
          p.kind === "attachment" ? JSON.parse(p.text).kind : p.text,
        ]),
      ).toEqual([
        ["consent", "choice", "yes"],
        ["role", "choice", "other"],
        ["role_other", "text", T.roleOther[0]],
        ["role_other", "text", T.roleOther[1]],
        ["role_other", "text", T.roleOther[2]],
        ["branch", "choice", "ground_forces"],
        ["service_year", "text", "2022"],
        ["service_length", "choice", "months_6_12"],
        ["area", "text", T.area],
        ["story", "text", T.story],
        ["story", "attachment", "document"],
        ["departure", "choice", "still_serving"],
        ["situation", "choice", "abroad_safe"],
        ["publication", "choice", "paraphrase"],
        ["contact_back", "choice", "no"],
      ]);
      const attachment = decrypted.find((p) => p.file);
      expect(Buffer.from(attachment?.file as Uint8Array).equals(file)).toBe(true);
    });
  }, 240_000);

  it("finishes the update in flight on SIGTERM, exits 0 and releases the lock", async () => {
    const proxy = await startSlowFileProxy(api.apiRoot, { throttleMs: 30 });
    try {
      const world = await newWorld({ apiRoot: proxy.apiRoot });
      const user = api.user({ id: 7201, first_name: "Олег", language_code: "ru" });
      const file = randomBytes(2 * 1024 * 1024);
      const bot = launch(world);
      await bot.ready();
      await choose(user, await beginInterview(user), "officer");
      await choose(user, await expectQuestion(user, "branch"), "navy");
      await expectQuestion(user, "service_year");
      await user.send("2021");
      await choose(user, await expectQuestion(user, "service_length"), "over_year");
      await expectQuestion(user, "area");
      await user.press(RU.skip);
      await expectQuestion(user, "witnessed");
      await user.press(RU.skip);
      await expectQuestion(user, "story");

      // A 2 MB document whose download is held, then trickles in (about a second).
      proxy.hold();
      await user.sendDocument(file, { file_name: "scan.pdf", mime_type: "application/pdf" });
      await proxy.waitForDownloads(1);
      bot.signal("SIGTERM");
      await bot.waitForLog("stopping");
      proxy.release();
      expect(await bot.waitForExit()).toEqual({ code: 0, signal: null });
      expect(bot.logs().map((l) => l.msg)).toContain("stopped");
      expect(bot.logs().filter((l) => (l.level ?? 0) >= 50)).toEqual([]);
      // The handler ran to the end: the file is stored and the source was told.
      expect(user.botMessages().at(-1)?.text).toContain("Сообщений: 0, файлов: 1");
      if (!usingPostgres) expect(existsSync(world.lockFile)).toBe(false);

      // The lock is free: a new process starts at once on the same directory.
      const next = launch(world);
      await next.ready();
      expect(await next.kill("SIGTERM")).toEqual({ code: 0, signal: null });

      await withStorage(world, async ({ db }) => {
        const stored = await db.select().from(parts).where(eq(parts.kind, "attachment"));
        expect(stored).toHaveLength(1);
        const chunks: Uint8Array[] = [];
        const repo = createPartsRepository({ db });
        for await (const chunk of repo.readAttachment(stored[0]?.attachmentId as string)) {
          chunks.push(chunk);
        }
        const plain = await decryptWithPrivateKey(
          { armoredPrivateKey: editorKey.armoredPrivateKey, passphrase: editorKey.passphrase },
          Buffer.concat(chunks),
        );
        expect(Buffer.from(plain).equals(file)).toBe(true);
      });
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it("exits 0 on SIGTERM while its event loop is held, as on a busy machine", async () => {
    const world = await newWorld();
    const busyLoop = pathToFileURL(join(import.meta.dirname, "../helpers/busy-loop.mjs")).href;
    const bot = startBotProcess({
      env: world.env,
      cwd: world.dir,
      nodeOptions: ["--import", busyLoop],
    });
    launched.push(bot);
    await bot.ready();
    const user = api.user({ id: 7250, first_name: "Ян", language_code: "ru" });
    await user.command("start");
    await user.nextBotMessage({ timeoutMs: 15_000 });
    expect(await bot.kill("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(bot.logs().map((l) => l.msg)).toContain("stopped");
  }, 120_000);

  it("refuses a second process on the same DATA_DIR (embedded database)", async () => {
    const world = await newWorld({ embedded: true });
    const first = launch(world);
    await first.ready();
    const second = launch(world);
    const exit = await second.waitForExit();
    expect(exit).toEqual({ code: 1, signal: null });
    const lines = second.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("already in use");
    expect(second.stdout()).not.toContain('"msg":"polling"');
    // The first one is unharmed.
    const user = api.user({ id: 7301, first_name: "Ira", language_code: "en" });
    await user.command("start");
    expect((await user.nextBotMessage({ timeoutMs: 15_000 })).text).toContain("Telegram");
    expect(lockPid(world)).not.toBe(second.pid);
    expect(await first.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("runs in webhook mode: health check, secret token, errors do not take it down", async () => {
    const port = await freePort();
    const secret = `whsec_${randomBytes(12).toString("hex")}`;
    const world = await newWorld({
      env: { WEBHOOK_URL: "https://example.invalid/hook", WEBHOOK_SECRET: secret, PORT: `${port}` },
    });
    const bot = launch(world);
    await bot.ready("webhook");
    const base = `http://127.0.0.1:${port}`;
    expect(api.webhookInfo()).toMatchObject({
      url: "https://example.invalid/hook",
      secret_token: secret,
      // The same updates as polling; a chosen number of parallel requests.
      allowed_updates: ["message", "edited_message", "callback_query"],
      max_connections: 10,
    });

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe("ok");

    const user = api.user({ id: 7401, first_name: "Anna", language_code: "en" });
    await api.deliverTo(`${base}/`, secret);
    await user.command("start");
    expect((await user.nextBotMessage({ timeoutMs: 15_000 })).text).toContain(
      "Telegram knows your phone number",
    );
    expect(api.deliveries().at(-1)?.status).toBe(200);

    // Forged updates: a wrong secret and none at all are refused and never handled.
    const intruder = api.user({ id: 7402, first_name: "Mallory", language_code: "en" });
    const forged = (updateId: number) =>
      JSON.stringify({
        update_id: updateId,
        message: {
          message_id: 1,
          date: Math.floor(Date.now() / 1000),
          chat: { id: intruder.id, type: "private", first_name: "Mallory" },
          from: { id: intruder.id, is_bot: false, first_name: "Mallory" },
          text: "/start",
          entities: [{ type: "bot_command", offset: 0, length: 6 }],
        },
      });
    const wrong = await fetch(`${base}/`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": `${secret}x`,
      },
      body: forged(900001),
    });
    const missing = await fetch(`${base}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: forged(900002),
    });
    expect([401, 403]).toContain(wrong.status);
    expect([401, 403]).toContain(missing.status);

    // A handler error (sendMessage refused with 400) is logged, and the server carries on.
    api.injectFault({
      method: "sendMessage",
      chatId: user.id,
      error: { error_code: 400, description: "Bad Request: injected" },
    });
    await user.command("help");
    expect(api.deliveries().at(-1)?.status).toBe(200);
    await bot.waitForLog("update failed");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await user.command("start");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Telegram");

    expect(intruder.botMessages()).toEqual([]);
    // The log comes through a pipe and may trail the bot's answer by a moment.
    await expect.poll(() => bot.logs().filter((l) => l.msg === "update").length).toBe(3);
    expect(bot.hasExited()).toBeUndefined();
    api.stopDelivery();
    expect(await bot.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("stops at start with one clear line on a private editor key or a missing BOT_TOKEN", async () => {
    const world = await newWorld({ embedded: true });
    const dir = await makeTempDir("bad-keys-");
    const leaked = await makeOpenpgpKey("Careless Editor");
    const file = await writeKeyFile(dir, "careless.asc", leaked.armoredPrivateKey);

    const badKey = await runBotProcessToExit({
      env: { ...world.env, EDITOR_KEYS: file },
      cwd: world.dir,
    });
    expect(badKey.code).toBe(1);
    const keyLines = badKey.stderr.trim().split("\n");
    expect(keyLines).toHaveLength(1);
    expect(keyLines[0]).toContain(file);
    expect(keyLines[0]).toMatch(/private/i);

    const noToken = await runBotProcessToExit({
      env: { ...world.env, BOT_TOKEN: undefined },
      cwd: world.dir,
    });
    expect(noToken.code).toBe(1);
    const tokenLines = noToken.stderr.trim().split("\n");
    expect(tokenLines).toHaveLength(1);
    expect(tokenLines[0]).toContain("BOT_TOKEN");
    expect(tokenLines[0]).toContain("@BotFather");
    launchedOutputs.push(badKey.stdout, badKey.stderr, noToken.stdout, noToken.stderr);
  }, 60_000);

  it("never wrote the bot token in any run's output", () => {
    const outputs = [...launched.map((bot) => bot.output()), ...launchedOutputs];
    expect(outputs.length).toBeGreaterThan(8);
    const secretPart = TEST_TOKEN.split(":")[1] as string;
    for (const output of outputs) {
      expect(output).not.toContain(secretPart);
      expect(output).not.toContain(encodeURIComponent(TEST_TOKEN));
    }
  });
});
