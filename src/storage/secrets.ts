// The pepper (for hashing Telegram ids) and the server key (for sealing small state) live in
// DATA_DIR/secrets with mode 0600, or come from the environment. Never in the database.
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
}): Secrets {
  const dir = join(options.dataDir, "secrets");
  return {
    pepper: options.pepperHex
      ? Buffer.from(options.pepperHex, "hex")
      : loadOrCreate(dir, "pepper", "PEPPER"),
    serverKey: options.serverKeyHex
      ? Buffer.from(options.serverKeyHex, "hex")
      : loadOrCreate(dir, "server.key", "SERVER_KEY"),
  };
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
