// Runs the real entry point (src/main.ts) in a child process with `node --import tsx`, as
// `npm start` does, and watches its log lines. Tests and benchmarks use it for what only a whole
// process shows: start-up, signals, the PGlite lock, webhook mode, exit codes.
//
// The bot is spawned in its own process group and kill("SIGKILL") kills the whole group, as
// `docker kill` or the OOM killer would take the service down.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { PROJECT_ROOT, TSCONFIG, TSX_LOADER } from "./run.js";

export const MAIN_ENTRY = join(PROJECT_ROOT, "src/main.ts");

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One pino line from the bot's stdout (non-JSON lines come back as { msg: line }). */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface BotProcessOptions {
  /** The whole environment of the child: nothing is inherited except PATH, HOME and LANG. */
  env: Record<string, string | undefined>;
  /** Working directory. main.ts reads `.env` from here: give it a directory without one. */
  cwd: string;
  /** Extra node flags for the program, e.g. ["--cpu-prof"] (passed through NODE_OPTIONS). */
  nodeOptions?: string[];
}

const running = new Set<BotProcess>();

export class BotProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ProcessExit>;
  readonly startedAt = performance.now();
  private out = "";
  private err = "";
  private exit?: ProcessExit;
  private readonly listeners = new Set<() => void>();

  constructor(options: BotProcessOptions) {
    const env: Record<string, string> = {};
    for (const name of ["PATH", "HOME", "LANG", "TMPDIR"]) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    for (const [name, value] of Object.entries(options.env)) {
      if (value !== undefined) env[name] = value;
    }
    if (options.nodeOptions?.length) env.NODE_OPTIONS = options.nodeOptions.join(" ");
    // Its working directory has no tsconfig.json of its own.
    env.TSX_TSCONFIG_PATH = TSCONFIG;
    this.child = spawn(process.execPath, ["--import", TSX_LOADER, MAIN_ENTRY], {
      cwd: options.cwd,
      env,
      detached: true, // its own process group, see above
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(this);
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.out += chunk;
      this.changed();
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.err += chunk;
      this.changed();
    });
    this.exited = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        this.changed();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  stdout(): string {
    return this.out;
  }

  stderr(): string {
    return this.err;
  }

  /** stdout and stderr together, for "never contains" checks. */
  output(): string {
    return `${this.out}\n${this.err}`;
  }

  logs(): LogLine[] {
    return this.out
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => {
        try {
          return JSON.parse(line) as LogLine;
        } catch {
          return { msg: line };
        }
      });
  }

  hasExited(): ProcessExit | undefined {
    return this.exit;
  }

  /**
   * Resolves with the first stdout log line whose msg matches (counting lines already written).
   * Rejects, quoting the output, when the process exits first or the time runs out.
   */
  waitForLog(msg: string | RegExp, timeoutMs = 30_000): Promise<LogLine> {
    const matches = (line: LogLine) =>
      typeof line.msg === "string" &&
      (typeof msg === "string" ? line.msg === msg : msg.test(line.msg));
    return this.until(() => this.logs().find(matches), `log line ${String(msg)}`, timeoutMs);
  }

  /** Resolves once "polling" (or "webhook") is logged: the bot takes updates from then on. */
  ready(mode: "polling" | "webhook" = "polling", timeoutMs = 60_000): Promise<LogLine> {
    return this.waitForLog(mode, timeoutMs);
  }

  /** Waits for the process (the tsx wrapper and the program) to end. */
  async waitForExit(timeoutMs = 30_000): Promise<ProcessExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`process did not exit within ${timeoutMs} ms\n${this.describe()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SIGTERM/SIGINT go to the program (like `kill PID` or `docker stop`); SIGKILL goes to the
   * whole process group. Resolves when the process has ended.
   */
  async kill(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 30_000): Promise<ProcessExit> {
    this.signal(signal);
    const exit = await this.waitForExit(timeoutMs);
    if (signal === "SIGKILL") await this.reaped(timeoutMs);
    return exit;
  }

  /**
   * After a SIGKILL the program, or a process it started, may stay a zombie for a moment until
   * it is reaped, and a zombie still counts as running for kill(pid, 0), which is how the PGlite
   * lock tells a live owner from a dead one. A supervisor restarts a service only after reaping
   * it: so do we.
   */
  private async reaped(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        process.kill(-this.pid, 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ESRCH") return;
        throw error;
      }
      if (Date.now() > deadline) throw new Error(`process group ${this.pid} not reaped`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Sends the signal without waiting. */
  signal(signal: NodeJS.Signals): void {
    if (this.exit) return;
    try {
      if (signal === "SIGKILL") process.kill(-this.pid, "SIGKILL");
      else process.kill(this.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }

  describe(): string {
    const tail = (text: string) => text.split("\n").slice(-30).join("\n");
    return `--- stdout (tail) ---\n${tail(this.out)}\n--- stderr (tail) ---\n${tail(this.err)}`;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private until<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      const check = () => {
        const value = probe();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (this.exit) {
          done();
          reject(
            new Error(
              `process exited (${JSON.stringify(this.exit)}) before ${what}\n${this.describe()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }
}

