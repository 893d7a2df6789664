// Editor-tool commands that change who can read the stored testimonies: grant them to a new
// editor's key, revoke a departed editor's key. They run against the database like `export`.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  type AccessSummary,
  createAccessService,
  HostilePartError,
} from "../services/archive/access.js";
import {
  privateKeyNeedsPassphrase,
  type UnlockedPrivateKey,
  unlockPrivateKey,
  WrongPassphraseError,
} from "../services/crypto/decrypt.js";
import { formatFingerprint, KeyError, loadEditorKeys } from "../services/crypto/editor-keys.js";
import { createArchiveServices } from "../wiring.js";
import { CliError, type Command, UsageError } from "./command.js";
import { readPassphrase } from "./prompt.js";
import { databaseOptions, openDatabase, toolSettings } from "./settings.js";

/** Reads a private key file and unlocks it (asking for the passphrase if it has one). */
export async function unlockKeyFile(file: string): Promise<UnlockedPrivateKey> {
  let armored: string;
  try {
    armored = await readFile(file, "utf8");
  } catch {
    throw new CliError(`cannot read the key file ${file}`);
  }
  try {
    // A key kept without a passphrase (e.g. made with gpg, on an encrypted disk) needs none.
    const passphrase = (await privateKeyNeedsPassphrase(armored))
      ? await readPassphrase(`Passphrase for ${path.basename(file)}: `)
      : "";
    return await unlockPrivateKey(armored, passphrase);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof WrongPassphraseError) {
      throw new CliError(`wrong passphrase for ${file}; nothing was changed`);
    }
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
}

/** One line on stderr every so often, so a long run shows it is moving. */
function progressPrinter(verb: string) {
  let last = 0;
  return (done: number, total: number) => {
    const now = Date.now();
    if (done < total && now - last < 1000) return;
    last = now;
    process.stderr.write(`${verb} ${done} of ${total} parts\n`);
  };
}

async function withAccessService<T>(
  values: { "database-url"?: string; "data-dir"?: string },
  verb: string,
  run: (access: ReturnType<typeof createAccessService>) => Promise<T>,
): Promise<T> {
  const storage = await openDatabase(toolSettings(values));
  try {
    const { parts } = createArchiveServices({ db: storage.db });
    const access = createAccessService({ parts, onProgress: progressPrinter(verb) });
    return await run(access);
  } catch (error) {
    if (error instanceof HostilePartError) {
      throw new CliError(`${error.message}; refused, nothing was changed`);
    }
    throw error;
  } finally {
    await storage.close();
  }
}

function printNotDone(summary: AccessSummary, what: string): void {
  if (summary.notYours.length > 0) {
    const numbers = [
      ...new Set(summary.notYours.map((p) => p.submissionNumber).filter((n) => n !== null)),
    ].sort((a, b) => a - b);
    const inProgress = summary.notYours.filter((p) => p.submissionNumber === null).length;
    process.stdout.write(
      `Not done: ${summary.notYours.length} part(s) your key cannot open` +
        (numbers.length > 0 ? ` (submissions ${numbers.map((n) => `#${n}`).join(", ")})` : "") +
        (inProgress > 0 ? `, ${inProgress} of interviews in progress` : "") +
        `; an editor who can open them runs ${what} too.\n`,
    );
  }
  if (summary.changedMeanwhile > 0) {
    process.stdout.write(
      `Not done: ${summary.changedMeanwhile} part(s) changed while this ran; run it again.\n`,
    );
  }
}

async function grantCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...databaseOptions, key: { type: "string" }, to: { type: "string" } },
  });
  if (!values.key) throw new UsageError("grant needs --key YOUR_PRIVATE_KEY_FILE");
  if (!values.to) throw new UsageError("grant needs --to NEW_EDITOR_PUBLIC_KEY_FILE");
  let to: Awaited<ReturnType<typeof loadEditorKeys>>;
  try {
    // The server's rules: a key the bot would refuse is refused here too.
    to = await loadEditorKeys([values.to], { option: "--to" });
  } catch (error) {
    if (error instanceof KeyError) throw new CliError(error.message);
    throw error;
  }
  const [added] = to.editors;
  if (!added) throw new CliError(`--to: ${values.to} holds no key`);
  const editor = await unlockKeyFile(values.key);
  if (editor.fingerprint === added.fingerprint) {
    throw new UsageError("--to is your own key; give the new editor's public key");
  }
  process.stdout.write(
    `Granting to ${formatFingerprint(added.fingerprint)} (${added.userIds.join(", ")})\n`,
  );
  const summary = await withAccessService(values, "checked", (access) => access.grant(editor, to));
  process.stdout.write(
    `${summary.total} part(s): ${summary.changed} granted, ${summary.unchanged} already readable ` +
      "by that key.\n",
  );
  printNotDone(summary, "grant");
  process.stdout.write(
    "For new testimonies, the key goes into EDITOR_KEYS; the bot then asks the editors' chat to " +
      "confirm it.\n",
  );
  return summary.notYours.length > 0 || summary.changedMeanwhile > 0 ? 1 : 0;
}

async function revokeCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...databaseOptions, key: { type: "string" }, fingerprint: { type: "string" } },
  });
  if (!values.key) throw new UsageError("revoke needs --key YOUR_PRIVATE_KEY_FILE");
  const fingerprint = values.fingerprint?.replace(/\s+/g, "").toUpperCase();
  if (!fingerprint || !/^[0-9A-F]{40}$/.test(fingerprint)) {
    throw new UsageError("revoke needs --fingerprint F (40 hexadecimal digits, as /keys shows)");
  }
  const editor = await unlockKeyFile(values.key);
  if (editor.fingerprint === fingerprint) {
    throw new UsageError("that is your own key; another editor revokes it");
  }
  const summary = await withAccessService(values, "checked", (access) =>
    access.revoke(editor, fingerprint),
  );
  if (summary.keyIds.length === 0) {
    process.stdout.write(
      `No stored part lists ${formatFingerprint(fingerprint)}; nothing was changed.\n`,
    );
    return 0;
  }
  process.stdout.write(
    `${summary.total} part(s): ${summary.changed} revoked, ${summary.unchanged} were not ` +
      "readable by that key.\n",
  );
  printNotDone(summary, "revoke");
  process.stdout.write(
    "What that key already decrypted or exported stays readable: revoking cannot undo it. Take " +
      "the key out of EDITOR_KEYS so new testimonies do not reach it.\n",
  );
  return summary.notYours.length > 0 || summary.changedMeanwhile > 0 ? 1 : 0;
}

export const accessCommands: Command[] = [
  {
    name: "grant",
    args: "--key PRIVATE_KEY --to NEW_PUBLIC_KEY [--database-url URL | --data-dir DIR]",
    summary: "let a new editor's key open every stored part your key opens",
    details: [
      "For each part your key opens, decrypts only its session key and adds a recipient packet",
      "for the new key; the encrypted data stays byte for byte the same, and no plaintext is",
      "made. Safe to stop and run again: parts the new key already opens are skipped. Every",
      "part is checked first; a damaged or foreign value stops it with nothing changed. Reads",
      "DATABASE_URL / DATA_DIR like the bot (the embedded database only while the bot is stopped).",
    ],
    run: grantCommand,
  },
  {
    name: "revoke",
    args: "--key PRIVATE_KEY --fingerprint F [--database-url URL | --data-dir DIR]",
    summary: "take a departed editor's key off every stored part",
    details: [
      "Drops the recipient packets of the key with primary fingerprint F from every part your",
      "key opens too. What that key already decrypted or exported cannot be taken back.",
    ],
    run: revokeCommand,
  },
];
