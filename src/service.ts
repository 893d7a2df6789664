// The bot service as `npm start` runs it: editor keys, secrets, storage (+ migrations), the app
// from createApp, the hourly sweep, polling or webhook, and the broadcast worker. stop() takes it
// down in order. main.ts adds the configuration, errors and signals; `npm run demo` runs this same
// service against the Telegram emulator.
import { createServer, type Server } from "node:http";
import { type RunnerHandle, run } from "@grammyjs/runner";
import { BotError, webhookCallback } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { type App, createApp } from "./app.js";
import type { createBot } from "./bot/index.js";
import { waitForTelegram } from "./bot/telegram-check.js";
import type { RedeliveryEnvelope } from "./bot/update-retry.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { type EditorKeyring, loadEditorKeys } from "./services/crypto/editor-keys.js";
import type { Storage } from "./storage/db.js";
import { loadSecrets, type Secrets } from "./storage/secrets.js";
import { openConfiguredStorage } from "./wiring.js";

export interface RunningService {
  app: App;
  storage: Storage;
  keyring: EditorKeyring;
  /** Stops taking updates, lets handlers and broadcast sends in flight finish, closes storage. */
  stop(): Promise<void>;
}

export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const keyring = await loadEditorKeys(config.EDITOR_KEYS);
  logger.info({ editorKeys: keyring.fingerprints.length }, "editor keys loaded");
  for (const warning of keyring.warnings) logger.warn(warning);

  // Before storage: a rejected token stops here, and an unreachable Telegram is said while retrying.
  const botInfo = await waitForTelegram({
    token: config.BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    logger,
  });

  const secrets = loadSecrets({
    dataDir: config.DATA_DIR,
    pepperHex: config.PEPPER,
    serverKeyHex: config.SERVER_KEY,
    pepperFile: config.PEPPER_FILE,
    serverKeyFile: config.SERVER_KEY_FILE,
    secretsDir: config.SECRETS_DIR,
  });
  const storage = await openConfiguredStorage(config, (error) =>
    logger.warn({ err: error }, "database driver failed on a closed connection (ignored)"),
  );
  logger.info({ storage: storage.kind }, "storage ready");
  try {
    return await startOnStorage(config, logger, keyring, secrets, storage, botInfo);
  } catch (error) {
    // E.g. Telegram unreachable at getMe: release the database (and PGlite's lock) first.
    await storage.close();
    throw error;
  }
}

async function startOnStorage(
  config: Config,
  logger: Logger,
  keyring: EditorKeyring,
  secrets: Secrets,
  storage: Storage,
  botInfo: UserFromGetMe,
): Promise<RunningService> {
  const app = createApp({
    botInfo,
    config,
    db: storage.db,
    scrub: storage.scrub,
    scrubDrafts: storage.scrubDrafts,
    keyring,
    secrets,
    logger,
    exclusiveStorage: storage.kind === "pglite",
    disk: storage.disk,
  });
  const { bot, services, background } = app;
  // Hourly: expired drafts go; with RETENTION_DAYS, so do old published or rejected submissions.
  const sweep = async () => {
    try {
      const drafts = await services.interview.sweepExpired();
      if (drafts > 0) logger.info({ count: drafts }, "expired drafts deleted");
      if (config.RETENTION_DAYS !== undefined) {
        const purged = await services.editorial.purgeExpired(config.RETENTION_DAYS);
        if (purged.length > 0) logger.info({ count: purged.length }, "retention purge");
      }
      // From here rather than after a file, so the notice's timing says nothing about a source.
      if (await services.quotas.checkStorage()) {
        logger.warn("storage past 80% of STORAGE_LIMIT_GB or of the data directory's disk");
      }
    } catch (error) {
      logger.warn({ err: error }, "sweep failed");
    }
  };
  // Before any update: what a crash left (parts of interviews lost with the unlogged tables,
  // dead row versions, the write-ahead log since the last rotation) goes first.
  const leftovers = await services.interview.sweepLeftovers();
  if (leftovers > 0) logger.info({ count: leftovers }, "parts of lost interviews deleted");
  await storage.scrub().catch((error) => logger.warn({ err: error }, "scrub failed"));
  void sweep();
  const sweepTimer = setInterval(sweep, 3600_000);
  sweepTimer.unref();
  await bot.init();
  // Before any update: a changed key set is told to the editors, and added keys wait.
  await app.keys.announce();

  let stopReceiving: () => Promise<void>;
  if (config.WEBHOOK_URL && config.WEBHOOK_SECRET) {
    const webhook = await startWebhookServer(bot, config.PORT, config.WEBHOOK_SECRET, logger);
    await bot.api.setWebhook(config.WEBHOOK_URL, {
      secret_token: config.WEBHOOK_SECRET,
      allowed_updates: ALLOWED_UPDATES,
      max_connections: WEBHOOK_MAX_CONNECTIONS,
    });
    logger.info({ port: config.PORT }, "webhook");
    stopReceiving = async () => {
      await new Promise<void>((resolve) => webhook.server.close(() => resolve()));
      // Updates answered early (long work) may still be running: let them finish.
      await waitForIdle(webhook.inFlight, SHUTDOWN_GRACE_MS, logger);
    };
  } else {
    await bot.api.deleteWebhook();
    const runner: RunnerHandle = run(bot, {
      runner: { fetch: { allowed_updates: ALLOWED_UPDATES } },
    });
    logger.info("polling");
    stopReceiving = async () => {
      await runner.stop();
      // runner.stop() ends fetching but does not wait for the handlers still running (it resolves
      // when its fetch loop ends): wait for them, so an answer being stored is not cut off.
      await waitForIdle(() => runner.size(), SHUTDOWN_GRACE_MS, logger);
    };
  }

  // Broadcast delivery (unfinished jobs, also after a crash, resume by themselves) and the
  // editors' notices, one batch per window.
  background.start();
  logger.info("broadcast worker started");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Stop taking updates, let handlers in flight finish, then close storage.
      clearInterval(sweepTimer);
      await stopReceiving();
      // Broadcast messages in flight finish; claimed but unsent ones go back to the queue.
      await background.stop();
      // No dead row versions of ended interviews are left in the files at rest.
      await storage.scrub().catch((error) => logger.warn({ err: error }, "scrub failed"));
      await storage.close();
    })());
  return { app, storage, keyring, stop };
}

