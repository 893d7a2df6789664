// `npm run demo`: the real bot service (src/service.ts, as `npm start` runs it) against the Telegram
// emulator on 127.0.0.1, with embedded PGlite in a throwaway directory, a demo editor key pair
// made on the spot, a demo admin and an editors' group; and a local web page (server.ts) where a
// person plays the source, the editors and the admin. close() stops everything and deletes the
// directory.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { type RunningService, startService } from "../service.js";
import { formatFingerprint } from "../services/crypto/editor-keys.js";
import { generateEditorKey } from "../services/crypto/keygen.js";
import type { Locale } from "../services/locale.js";
import { type FakeBotApi, messageFileId, startFakeBotApi } from "../telegram-emulator/index.js";
import { type DemoKey, startDemoServer } from "./server.js";
import { ADMIN_ID, EDITORS_CHAT_ID, setUpWorld } from "./world.js";

/**
 * The bot token between the bot and the emulator, new each run: the emulator listens on
 * 127.0.0.1, and the token is what keeps other local programs from reading the demo's chats and
 * files through it (the logger scrubs it like any token).
 */
function demoToken(): string {
  return `1000000001:DEMO${randomBytes(24).toString("base64url")}`;
}

/**
 * What looks like a bot token from @BotFather (digits, a colon, 35 characters). The demo refuses
 * to start with one in the environment, so nobody believes a real bot is involved.
 */
export function looksLikeRealToken(value: string | undefined): boolean {
  return value !== undefined && /^\d{5,}:[A-Za-z0-9_-]{30,}$/.test(value.trim());
}

export interface DemoOptions {
  /** The page's port; 0 or unset: a free one. */
  port?: number;
  /** The bot's DEFAULT_LOCALE and the page's starting language. */
  lang?: Locale;
  /** The service's log level (default warn: the terminal stays readable). */
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Where the throwaway directory is made (default: the system's temp folder). */
  tmpRoot?: string;
}

export interface Demo {
  /** http://127.0.0.1:PORT/t/TOKEN/ */
  url: string;
  /** The throwaway directory: database, secrets, demo keys, exported archives. */
  dir: string;
  dataDir: string;
  exportsDir: string;
  key: DemoKey;
  lang: Locale;
  api: FakeBotApi;
  /**
   * The bot service, once it polls the emulator. The page answers before that: embedded
   * PostgreSQL takes seconds to create a database, and anything typed meanwhile waits in the
   * emulator's update queue, as it would on Telegram.
   */
  ready: Promise<RunningService>;
  /** Stops the page, the bot and the emulator, and deletes the directory. Safe to call twice. */
  close(): Promise<void>;
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const lang = options.lang ?? "ru";
  const token = demoToken();
  const dir = mkdtempSync(join(options.tmpRoot ?? tmpdir(), "testimony-demo-"));
  const cleanups: (() => Promise<void> | void)[] = [
    () => rmSync(dir, { recursive: true, force: true }),
  ];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // keep going: the directory must go in any case
      }
    }
  };
  try {
    const [key, api] = await Promise.all([
      makeDemoKey(dir),
      startFakeBotApi({ token, botFirstName: "Testimony Bot (demo)" }),
    ]);
    cleanups.push(() => api.close());
    const dataDir = join(dir, "data");
    const exportsDir = join(dir, "exports");
    mkdirSync(exportsDir, { mode: 0o700 });
    setUpWorld(api, lang);

    const config = parseConfig({
      BOT_TOKEN: token,
      TELEGRAM_API_ROOT: api.apiRoot,
      DATA_DIR: dataDir,
      EDITOR_KEYS: key.publicKeyPath,
      EDITORS_CHAT_ID: String(EDITORS_CHAT_ID),
      ADMIN_IDS: String(ADMIN_ID),
      DEFAULT_LOCALE: lang,
      LOG_LEVEL: options.logLevel ?? "warn",
      // One person plays every part: the editors' notice comes at once, not in a batch.
      NOTIFY_WINDOW_MINUTES: "0",
    });
    const logger = createLogger({ level: config.LOG_LEVEL });
    const ready = startService(config, logger);
    // Stopping waits for a start in progress to end (it holds the database), then stops it.
    cleanups.push(() => ready.then((service) => service.stop()));
    ready.catch(() => {}); // the caller sees the failure through demo.ready
    cleanups.push(saveExportedArchives(api, exportsDir));

    const server = await startDemoServer({
      api,
      ready,
      lang,
      port: options.port ?? 0,
      info: { dir, dataDir, exportsDir, key },
    });
    cleanups.push(() => server.close());

    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      dir,
      dataDir,
      exportsDir,
      key,
      lang,
      api,
      ready,
      close: () => (closing ??= runCleanups()),
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

/** The demo's editor key pair, as `npm run editor -- keygen` makes it; DEMO ONLY. */
async function makeDemoKey(dir: string): Promise<DemoKey> {
  const keysDir = join(dir, "keys");
  mkdirSync(keysDir, { mode: 0o700 });
  const passphrase = `demo-${randomBytes(6).toString("hex")}`;
  const generated = await generateEditorKey({ name: "Demo Editor (DEMO ONLY)", passphrase });
  const privateKeyPath = join(keysDir, "demo-editor.private.asc");
  const publicKeyPath = join(keysDir, "demo-editor.public.asc");
  writeFileSync(privateKeyPath, generated.armoredPrivateKey, { mode: 0o600 });
  writeFileSync(publicKeyPath, generated.armoredPublicKey, { mode: 0o644 });
  return {
    privateKeyPath,
    publicKeyPath,
    passphrase,
    fingerprint: formatFingerprint(generated.fingerprint),
  };
}

/**
 * Archives the bot sends to the editors' group are kept in DIR/exports, as an editor would save
 * them from the chat, so the review desk can open them while the demo runs. They are ciphertext.
 */
function saveExportedArchives(api: FakeBotApi, exportsDir: string): () => void {
  return api.watch((event) => {
    if (event.type !== "message" || event.kind !== "sent" || !event.fromBot) return;
    if (event.chatId !== EDITORS_CHAT_ID || !event.message.document) return;
    const fileId = messageFileId(event.message);
    const name = basename(event.message.document.file_name ?? "");
    if (!fileId || !/^[\w.-]+$/.test(name)) return;
    writeFileSync(join(exportsDir, name), api.fileBytes(fileId), { mode: 0o600 });
  });
}
