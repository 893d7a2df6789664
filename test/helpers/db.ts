// A fresh database per test file: in-memory PGlite, or a new PostgreSQL database when
// TEST_DATABASE_URL is set (CI runs the suite both ways).
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openStorage, type Storage } from "../../src/storage/db.js";

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

export interface TestStorage extends Storage {
  /** The connection string of the fresh PostgreSQL database (undefined on PGlite). */
  url?: string;
}

/** `dataDir`: keep PGlite's files on disk there (security scans read them). */
export async function createTestStorage(options: { dataDir?: string } = {}): Promise<TestStorage> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return openStorage({ dataDir: options.dataDir });
  const name = `tb_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const storage = await openStorage({ databaseUrl: url, maxConnections: 5 });
  return {
    ...storage,
    url,
    close: async () => {
      await storage.close();
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
