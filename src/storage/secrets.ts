// The pepper (for deriving source keys) and the server key (for sealing small state) come from
// the environment, from files (PEPPER_FILE, SERVER_KEY_FILE: e.g. docker secrets), from a folder
// of their own (SECRETS_DIR), or by default from DATA_DIR/secrets (mode 0600). Never in the
// database; given from outside, never written into DATA_DIR.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StorageError } from "./db.js";

export interface Secrets {
  pepper: Buffer;
  serverKey: Buffer;
}

export function loadSecrets(options: {
  dataDir: string;
  pepperHex?: string;
  serverKeyHex?: string;
  pepperFile?: string;
  serverKeyFile?: string;
  /** A folder outside DATA_DIR where the secrets are made on first start and read after. */
  secretsDir?: string;
}): Secrets {
  const dir = options.secretsDir ?? join(options.dataDir, "secrets");
  return {
    pepper: options.pepperHex
      ? Buffer.from(options.pepperHex, "hex")
      : options.pepperFile
        ? readSecretFile(options.pepperFile, "PEPPER_FILE")
        : loadOrCreate(dir, "pepper", "PEPPER"),
    serverKey: options.serverKeyHex
      ? Buffer.from(options.serverKeyHex, "hex")
      : options.serverKeyFile
        ? readSecretFile(options.serverKeyFile, "SERVER_KEY_FILE")
        : loadOrCreate(dir, "server.key", "SERVER_KEY"),
  };
}

/** A secret given as a file is only read: it is somebody else's to make and to back up. */
function readSecretFile(path: string, envName: string): Buffer {
  let hex: string;
  try {
    hex = readFileSync(path, "utf8").trim();
  } catch {
    throw new StorageError(`${envName}: cannot read ${path}`);
  }
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new StorageError(
      `${envName}: ${path} must hold 64 hex characters (make one with: openssl rand -hex 32)`,
    );
  }
  return Buffer.from(hex, "hex");
}

function loadOrCreate(dir: string, name: string, envName: string): Buffer {
  const path = join(dir, name);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new StorageError(
      `${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`,
    );
  }
  const hex = readFileSync(path, "utf8").trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new StorageError(
      `${path} is damaged (expected 64 hex characters); restore it from backup or set ${envName}`,
    );
  }
  return Buffer.from(hex, "hex");
}
