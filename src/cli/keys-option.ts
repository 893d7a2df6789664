// The editors' public keys for commands that encrypt (the desk, reply): --keys, or EDITOR_KEYS.
// Errors and warnings name the one the editor actually used.
import { type EditorKeyring, KeyError, loadEditorKeys } from "../services/crypto/editor-keys.js";
import { CliError } from "./command.js";
import type { ToolSettings } from "./settings.js";

export interface KeysOption {
  paths: string[];
  /** "--keys" or "EDITOR_KEYS", as the editor gave them. */
  option: string;
}

export function keysOption(settings: ToolSettings): KeysOption {
  return { paths: [...settings.config.EDITOR_KEYS], option: settings.from.EDITOR_KEYS };
}

/** Loads and checks the keys; a bad key is a CliError, a warning goes to stderr. */
export async function loadKeysOption(keys: KeysOption): Promise<EditorKeyring> {
  try {
    const keyring = await loadEditorKeys(keys.paths, { option: keys.option });
    for (const warning of keyring.warnings) process.stderr.write(`warning: ${warning}\n`);
    return keyring;
  } catch (error) {
    if (error instanceof KeyError) throw new CliError(error.message);
    throw error;
  }
}
