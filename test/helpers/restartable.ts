// Like startTestBot, but the bot can be restarted: a new app (fresh in-memory state: codename
// sessions, receipts, rate limits) on the same database, secrets, keys and fake Bot API, as after
// a crash and a restart of the process.
import { randomBytes } from "node:crypto";
import { type RunnerHandle, run } from "@grammyjs/runner";
import { APP_DEFAULTS, type App, type AppConfig, createApp } from "../../src/app.js";
import { createTestStorage } from "./db.js";
import { startFakeBotApi } from "./fake-bot-api.js";
import { EDITORS_CHAT_ID, TEST_TOKEN, type TestBot } from "./harness.js";
import { makeTestEditorKeyring } from "./keys.js";
import { captureLogs } from "./log-capture.js";

export interface RestartableBot extends TestBot {
  /** Stops the running bot and starts a new one on the same storage. */
  restart(): Promise<void>;
}

export async function startRestartableBot(
  options: { config?: Partial<AppConfig>; now?: () => Date } = {},
): Promise<RestartableBot> {
  const api = await startFakeBotApi({ token: TEST_TOKEN });
  api.group({ id: EDITORS_CHAT_ID, title: "Editors", type: "supergroup", botIsAdmin: true });
  const storage = await createTestStorage();
  const { keyring, keys } = await makeTestEditorKeyring(2);
  const secrets = { pepper: randomBytes(32), serverKey: randomBytes(32) };
  const { logger, output } = captureLogs("debug");
  const build = (): App =>
    createApp({
      config: {
        ...APP_DEFAULTS,
        BOT_TOKEN: TEST_TOKEN,
        TELEGRAM_API_ROOT: api.apiRoot,
        EDITORS_CHAT_ID,
        ...options.config,
      },
      db: storage.db,
      keyring,
      secrets,
      logger,
      botInfo: api.botInfo,
      now: options.now,
    });
  const launch = (app: App): RunnerHandle => run(app.bot, { runner: { fetch: { timeout: 1 } } });

  let app = build();
  let runner = launch(app);
  return {
    api,
    storage,
    get app() {
      return app;
    },
    keyring,
    editorKeys: keys,
    secrets,
    logs: output,
    restart: async () => {
      await runner.stop();
      app = build();
      runner = launch(app);
    },
    stop: async () => {
      await runner.stop();
      await storage.close();
      await api.close();
    },
  };
}
