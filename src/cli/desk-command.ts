// `npm run editor -- desk`: the review desk, a local web page to read, listen, set statuses,
// write notes and reply. Decryption happens in this process, on the editor's computer.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface, type Interface } from "node:readline";
import { parseArgs } from "node:util";
import { readLaunchEnvironment } from "../config.js";
import { LAUNCH_CODE_MS, startDesk } from "../desk/server.js";
import { whenParentGone } from "../parent-watch.js";
import { isLocale } from "../services/locale.js";
import { CliError, type Command, UsageError } from "./command.js";
import { writeLaunchFile } from "./desk-launch.js";
import { keysOption, loadKeysOption } from "./keys-option.js";
import { databaseOptions, openDatabase, toolSettings } from "./settings.js";

async function runDesk(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...databaseOptions,
      key: { type: "string" },
      keys: { type: "string" },
      port: { type: "string" },
      lang: { type: "string" },
      "no-open": { type: "boolean" },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0 && (values["database-url"] || values["data-dir"])) {
    throw new UsageError("give either archive files or --database-url / --data-dir, not both");
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError("--port must be a port number (or leave it out for a free port)");
  }
  const lang = values.lang ?? "ru";
  if (!isLocale(lang)) throw new UsageError("--lang must be ru or en");

  let privateKey: { armored: string; fileName: string } | undefined;
  if (values.key) {
    try {
      privateKey = {
        armored: await readFile(values.key, "utf8"),
        fileName: path.basename(values.key),
      };
    } catch {
      throw new CliError(`cannot read the key file ${values.key}`);
    }
  }
  const fromArchives = positionals.length > 0;
  // Archives need nothing from the environment; the database needs it and the editors' keys.
  const settings = fromArchives ? undefined : toolSettings(values);
  const keysGiven = settings && keysOption(settings);
  if (keysGiven && keysGiven.paths.length === 0) {
    throw new UsageError(
      "with the database the desk needs the editors' public keys (--keys PATHS or EDITOR_KEYS): notes and replies are encrypted to them; to only read, give archive files",
    );
  }
  // Loaded first: a bad key should not hold the embedded database's lock meanwhile.
  const keyring = keysGiven && (await loadKeysOption(keysGiven));
  const storage = settings && (await openDatabase(settings));

  const desk = await startDesk({
    source: storage ? { storage } : { archives: positionals },
    keys: keyring,
    privateKey,
    port,
    lang,
  }).catch(async (error: unknown) => {
    await storage?.close();
    throw new CliError((error as Error).message);
  });

  const out = process.stdout;
  for (const problem of desk.problems) process.stderr.write(`warning: ${problem}\n`);
  out.write(
    desk.readOnly
      ? "Read only: opened with archive files (statuses, notes and replies need the database).\n"
      : "Working on the database: statuses, notes and replies are stored there, encrypted.\n",
  );
  out.write(
    "Only this computer can reach it (127.0.0.1). A desk address works once, within a minute;\n" +
      "opening a new one ends the earlier page's session (press Enter here for a new address).\n" +
      "Press Ctrl-C to close the desk: it forgets your key and everything decrypted.\n",
  );
  // The browser gets a private file's path: its command line is readable by every local user.
  const launchFile = values["no-open"] ? undefined : writeLaunchFile(desk.url, LAUNCH_CODE_MS);
  const opened = launchFile !== undefined && openBrowser(launchFile.path);
  out.write(
    opened
      ? "\nOpening the desk in your browser. If it did not open, press Enter for an address.\n"
      : `\nOpen the review desk at\n\n  ${desk.url}\n\n`,
  );
  // Enter prints a fresh one-time address (another browser, a closed tab).
  const onLine = () =>
    out.write(
      `\nA new one-time address (the earlier unused one no longer works):\n\n  ${desk.newLaunchUrl()}\n\n`,
    );
  const lines = listenForEnter(onLine);

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
    // npm killed: its shell does not pass the signal on, so the desk would stay open unseen.
    whenParentGone(readLaunchEnvironment().startedByNpm, resolve);
  });
  lines.close();
  launchFile?.remove();
  await desk.close();
  out.write("\nThe desk is closed. Close its browser tab too.\n");
  return 0;
}

function listenForEnter(onLine: () => void): Interface {
  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on("line", onLine);
  lines.on("close", () => {}); // stdin closed (no terminal): Enter is simply not available
  return lines;
}

/**
 * The default browser, when there is a display, on the launch file (an argument, never a shell
 * string): no code and no session in its command line. False if there is no browser.
 */
function openBrowser(url: string): boolean {
  const command =
    process.platform === "darwin"
      ? ["open", url]
      : process.platform === "win32"
        ? ["rundll32", "url.dll,FileProtocolHandler", url]
        : readLaunchEnvironment().hasDisplay
          ? ["xdg-open", url]
          : undefined;
  if (!command) return false;
  try {
    const child = spawn(command[0] as string, command.slice(1), {
      stdio: "ignore",
      detached: true,
    });
    child.on("error", () => {}); // no browser: Enter prints an address
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export const deskCommand: Command = {
  name: "desk",
  args: "[ARCHIVE... | --database-url URL | --data-dir DIR] [options]",
  summary: "the review desk: read, listen, set statuses, write notes and reply in a browser",
  details: [
    "Starts a web page on this computer only (127.0.0.1, a free port) and opens it in your",
    "browser through a private file, with a one-time address good for a minute: the page that",
    "opens it gets a session held in its memory, and opening a new address (press Enter) ends",
    "the earlier page's session and forgets its key. The page asks for your private key",
    "file (or uses --key) and its passphrase (none for a key kept without one); testimonies are",
    "decrypted in this process and shown only there.",
    "With archive files the desk is read only. With the database (--database-url, --data-dir,",
    "or DATABASE_URL / DATA_DIR like the bot; the embedded one only while the bot is stopped)",
    "you can also set statuses, add private notes and reply; notes and replies are encrypted to",
    "the editors' public keys (--keys or EDITOR_KEYS). Nothing decrypted is written to disk",
    'unless you press "Save decrypted copy". Ctrl-C closes the desk and forgets everything.',
    "",
    "Options:",
    "  --key PRIVATE_KEY   your private key file (the page then asks only for its passphrase)",
    "  --keys PATHS        the editors' public keys, comma-separated (default: EDITOR_KEYS)",
    "  --port N            a fixed port instead of a free one",
    "  --lang ru|en        the language the page starts in (default: ru)",
    "  --no-open           print a one-time address instead of opening a browser",
  ],
  run: runDesk,
};
