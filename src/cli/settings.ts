// The editor tool's settings: its options over the environment (and .env), read and checked by
// config.ts as the bot reads them. Messages name what the editor actually gave: --data-dir or
// DATA_DIR, --keys or EDITOR_KEYS.
import {
  ConfigError,
  type EditorToolConfig,
  parseEditorToolConfig,
  readEnvironment,
} from "../config.js";
import { type Storage, StorageError } from "../storage/db.js";
import { openConfiguredStorage } from "../wiring.js";
import { CliError } from "./command.js";

export const databaseOptions = {
  "database-url": { type: "string" },
  "data-dir": { type: "string" },
} as const;

export interface ToolFlags {
  "database-url"?: string;
  "data-dir"?: string;
  keys?: string;
}

type Setting = "DATABASE_URL" | "DATA_DIR" | "EDITOR_KEYS";

export interface ToolSettings {
  config: EditorToolConfig;
  /** Where each value came from: the option, or the variable of the same meaning. */
  from: Record<Setting, string>;
}

/** --database-url, --data-dir and --keys over DATABASE_URL, DATA_DIR and EDITOR_KEYS. */
export function toolSettings(flags: ToolFlags): ToolSettings {
  const env = readEnvironment();
  // --data-dir means the embedded database even where DATABASE_URL is set.
  const databaseUrl =
    flags["database-url"] ?? (flags["data-dir"] === undefined ? env.DATABASE_URL : undefined);
  const from: Record<Setting, string> = {
    DATABASE_URL: flags["database-url"] === undefined ? "DATABASE_URL" : "--database-url",
    DATA_DIR: flags["data-dir"] === undefined ? "DATA_DIR" : "--data-dir",
    EDITOR_KEYS: flags.keys === undefined ? "EDITOR_KEYS" : "--keys",
  };
  try {
    const config = parseEditorToolConfig({
      DATABASE_URL: databaseUrl,
      DATA_DIR: flags["data-dir"] ?? env.DATA_DIR,
      EDITOR_KEYS: flags.keys ?? env.EDITOR_KEYS,
    });
    return { config, from };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(error.problems.map((problem) => namedAsGiven(problem, from)).join("\n"));
  }
}

/** The server's database, from the settings; the embedded one only while the bot is stopped. */
export async function openDatabase(settings: ToolSettings): Promise<Storage> {
  const embedded = settings.config.DATABASE_URL === undefined;
  try {
    return await openConfiguredStorage(settings.config);
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    const hint =
      embedded && /already in use/.test(error.message)
        ? " (the embedded database can be read only while the bot is stopped)"
        : "";
    throw new CliError(`${namedAsGiven(error.message, settings.from)}${hint}`);
  }
}

/** "DATABASE_URL: …" → "--database-url: …" when the editor gave the option. */
function namedAsGiven(message: string, from: Record<Setting, string>): string {
  return message.replace(/^(DATABASE_URL|DATA_DIR|EDITOR_KEYS)\b/, (name) => from[name as Setting]);
}
