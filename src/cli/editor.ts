// The editors' tool, run on an editor's own computer (never on the server):
// `npm run editor -- <command>`. Each command is one entry in the table below.
import { realpathSync } from "node:fs";
import { access, mkdir, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  checkEditorKeyPaths,
  type EditorKeyInfo,
  formatFingerprint,
} from "../services/crypto/editor-keys.js";
import { generateEditorKey } from "../services/crypto/keygen.js";
import { accessCommands } from "./access-commands.js";
import { archiveCommands } from "./archive-commands.js";
import { CliError, type Command, UsageError } from "./command.js";
import { deskCommand } from "./desk-command.js";
import { promptHidden, readAllStdin } from "./prompt.js";

const MIN_PASSPHRASE_LENGTH = 12;
const EXPIRY_WARNING_DAYS = 30;

const commands: Command[] = [
  ...archiveCommands,
  ...accessCommands,
  deskCommand,
  {
    name: "keygen",
    args: '--name "Your name" --out DIR',
    summary: "make your editor key pair (asks for a passphrase twice)",
    details: [
      "Writes DIR/<name>.private.asc (readable only by you) and DIR/<name>.public.asc,",
      "and never overwrites existing files. The passphrase (at least 12 characters) is typed",
      "twice, hidden; it is never taken on the command line. Without a terminal, stdin gives",
      "it: first line the passphrase, second line the same again.",
    ],
    run: keygen,
  },
  {
    name: "keys check",
    args: "PATH...",
    summary: "check public key files or folders with the server's rules",
    details: [
      "Prints OK with the fingerprint, user ids and expiry for each good key, and BAD with",
      "the reason for each bad one. A folder means its *.asc, *.pgp, *.gpg and *.key files.",
      "Exit code 1 if any key is bad: the server would refuse to start with it.",
    ],
    run: keysCheck,
  },
];

function usage(): string {
  const width = Math.max(...commands.map((c) => `${c.name} ${c.args}`.length));
  const lines = commands.map((c) => `  ${`${c.name} ${c.args}`.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: npm run editor -- <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Add --help after a command for its details.",
  ].join("\n");
}

function commandUsage(command: Command): string {
  return [
    `Usage: npm run editor -- ${command.name} ${command.args}`,
    "",
    `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
    ...command.details,
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [first] = argv;
  if (first === undefined) {
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const command = findCommand(argv);
  if (!command) {
    const words = argv.slice(0, 2).join(" ");
    process.stderr.write(`error: unknown command "${words}"\n\n${usage()}\n`);
    return 2;
  }
  const rest = argv.slice(command.name.split(" ").length);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${commandUsage(command)}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    return reportError(command, error);
  }
}

function findCommand(argv: string[]): Command | undefined {
  return commands.find((c) => {
    const words = c.name.split(" ");
    return words.every((word, i) => argv[i] === word);
  });
}

function reportError(command: Command, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError || isParseArgsError(error)) {
    process.stderr.write(`error: ${message}\nSee: npm run editor -- ${command.name} --help\n`);
    return 2;
  }
  process.stderr.write(`error: ${message}\n`);
  return error instanceof CliError ? error.exitCode : 1;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

// ---------------------------------------------------------------------------------------------
// keygen

async function keygen(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: "string" },
      out: { type: "string" },
      // Declared only to refuse it with a reason instead of "unknown option".
      passphrase: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.passphrase !== undefined) {
    throw new UsageError(
      "the passphrase is never taken on the command line (it would stay in your shell " +
        "history); leave --passphrase out and type it when asked",
    );
  }
  const name = values.name?.trim();
  if (!name) throw new UsageError('keygen needs --name "Your name"');
  if (!values.out) throw new UsageError("keygen needs --out DIR (the folder for your key files)");

  const slug = slugify(name);
  const privateFile = path.join(values.out, `${slug}.private.asc`);
  const publicFile = path.join(values.out, `${slug}.public.asc`);
  for (const file of [privateFile, publicFile]) {
    if (await exists(file)) {
      throw new CliError(
        `${file} already exists; nothing was overwritten (choose another --out folder, ` +
          "or move the old files away first)",
      );
    }
  }

  const passphrase = await readNewPassphrase();
  const key = await generateEditorKey({ name, passphrase });

  await mkdir(values.out, { recursive: true, mode: 0o700 });
  await writeFile(privateFile, key.armoredPrivateKey, { mode: 0o600, flag: "wx" });
  try {
    await writeFile(publicFile, key.armoredPublicKey, { mode: 0o644, flag: "wx" });
  } catch (error) {
    await unlink(privateFile);
    throw error;
  }

  process.stdout.write(
    [
      "Your editor key is ready.",
      `  Fingerprint:  ${formatFingerprint(key.fingerprint)}`,
      `  Private key:  ${privateFile}`,
      `  Public key:   ${publicFile}`,
      "",
      "Keep the private key file and your passphrase on your own computer. Never send them to",
      "anyone and never put them on the server.",
      `Give only the .public.asc file (${path.basename(publicFile)}) to the server admin: it goes`,
      "into EDITOR_KEYS. Then compare the fingerprint above with the one the admin sees, by voice,",
      "not in the same chat.",
      "If you lose the private key or forget the passphrase, nobody can decrypt what was sent to it.",
      "",
    ].join("\n"),
  );
  return 0;
}