/** The same updates in both modes: everything else (channel posts, reactions…) never arrives. */
export const ALLOWED_UPDATES = ["message", "edited_message", "callback_query"] as const;

/**
 * Parallel webhook requests Telegram may open (its default is 40). Updates of one chat are
 * handled in order anyway (sequentialize); a few connections keep PGlite and the encryptor from
 * being swamped while still letting different chats proceed side by side.
 */
export const WEBHOOK_MAX_CONNECTIONS = 10;

/**
 * Telegram sends an update again when its webhook request is not answered in time. An update
 * still being handled after this long (a file download, an export) is answered "200 OK" and
 * goes on in the background, so long work is never delivered twice.
 */
export const WEBHOOK_ANSWER_MS = 2_000;

const errorOf = (error: unknown) => (error instanceof BotError ? error.error : error);

/** How long a shutdown waits for handlers in flight (Docker gives 10 s, Kubernetes 30 s). */
const SHUTDOWN_GRACE_MS = 25_000;

async function waitForIdle(busy: () => number, graceMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (busy() > 0) {
    if (Date.now() > deadline) {
      logger.warn({ inFlight: busy() }, "handlers still running at shutdown");
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startWebhookServer(
  bot: ReturnType<typeof createBot>,
  port: number,
  secretToken: string,
  logger?: Logger,
): Promise<{ server: Server; inFlight: () => number }> {
  // Counts handlers, including those that outlive their answered request.
  let inFlight = 0;
  const handle = bot.handleUpdate.bind(bot);
  // Answers "200" once the update is handled, or once WEBHOOK_ANSWER_MS have passed. Until
  // then a failure that will pass is answered with an error, so Telegram delivers the update
  // again; after it, the update is retried here (update-retry.ts), and its last failure logged.
  bot.handleUpdate = (update, envelope) => {
    inFlight++;
    let answered = false;
    const work = handle(update, {
      ...envelope,
      redeliverable: () => !answered,
    } as RedeliveryEnvelope);
    void work
      .catch((error) => {
        if (answered) logger?.error({ err: errorOf(error) }, "update given up after retries");
      })
      .finally(() => inFlight--);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        answered = true;
        resolve();
      }, WEBHOOK_ANSWER_MS);
      work.then(resolve, reject).finally(() => {
        answered = true;
        clearTimeout(timer);
      });
    });
  };
  // The early answer is made above; grammY's own timeout only as a backstop.
  const handleUpdate = webhookCallback(bot, "http", {
    secretToken,
    onTimeout: "return",
    timeoutMilliseconds: WEBHOOK_ANSWER_MS * 5,
  });
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    handleUpdate(req, res).catch(() => {
      // Telegram delivers the update again later.
      if (!res.headersSent) res.writeHead(503).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, () => resolve()));
  return { server, inFlight: () => inFlight };
}
