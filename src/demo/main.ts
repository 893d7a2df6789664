// `npm run demo`: the whole flow on one computer, in a browser, without Telegram (see demo.ts).
// Prints one address; Ctrl+C (SIGINT) or SIGTERM stops everything and deletes every file it made.
// npm runs it as `node --import tsx`, one process: the tsx command would wrap it in a parent that
// relays signals and SIGKILLs a child that has not acknowledged one within 60 ms — on a busy
// machine that cut the clean-up short.
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { readLaunchEnvironment } from "../config.js";
import { whenParentGone } from "../parent-watch.js";
import { isLocale } from "../services/locale.js";
import { type Demo, looksLikeRealToken, startDemo } from "./demo.js";

const USAGE = `Usage: npm run demo [-- --port N] [--lang ru|en]

Runs the real bot against a local emulation of Telegram and opens a page with three chats:
a source, the editors' group and an admin. Nothing goes to Telegram or anywhere else on the
network; every file is made in a temporary folder and deleted when you press Ctrl+C.`;

async function main(): Promise<number> {
  let values: { port?: string; lang?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== "--"),
      options: {
        port: { type: "string" },
        lang: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (looksLikeRealToken(readLaunchEnvironment().botToken)) {
    process.stderr.write(
      "error: BOT_TOKEN in your environment looks like a real bot token. The demo never uses one\n" +
        "(it runs a local emulation of Telegram); to avoid any confusion it does not start while\n" +
        "one is set. Run it without: env -u BOT_TOKEN npm run demo\n",
    );
    return 1;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write("error: --port must be a port number (or leave it out for a free one)\n");
    return 2;
  }
  const lang = values.lang ?? "ru";
  if (!isLocale(lang)) {
    process.stderr.write("error: --lang must be ru or en\n");
    return 2;
  }

  const signals = watchSignals();
  process.stdout.write("Starting the demo (a local emulation of Telegram)…\n");
  const demo = await startDemo({ port, lang });
  // A crash still removes the directory (synchronously: nothing async runs at exit).
  process.once("exit", () => rmSync(demo.dir, { recursive: true, force: true }));
  printBanner(demo);
  const stopped = signals.then(async (signal) => {
    process.stdout.write(`\n${signal}: stopping the demo…\n`);
    await demo.close();
    process.stdout.write("Stopped; the temporary folder was deleted.\n");
  });
  const started = await demo.ready.then(
    () => true,
    (error: unknown) => {
      process.stderr.write(`demo: the bot could not start: ${(error as Error)?.message}\n`);
      return false;
    },
  );
  if (!started) {
    await demo.close();
    return 1;
  }
  if (!signalled) process.stdout.write("The bot is ready.\n");
  await stopped;
  return 0;
}

let signalled = false;

/**
 * The first SIGINT or SIGTERM. Another one a second later leaves at once (the exit handler still
 * deletes the folder); one sooner is the same Ctrl+C again (a wrapper such as the tsx command
 * passes its own copy on as well).
 */
function watchSignals(): Promise<string> {
  let firstAt = 0;
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      if (signalled) {
        if (Date.now() - firstAt > 1000) process.exit(130);
        return;
      }
      signalled = true;
      firstAt = Date.now();
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    // npm killed (its shell does not pass a signal on, and SIGKILL cannot be): stop all the same.
    whenParentGone(readLaunchEnvironment().startedByNpm, () => onSignal("npm exited"));
  });
}

function printBanner(demo: Demo): void {
  const out = process.stdout;
  out.write(`\nOpen the demo in your browser:\n\n  ${demo.url}\n\n`);
  out.write(
    [
      "DEMO ONLY — everything below is thrown away when the demo stops:",
      `  temporary folder      ${demo.dir}`,
      `  demo editor key       ${demo.key.privateKeyPath}`,
      `  its passphrase        ${demo.key.passphrase}`,
      `  key fingerprint       ${demo.key.fingerprint}`,
      "Never use this key for real testimonies: real editors make their own keys on their own",
      "computers (npm run editor -- keygen).",
      "",
      "Press Ctrl+C to stop; the temporary folder is deleted.",
      "The page works already; the bot answers once its embedded database is ready.",
      "",
    ].join("\n"),
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: could not start: ${(error as Error)?.message ?? error}\n`);
    process.exit(1);
  },
);
