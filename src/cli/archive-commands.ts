// Editor-tool commands around submissions: export from the database, decrypt archives locally,
// reply from outside Telegram.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileChunks } from "../services/archive/reader.js";
import { ArchiveError, groupVolumes } from "../services/archive/tar-header.js";
import { checkArchiveIsFor, openArchive } from "../services/archive/testimony.js";
import { writeTestimonyFolder } from "../services/archive/testimony-folder.js";
import {
  DecryptionError,
  describeRecipients,
  NotForThisKeyError,
  privateKeyNeedsPassphrase,
  unlockPrivateKey,
  WrongPassphraseError,
} from "../services/crypto/decrypt.js";
import { formatFingerprint } from "../services/crypto/editor-keys.js";
import { isLocale } from "../services/locale.js";
import { archiveName } from "../services/submissions/export.js";
import { createArchiveServices, createEditorServices } from "../wiring.js";
import { CliError, type Command, UsageError } from "./command.js";
import { keysOption, loadKeysOption } from "./keys-option.js";
import { readPassphrase } from "./prompt.js";
import { databaseOptions, openDatabase, toolSettings } from "./settings.js";

async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...databaseOptions, all: { type: "boolean" }, out: { type: "string" } },
    allowPositionals: true,
  });
  if (!values.out) throw new UsageError("export needs --out DIR");
  if (!values.all && positionals.length === 0) {
    throw new UsageError("export needs --all or one or more submission numbers");
  }
  const numbers = positionals.map((p) => {
    const n = Number(p.replace(/^[#№]/, ""));
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`"${p}" is not a submission number`);
    return n;
  });
  const storage = await openDatabase(toolSettings(values));
  try {
    const { submissions, exporter } = createArchiveServices({ db: storage.db });
    const rows = values.all
      ? await submissions.list(Number.MAX_SAFE_INTEGER)
      : await Promise.all(numbers.map((n) => submissions.findByNumber(n)));
    await mkdir(values.out, { recursive: true, mode: 0o700 });
    let written = 0;
    for (const [index, row] of rows.entries()) {
      if (!row) {
        process.stderr.write(`submission ${numbers[index]} does not exist (skipped)\n`);
        continue;
      }
      const chunks: Uint8Array[] = [];
      for await (const chunk of exporter.archive(row)) chunks.push(chunk);
      const file = path.join(values.out, archiveName(row.number));
      await writeFile(file, Buffer.concat(chunks), { mode: 0o600 });
      process.stdout.write(`${file}\n`);
      written++;
    }
    process.stdout.write(`${written} archive(s) written. They are encrypted: decrypt them with\n`);
    process.stdout.write(
      "  npm run editor -- decrypt ARCHIVE... --key YOUR_PRIVATE_KEY --out DIR\n",
    );
    return rows.every(Boolean) ? 0 : 1;
  } finally {
    await storage.close();
  }
}

async function decryptCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { key: { type: "string" }, out: { type: "string" }, lang: { type: "string" } },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new UsageError("decrypt needs one or more archive files");
  if (!values.key) throw new UsageError("decrypt needs --key YOUR_PRIVATE_KEY_FILE");
  if (!values.out) throw new UsageError("decrypt needs --out DIR");
  const lang = values.lang ?? "ru";
  if (!isLocale(lang)) throw new UsageError("--lang must be ru or en");

  let armored: string;
  try {
    armored = await readFile(values.key, "utf8");
  } catch {
    throw new CliError(`cannot read the key file ${values.key}`);
  }
  // Archives that are damaged or not for this key are said before the passphrase is asked.
  let failures = 0;
  const archives: { base: string; files: string[] }[] = [];
  for (const [base, files] of groupVolumes(positionals)) {
    try {
      await checkArchiveIsFor(fileChunks(files), armored);
      archives.push({ base, files });
    } catch (error) {
      failures++;
      process.stderr.write(`error: ${describeDecryptError(base, error)}\n`);
    }
  }
  if (archives.length === 0) return 1;

  let key: Awaited<ReturnType<typeof unlockPrivateKey>>;
  try {
    // A key kept without a passphrase (e.g. made with gpg, on an encrypted disk) needs none.
    const passphrase = (await privateKeyNeedsPassphrase(armored))
      ? await readPassphrase(`Passphrase for ${path.basename(values.key)}: `)
      : "";
    key = await unlockPrivateKey(armored, passphrase);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof WrongPassphraseError) {
      throw new CliError(`wrong passphrase for ${values.key}; nothing was decrypted`);
    }
    throw new CliError(`${values.key}: ${(error as Error).message}`);
  }

  for (const { base, files } of archives) {
    try {
      // Read, checked and decrypted whole in memory first: a bad archive writes nothing.
      const testimony = await openArchive(fileChunks(files), key);
      const folder = await writeTestimonyFolder(testimony, values.out, lang);
      process.stdout.write(`${base} → ${folder}\n`);
    } catch (error) {
      failures++;
      process.stderr.write(`error: ${describeDecryptError(base, error)}\n`);
    }
  }
  if (failures === 0) {
    process.stdout.write(
      "These folders hold plaintext. Keep them on an encrypted disk and delete them when done.\n",
    );
  }
  return failures > 0 ? 1 : 0;
}

