// Several instances of the service on one PostgreSQL database, as a multi-instance deployment
// runs them: each is startService (what `npm start` runs) with its own connection pool and
// in-memory state, the same secrets and editor keys, in webhook mode behind one round-robin
// proxy; the fake Bot API posts updates to the proxy over several connections at once, as
// Telegram does with max_connections > 1. In one process, so a test starts in seconds.
// On PGlite (single-process by design) only one instance can run: webhook mode on its DATA_DIR.
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Config, parseConfig } from "../../src/config.js";
import { type RunningService, startService, WEBHOOK_MAX_CONNECTIONS } from "../../src/service.js";
import type { Storage } from "../../src/storage/db.js";
import { freePort } from "./bot-process.js";
import { createTestStorage, type TestStorage } from "./db.js";
import { type FakeBotApi, startFakeBotApi } from "./fake-bot-api.js";
import { EDITORS_CHAT_ID, TEST_TOKEN } from "./harness.js";
import { makeTempDir, makeTestEditorKeyring, type TestKey } from "./keys.js";
import { captureLogs } from "./log-capture.js";

export interface Cluster {
  api: FakeBotApi;
  /**
   * The test's own connection to the shared database, to read what the instances stored (on
   * PGlite: the one instance's storage).
   */
  storage: Storage;
  instances: RunningService[];
  /** Each instance's own webhook address (the proxy's targets), in instance order. */
  urls: string[];
  /** The secret token Telegram sends with every webhook request. */
  webhookSecret: string;
  proxy: RoundRobinProxy;
  editorKeys: TestKey[];
  /** Every instance's log output, one string per instance. */
  logs(): string[];
  /** Waits until no webhook request is open (every update sent so far has been answered). */
  settled(timeoutMs?: number): Promise<void>;
  /** Stops the instances (as SIGTERM does), the proxy and the fake API; drops the database. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  instances: number;
  /** Parallel webhook requests (default: the max_connections the bot asks Telegram for). */
  maxConnections?: number;
  /** Extra environment for every instance (e.g. FLOOD_MESSAGES_PER_MINUTE). */
  env?: Record<string, string>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  // Read now, not at import: the benchmark sets it from BENCH_DATABASE_URL.
  const postgres = Boolean(process.env.TEST_DATABASE_URL);
  if (!postgres && options.instances > 1) {
    throw new Error("startCluster: several instances share PostgreSQL (set TEST_DATABASE_URL)");
  }
  const api = await startFakeBotApi({ token: TEST_TOKEN });
  api.group({ id: EDITORS_CHAT_ID, title: "Editors", type: "supergroup", botIsAdmin: true });
  const pg: TestStorage | undefined = postgres ? await createTestStorage() : undefined;
  const { keys, dir: keysDir } = await makeTestEditorKeyring(2);
  const secret = randomBytes(16).toString("hex");
  const shared = {
    BOT_TOKEN: TEST_TOKEN,
    TELEGRAM_API_ROOT: api.apiRoot,
    EDITOR_KEYS: keysDir,
    EDITORS_CHAT_ID: String(EDITORS_CHAT_ID),
    DATABASE_URL: pg?.url,
    PEPPER: randomBytes(32).toString("hex"),
    SERVER_KEY: randomBytes(32).toString("hex"),
    // Telegram is told this address; the fake API is pointed at the proxy below instead.
    WEBHOOK_URL: "https://bot.example.org/telegram",
    WEBHOOK_SECRET: secret,
    LOG_LEVEL: "debug",
    NOTIFY_WINDOW_MINUTES: "0",
    ...options.env,
  };
  const instances: RunningService[] = [];
  const urls: string[] = [];
  const logs: (() => string)[] = [];
  const proxy = await startRoundRobinProxy();
  try {
    for (let i = 0; i < options.instances; i++) {
      const port = await freePort();
      const config: Config = parseConfig({
        ...shared,
        PORT: String(port),
        DATA_DIR: join(await makeTempDir("instance-"), "data"),
      });
      const { logger, output } = captureLogs(config.LOG_LEVEL);
      instances.push(await startService(config, logger));
      logs.push(output);
      urls.push(`http://127.0.0.1:${port}/telegram`);
      proxy.add(`http://127.0.0.1:${port}`);
    }
    await api.deliverTo(`${proxy.url}/telegram`, secret, {
      maxConnections: options.maxConnections ?? WEBHOOK_MAX_CONNECTIONS,
    });
  } catch (error) {
    await Promise.all(instances.map((instance) => instance.stop()));
    await proxy.close();
    await pg?.close();
    await api.close();
    throw error;
  }
  return {
    api,
    storage: pg ?? (instances[0] as RunningService).storage,
    instances,
    urls,
    webhookSecret: secret,
    proxy,
    editorKeys: keys,
    logs: () => logs.map((output) => output()),
    settled: (timeoutMs) => api.deliveriesSettled(timeoutMs),
    stop: async () => {
      api.stopDelivery();
      await Promise.all(instances.map((instance) => instance.stop()));
      await proxy.close();
      await pg?.close();
      await api.close();
    },
  };
}

export interface RoundRobinProxy {
  url: string;
  add(target: string): void;
  /** Requests passed to each target so far, in the order targets were added. */
  counts(): number[];
  close(): Promise<void>;
}

/** A small load balancer: each request goes to the next target in turn, body and answer as is. */
export async function startRoundRobinProxy(): Promise<RoundRobinProxy> {
  const targets: { url: URL; count: number }[] = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    const target = targets[next++ % targets.length];
    if (!target) {
      res.writeHead(502).end();
      return;
    }
    target.count++;
    const upstream = httpRequest(
      new URL(req.url ?? "/", target.url),
      { method: req.method, headers: { ...req.headers, host: target.url.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    add: (target) => {
      targets.push({ url: new URL(target), count: 0 });
    },
    counts: () => targets.map((target) => target.count),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
