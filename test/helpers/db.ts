// A fresh database per test file: in-memory PGlite, or a new PostgreSQL database when
// TEST_DATABASE_URL is set (CI runs the suite both ways).
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openStorage, type Storage } from "../../src/storage/db.js";

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

export interface TestStorage extends Storage {
  /** The connection string of the fresh PostgreSQL database (undefined on PGlite). */
  url?: string;
  /** Closes the connections but keeps the PostgreSQL database (to copy it, as a seizure would). */
  detach(): Promise<void>;
}

/** `dataDir`: keep PGlite's files on disk there (security scans read them). */
export async function createTestStorage(options: { dataDir?: string } = {}): Promise<TestStorage> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const storage = await openStorage({ dataDir: options.dataDir });
    return { ...storage, detach: storage.close };
  }
  const name = `tb_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const storage = await openStorage({ databaseUrl: url, maxConnections: 5 });
  return {
    ...storage,
    url,
    detach: storage.close,
    close: async () => {
      await storage.close();
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** Opens an existing PostgreSQL database (e.g. a copy); close() drops it like a fresh one. */
export async function openTestDatabase(name: string): Promise<TestStorage> {
  const adminUrl = process.env.TEST_DATABASE_URL as string;
  const storage = await openStorage({
    databaseUrl: withDatabase(adminUrl, name),
    maxConnections: 5,
  });
  return {
    ...storage,
    url: withDatabase(adminUrl, name),
    detach: storage.close,
    close: async () => {
      await storage.close();
      await dropDatabase(name);
    },
  };
}

/** Runs one statement on the server's maintenance database (create/drop database). */
export async function adminStatement(statement: string): Promise<void> {
  const admin = postgres(process.env.TEST_DATABASE_URL as string, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end();
  }
}

export function dropDatabase(name: string): Promise<void> {
  return adminStatement(`drop database if exists ${name} with (force)`);
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
