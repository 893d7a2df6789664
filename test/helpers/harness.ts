// Runs the real bot (createApp, as main.ts does) against the fake Bot API and a fresh database.
import { randomBytes } from "node:crypto";
import { type RunnerHandle, run } from "@grammyjs/runner";
import { APP_DEFAULTS, type App, type AppConfig, createApp } from "../../src/app.js";
import type { EditorKeyring } from "../../src/services/crypto/editor-keys.js";
import { loadSecrets, type Secrets } from "../../src/storage/secrets.js";
import { createTestStorage, type TestStorage } from "./db.js";
import { type FakeBotApi, startFakeBotApi } from "./fake-bot-api.js";
import { makeTestEditorKeyring, type TestKey } from "./keys.js";
import { captureLogs } from "./log-capture.js";

export const TEST_TOKEN = "7000000001:AAE-test-token-secret-value_abcdefghijk";
export const EDITORS_CHAT_ID = -1001234567890;

export interface TestBot {
  api: FakeBotApi;
  storage: TestStorage;
  app: App;
  keyring: EditorKeyring;
  editorKeys: TestKey[];
  secrets: Secrets;
  logs: () => string;
  /**
   * Stops the running bot and starts a new one on the same database, secrets, keys and fake
   * Bot API: fresh in-memory state (codename sessions, receipts, limits), as after a crash.
   * `keyring`: start with these editor keys instead (EDITOR_KEYS changed meanwhile).
   */
  restart(options?: { keyring?: EditorKeyring }): Promise<void>;
  /**
   * Resolves once the bot has nothing left to do: no update waiting at the fake Bot API, none
   * being handled, no editors' notice being sent. For "nothing happened" assertions, and for
   * reading what the bot stored after its last answer (the draft session writes after the bot
   * has answered).
   */
  idle(timeoutMs?: number): Promise<void>;
  /**
   * A clean stop, as SIGTERM does it: handlers finish, dead rows are scrubbed, storage closes.
   * `keepDatabase`: a PostgreSQL test database stays (to be copied); PGlite's files always stay.
   */
  stop(options?: { keepDatabase?: boolean }): Promise<void>;
}

export interface TestBotOptions {
  config?: Partial<AppConfig>;
  now?: () => Date;
  dataDir?: string;
  /** Telegram user ids allowed to use the admin commands (ADMIN_IDS). */
  adminIds?: number[];
  /** The captured logs' level (debug unless a test is about what info level writes). */
  logLevel?: string;
  /** An existing database (e.g. a seized copy) instead of a fresh one. */
  storage?: TestStorage;
  /**
   * The editor keys of an earlier run (e.g. a seized copy's), instead of fresh ones: a bot that
   * starts with none of the keys its database knows is refused (services/crypto/key-set.ts).
   */
  editorKeys?: { keyring: EditorKeyring; keys: TestKey[] };
  /** The secrets of an earlier run (e.g. a seized copy's), instead of fresh ones. */
  secrets?: Secrets;
  /** Broadcast worker timings (leases, back-off, progress interval). */
  broadcastWorker?: Parameters<typeof createApp>[0]["broadcastWorker"];
  /** How long an update waits for the source's previous one before the source is told so. */
  sourceLockWaitMs?: number;
  /** How long Bot API calls and failed updates keep being tried. */
  retry?: Parameters<typeof createApp>[0]["retry"];
  /** The source-key derivation (a test may hold it back) and how many run at once. */
  deriveSourceKey?: Parameters<typeof createApp>[0]["deriveSourceKey"];
  derivationConcurrency?: number;
  /** Newcomers waiting for a derivation before the next one is told to wait. */
  newcomersWaitingMax?: number;
}

export async function startTestBot(options: TestBotOptions = {}): Promise<TestBot> {
  const api = await startFakeBotApi({ token: TEST_TOKEN });
  api.group({ id: EDITORS_CHAT_ID, title: "Editors", type: "supergroup", botIsAdmin: true });
  const storage = options.storage ?? (await createTestStorage({ dataDir: options.dataDir }));
  const made = options.editorKeys ?? (await makeTestEditorKeyring(2));
  const keys = made.keys;
  let keyring = made.keyring;
  // With a data directory, secrets live there as in production; otherwise in memory.
  const secrets =
    options.secrets ??
    (options.dataDir
      ? loadSecrets({ dataDir: options.dataDir })
      : { pepper: randomBytes(32), serverKey: randomBytes(32) });
  const { logger, output } = captureLogs(options.logLevel ?? "debug");
  const build = (): App =>
    createApp({
      config: {
        ...APP_DEFAULTS,
        BOT_TOKEN: TEST_TOKEN,
        TELEGRAM_API_ROOT: api.apiRoot,
        EDITORS_CHAT_ID,
        ADMIN_IDS: options.adminIds ?? [],
        // Editors' notices at once unless a test is about batching.
        NOTIFY_WINDOW_MINUTES: 0,
        ...options.config,
      },
      db: storage.db,
      scrub: storage.scrub,
      scrubDrafts: storage.scrubDrafts,
      keyring,
      secrets,
      logger,
      botInfo: api.botInfo,
      now: options.now,
      exclusiveStorage: !storage.url,
      broadcastWorker: options.broadcastWorker,
      sourceLockWaitMs: options.sourceLockWaitMs,
      retry: options.retry,
      disk: storage.disk,
      deriveSourceKey: options.deriveSourceKey,
      derivationConcurrency: options.derivationConcurrency,
      newcomersWaitingMax: options.newcomersWaitingMax,
    });
  // Updates being handled now: the runner hands each one to bot.handleUpdate.
  let handling = 0;
  // As in main.ts: the broadcast worker runs with the bot and stops before storage closes.
  const launch = (started: App): RunnerHandle => {
    const handleUpdate = started.bot.handleUpdate.bind(started.bot);
    started.bot.handleUpdate = async (...args) => {
      handling++;
      try {
        return await handleUpdate(...args);
      } finally {
        handling--;
      }
    };
    started.background.start();
    return run(started.bot, { runner: { fetch: { timeout: 1 } } });
  };
  // An update leaves the fake API's queue only when the runner confirms it, after it has
  // started handling it; so "nothing queued and nothing handled" has no gap in between.
  // Updates told to wait for room in the derivation line count as being handled.
  const quiet = () =>
    api.pendingUpdates().length === 0 && handling === 0 && !app.bot.admission?.waiting;
  // As main.ts stops: the handlers still running finish first (runner.stop() does not wait for
  // them), so a stop's scrub comes after the last lease is released.
  const halt = async () => {
    await runner.stop();
    const deadline = Date.now() + 25_000;
    while (handling > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await app.background.stop();
  };
  let app = build();
  await app.keys.announce();
  let runner = launch(app);
  return {
    api,
    storage,
    get app() {
      return app;
    },
    get keyring() {
      return keyring;
    },
    editorKeys: keys,
    secrets,
    logs: output,
    idle: async (timeoutMs = 10_000) => {
      for (;;) {
        await api.waitFor(quiet, timeoutMs, "bot idle");
        await app.notices.settled();
        if (quiet()) return;
      }
    },
    restart: async (restartOptions = {}) => {
      await halt();
      keyring = restartOptions.keyring ?? keyring;
      app = build();
      await app.keys.announce();
      runner = launch(app);
    },
    stop: async (stopOptions = {}) => {
      await halt();
      await storage.scrub();
      await (stopOptions.keepDatabase ? storage.detach() : storage.close());
      await api.close();
    },
  };
}
