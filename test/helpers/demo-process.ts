// `npm run demo` (or the node command it runs) in a child process with a process group of its own, as
// a terminal runs it: a "Ctrl+C" is SIGINT to the whole group. Tests and the benchmark use it.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "./run.js";

export interface DemoProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The address the demo printed, once it did. */
  url(): string | undefined;
  /** The temporary folder the demo printed, once it did. */
  dir(): string | undefined;
  /** Resolves once the output matches; rejects with the output after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** A signal to the whole process group (Ctrl+C is SIGINT). */
  signalGroup(signal: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

/** The environment of a person's shell, without any bot token. */
export function demoEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.BOT_TOKEN;
  return env;
}

/**
 * `npm run demo`, or (via "node") the command npm runs for it: `node --import tsx
 * src/demo/main.ts`, so a signal can be sent to the program itself.
 */
export function spawnDemo(
  options: { via?: "npm" | "node"; args?: string[]; env?: NodeJS.ProcessEnv } = {},
): DemoProcess {
  const args = options.args ?? [];
  const [command, argv] =
    options.via === "node"
      ? [process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "src/demo/main.ts"), ...args]]
      : ["npm", ["run", "--silent", "demo", ...(args.length ? ["--", ...args] : [])]];
  const child = spawn(command, argv, {
    cwd: PROJECT_ROOT,
    env: options.env ?? demoEnv(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: string) => {
    output += chunk;
  };
  child.stdout?.setEncoding("utf8").on("data", append);
  child.stderr?.setEncoding("utf8").on("data", append);
  running.add(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => output,
    exit,
    url: () => /http:\/\/127\.0\.0\.1:\d+\/t\/[\w-]+\//.exec(output)?.[0],
    dir: () => /temporary folder\s+(\S+)/.exec(output)?.[1],
    waitFor: async (pattern, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (Date.now() > deadline) {
          throw new Error(`demo: no ${pattern} within ${timeoutMs} ms. Output:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    signalGroup: (signal) => process.kill(-(child.pid as number), signal),
  };
}

/** Kills what spawnDemo started and is still running (for afterAll and finally blocks). */
export function killDemos(): void {
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