function describeDecryptError(file: string, error: unknown): string {
  if (error instanceof NotForThisKeyError) {
    return (
      `${file} is not encrypted to your key ${formatFingerprint(error.fingerprint)}; it is for ` +
      `${describeRecipients(error.recipientKeyIds, error.recipientFingerprints)} ` +
      "(/keys in the editors' chat shows whose; ask one of them)"
    );
  }
  if (error instanceof ArchiveError || error instanceof DecryptionError) {
    return `${file}: ${error.message}`;
  }
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return `${file}: no such file`;
  return `${file}: ${(error as Error).message}`;
}

async function replyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...databaseOptions, "text-file": { type: "string" }, keys: { type: "string" } },
    allowPositionals: true,
  });
  const number = Number((positionals[0] ?? "").replace(/^[#№]/, ""));
  if (!Number.isInteger(number) || number <= 0)
    throw new UsageError("reply needs a submission number");
  if (!values["text-file"]) throw new UsageError("reply needs --text-file FILE");
  const settings = toolSettings(values);
  const keys = keysOption(settings);
  if (keys.paths.length === 0) {
    throw new UsageError("reply needs the editors' public keys: --keys PATHS or EDITOR_KEYS");
  }
  const text = (await readFile(values["text-file"], "utf8")).trim();
  if (!text) throw new CliError(`${values["text-file"]} is empty`);
  const keyring = await loadKeysOption(keys);
  const storage = await openDatabase(settings);
  try {
    // The reply notice to the source's chat needs the bot: this tool only stores the reply.
    const { editorial } = createEditorServices({ db: storage.db, keyring });
    const submission = await editorial.find(number);
    if (!submission) throw new CliError(`submission ${number} does not exist`);
    await editorial.reply(number, text, "editor-tool");
    process.stdout.write(
      `The reply to ${number} was encrypted and stored. The source reads it with their codename.\n`,
    );
    process.stdout.write(
      "If the source asked to be told about replies, only a reply from the editors' chat sends that notice.\n",
    );
    return 0;
  } finally {
    await storage.close();
  }
}

export const archiveCommands: Command[] = [
  {
    name: "export",
    args: "--all | NUMBER... --out DIR [--database-url URL | --data-dir DIR]",
    summary: "write encrypted archives of submissions straight from the database",
    details: [
      "For teams that run their own server. Reads DATABASE_URL / DATA_DIR like the bot (the",
      "embedded database only while the bot is stopped). Archives stay encrypted.",
    ],
    run: exportCommand,
  },
  {
    name: "decrypt",
    args: "ARCHIVE... --key PRIVATE_KEY --out DIR [--lang ru|en]",
    summary: "decrypt archives on your computer into readable folders",
    details: [
      "Asks for the key's passphrase (or reads it from the first line of stdin); a key kept",
      "without a passphrase is used as it is. Each archive is checked whole before anything",
      'is written (limits: README, "Decrypting on your computer"); a bad one writes nothing.',
      "Writes DIR/submission-N/ with testimony.md, attachments/ and meta.json. Volumes",
      "(submission-N.tar.001, .002 …) are joined automatically. The output is plaintext:",
      "keep it on an encrypted disk.",
    ],
    run: decryptCommand,
  },
  {
    name: "reply",
    args: "NUMBER --text-file FILE [--keys PATHS] [--database-url URL | --data-dir DIR]",
    summary: "store a reply to a source without Telegram",
    details: [
      "Encrypts the text to the submission's reply key and to the editors' public keys",
      "(--keys or EDITOR_KEYS) and stores it; the source reads it with their codename.",
    ],
    run: replyCommand,
  },
];