export function startBotProcess(options: BotProcessOptions): BotProcess {
  return new BotProcess(options);
}

/** Runs the bot until it exits by itself (start-up errors): exit code and output. */
export async function runBotProcessToExit(
  options: BotProcessOptions,
  timeoutMs = 30_000,
): Promise<ProcessExit & { stdout: string; stderr: string }> {
  const bot = new BotProcess(options);
  try {
    const exit = await bot.waitForExit(timeoutMs);
    return { ...exit, stdout: bot.stdout(), stderr: bot.stderr() };
  } finally {
    bot.signal("SIGKILL");
  }
}

/** SIGKILLs every bot process still running (for afterEach/afterAll). */
export async function killAllBotProcesses(): Promise<void> {
  const left = [...running];
  for (const bot of left) bot.signal("SIGKILL");
  await Promise.all(left.map((bot) => bot.exited));
}

// ---------------------------------------------------------------------------------------------
// A proxy in front of the fake Bot API that can hold and slow file downloads, so a test can
// signal the bot while a download (and so a handler) is in flight.

export interface SlowFileProxy {
  /** Give this to the bot as TELEGRAM_API_ROOT. */
  apiRoot: string;
  /** File downloads that reached the proxy so far. */
  downloads(): number;
  /** Resolves when `count` downloads have reached the proxy. */
  waitForDownloads(count: number, timeoutMs?: number): Promise<void>;
  /** Downloads wait until release() (the default is to pass them on at once). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

/**
 * `throttle`: file bodies are sent in 64 KB pieces with this many milliseconds between them.
 * Every other request (Bot API methods, long polls) is passed through as it is.
 */
export async function startSlowFileProxy(
  target: string,
  options: { throttleMs?: number } = {},
): Promise<SlowFileProxy> {
  const targetUrl = new URL(target);
  let downloads = 0;
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };

  const forward = (req: IncomingMessage, onResponse: (upstream: IncomingMessage) => void) => {
    const upstream = httpRequest(
      new URL(req.url ?? "/", targetUrl),
      { method: req.method, headers: { ...req.headers, host: targetUrl.host } },
      onResponse,
    );
    upstream.on("error", () => {});
    req.pipe(upstream);
    return upstream;
  };

  const server = createServer((req, res) => {
    let upstream: ReturnType<typeof forward> | undefined;
    res.on("close", () => upstream?.destroy());
    if (!req.url?.startsWith("/file/")) {
      upstream = forward(req, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      return;
    }
    downloads++;
    changed();
    const waitFor = gate?.promise ?? Promise.resolve();
    void waitFor.then(() => {
      upstream = forward(req, async (up) => {
        const chunks: Buffer[] = [];
        for await (const chunk of up) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        res.writeHead(up.statusCode ?? 502, {
          "content-type": up.headers["content-type"] ?? "application/octet-stream",
          "content-length": body.length,
        });
        const piece = 64 * 1024;
        for (let i = 0; i < body.length && !res.destroyed; i += piece) {
          res.write(body.subarray(i, i + piece));
          if (options.throttleMs) await new Promise((r) => setTimeout(r, options.throttleMs));
        }
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    downloads: () => downloads,
    waitForDownloads(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (downloads < count) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`only ${downloads} of ${count} downloads within ${timeoutMs} ms`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    hold() {
      if (gate) return;
      let open = () => {};
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = undefined;
    },
    async close() {
      gate?.open();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP port that was free a moment ago (for webhook mode). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