/** "Анна Иванова" → "анна-иванова"; file-name safe, never empty. */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return slug || "editor";
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Tries at a new passphrase before keygen gives up (a typo in either line costs one). */
const PASSPHRASE_ATTEMPTS = 3;

/**
 * Asks twice on the terminal with hidden input; a second line that differs asks for both again.
 * When stdin is not a terminal (scripts, tests), its lines are read in pairs the same way: the
 * passphrase, then its confirmation (and, after a mismatch, the next pair).
 */
async function readNewPassphrase(): Promise<string> {
  const tty = Boolean(process.stdin.isTTY);
  const lines = tty ? [] : (await readAllStdin()).replace(/\r?\n$/, "").split(/\r?\n/);
  const ask = async (prompt: string) => (tty ? promptHidden(prompt) : lines.shift());
  const twice = "expected the passphrase twice on stdin (two lines); nothing was written";
  for (let attempt = 1; ; attempt++) {
    const last = attempt === PASSPHRASE_ATTEMPTS;
    const first =
      (await ask(
        `Passphrase for your private key (at least ${MIN_PASSPHRASE_LENGTH} characters): `,
      )) ?? "";
    // "Too short" is said at once, not after the passphrase was typed a second time.
    const problem = passphraseProblem(first);
    if (problem) {
      if (last || !tty) throw new CliError(`${problem}. Nothing was written`);
      process.stderr.write(`${problem}; try again.\n`);
      continue;
    }
    const second = await ask("The same passphrase again: ");
    if (second === undefined) throw new CliError(twice);
    if (first === second) return first;
    if (last || (!tty && lines.length === 0)) {
      throw new CliError("the two passphrases differ; nothing was written");
    }
    process.stderr.write("The two passphrases differ; type it twice again.\n");
  }
}

function passphraseProblem(passphrase: string): string | undefined {
  const length = [...passphrase].length;
  if (length >= MIN_PASSPHRASE_LENGTH) return undefined;
  return (
    `the passphrase is too short (${length} characters, at least ${MIN_PASSPHRASE_LENGTH}); ` +
    "a few random words are easy to type and hard to guess"
  );
}

// ---------------------------------------------------------------------------------------------
// keys check

async function keysCheck(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true });
  if (positionals.length === 0) {
    throw new UsageError("keys check needs one or more key files or folders");
  }
  const warnings: string[] = [];
  const results = await checkEditorKeyPaths(positionals, warnings);
  for (const warning of warnings) process.stdout.write(`NOTE ${warning}\n`);
  let bad = 0;
  for (const result of results) {
    if (result.ok) {
      process.stdout.write(describeGoodKey(result.info));
    } else {
      bad++;
      process.stdout.write(`BAD  ${result.error.file} ${result.error.reason}\n`);
    }
  }
  const good = results.length - bad;
  process.stdout.write(
    `${results.length} checked: ${good} OK, ${bad} bad.${bad > 0 ? " The server will not start with a bad key." : ""}\n`,
  );
  return bad > 0 ? 1 : 0;
}

function describeGoodKey(info: EditorKeyInfo): string {
  const lines = [
    `OK   ${info.file}`,
    `       fingerprint  ${formatFingerprint(info.fingerprint)}`,
    ...info.userIds.map((id) => `       user id      ${id}`),
    `       created      ${day(info.created)}`,
    `       expires      ${info.expires ? `${day(info.expires)}${expiryWarning(info.expires)}` : "never"}`,
  ];
  return `${lines.join("\n")}\n`;
}

function expiryWarning(expires: Date): string {
  const days = Math.floor((expires.getTime() - Date.now()) / 86_400_000);
  if (days > EXPIRY_WARNING_DAYS) return "";
  return ` (in ${days} days: ask the owner to extend it, or the server will refuse it then)`;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------

function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  process.exitCode = await main(process.argv.slice(2));
}
