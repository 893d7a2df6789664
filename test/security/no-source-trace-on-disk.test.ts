// Invariants 2 and 6, byte by byte: after a source sent their testimony and the bot stopped
// cleanly, no file the database keeps (PGlite: all of DATA_DIR, write-ahead log included;
// PostgreSQL: the cluster's pg_wal and this database's files) holds anything that existed only
// while the interview was in progress: the draft's lookup key, its sealed state, the lease and
// counter keys. The keys are derived again from the pepper and the id, as an adversary would.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveSourceKey } from "../../src/services/sources/keys.js";
import { dropDatabase, usingPostgres } from "../helpers/db.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview, submitFromReview } from "../helpers/interview-driver.js";

const SOURCE_ID = 7402951899;

/** Files an adversary with the disk reads: every one, whatever its name. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return []; // removed while we looked (PostgreSQL recycles segments)
    return stat.isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Several slices of each value: a write-ahead log record may be split by a page header, so a
 * long value is searched as pieces, any one of which is proof enough (16+ random bytes).
 */
function slicesOf(value: Uint8Array, size = 20): Buffer[] {
  const bytes = Buffer.from(value);
  if (bytes.length <= size) return [bytes];
  const starts = [0, Math.floor((bytes.length - size) / 2), bytes.length - size];
  return starts.map((start) => bytes.subarray(start, start + size));
}

function search(files: string[], needles: Record<string, Uint8Array>): string[] {
  const hits: string[] = [];
  for (const path of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      continue; // a segment recycled between listing and reading
    }
    for (const [name, value] of Object.entries(needles)) {
      if (slicesOf(value).some((slice) => bytes.includes(slice))) hits.push(`${path}: ${name}`);
    }
  }
  return hits;
}

describe("a sent testimony leaves no trace of its source in any file of the database", () => {
  let bot: TestBot;
  let dataDir = "";
  let databaseName = "";
  /** The database's own files and the write-ahead log, or why they cannot be read here. */
  let files: string[] = [];
  let unreadable = "";
  const needles: Record<string, Uint8Array> = {};

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tb-trace-"));
    bot = await startTestBot({ dataDir });
    const source = bot.api.user({ id: SOURCE_ID, first_name: "Фома", language_code: "ru" });
    await driveInterview(bot.api, source, {
      texts: ["Нас отправили без приказа"],
      stopAtReview: true,
    });

    // Mid-interview: what the draft row holds right now, read as an adversary would.
    const key = await deriveSourceKey(bot.secrets.pepper, SOURCE_ID);
    const rows = await bot.storage.db.execute(
      sql`select user_hash, sealed_state from drafts where user_hash = ${key.lookup}`,
    );
    const [draft] = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as {
      user_hash: string;
      sealed_state: Uint8Array | string;
    }[];
    if (!draft) throw new Error("no draft mid-interview: the derivation differs from the bot's");
    const sealed =
      typeof draft.sealed_state === "string"
        ? Buffer.from(draft.sealed_state.replace(/^\\x/, ""), "hex")
        : draft.sealed_state;
    needles["draft lookup key"] = Buffer.from(key.lookup);
    needles["sealed draft state"] = sealed;
    needles["lease key"] = Buffer.from(key.lockKey);
    for (const [purpose, limitKey] of Object.entries(key.limitKeys)) {
      needles[`counter key (${purpose})`] = Buffer.from(limitKey);
    }

    const codename = await submitFromReview(bot.api, source);
    expect(codename?.split(" ")).toHaveLength(8);

    if (usingPostgres) {
      databaseName = new URL(bot.storage.url as string).pathname.slice(1);
      const client = postgres(bot.storage.url as string, { max: 1, onnotice: () => {} });
      const [setting] = await client<{ dir: string }[]>`
        select current_setting('data_directory') as dir`.catch(() => []);
      const [database] = await client<{ oid: string }[]>`
        select oid::text from pg_database where datname = current_database()`;
      await client.end();
      await bot.stop({ keepDatabase: true });
      const cluster = setting?.dir ?? "";
      if (!cluster || !existsSync(join(cluster, "pg_wal"))) {
        unreadable = `the cluster's files (${cluster || "data_directory not shown"}) are not readable from here`;
        return;
      }
      files = [
        ...filesUnder(join(cluster, "pg_wal")),
        ...filesUnder(join(cluster, "base", database?.oid ?? "-")),
      ];
    } else {
      await bot.stop({ keepDatabase: true });
      files = filesUnder(dataDir);
    }
  }, 180_000);

  afterAll(async () => {
    if (databaseName) await dropDatabase(databaseName);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("searched the write-ahead log and the tables' files", (context) => {
    if (unreadable) return context.skip(unreadable);
    expect(files.some((path) => /pg_wal/.test(path))).toBe(true);
    expect(files.some((path) => /base/.test(path))).toBe(true);
    expect(Object.keys(needles)).toContain("sealed draft state");
  });

  it("finds none of the interview's per-source values in any file", (context) => {
    if (unreadable) return context.skip(unreadable);
    expect(search(files, needles)).toEqual([]);
  });
});
