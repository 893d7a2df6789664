// Invariants 2, 6 and 9: a copy of the server taken after a clean stop (DATA_DIR with its
// secrets, or the PostgreSQL database) confirms nothing about a source whose testimony was sent.
// The bot's own code, started on the copy, answers them exactly as it answers a stranger, and no
// page of any table or index still holds their lookup key or a dead row version.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pageinspect } from "@electric-sql/pglite/contrib/pageinspect";
import type { Message } from "grammy/types";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminStatement,
  dropDatabase,
  openTestDatabase,
  type TestStorage,
  usingPostgres,
} from "../helpers/db.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";

const SOURCE_ID = 7402951836;
const STRANGER_ID = 7402951837;

/** One relation's pages as pageinspect shows them. */
interface PageItem {
  lp_flags: number;
  t_xmax: string | null;
  t_infomask: number | null;
}

type Query = <T>(text: string) => Promise<T[]>;

/** What a stranger and a past source both do when they open the bot again. */
async function conversation(user: ReturnType<TestBot["api"]["user"]>) {
  const seen: string[] = [];
  const record = (message: Message) =>
    seen.push(
      JSON.stringify({
        text: message.text,
        buttons: message.reply_markup?.inline_keyboard.flat().map((b) => b.text),
      }),
    );
  await user.command("start");
  record(await user.nextBotMessage({ newOnly: true }));
  await user.command("help");
  record(await user.nextBotMessage({ newOnly: true }));
  await user.send("здравствуйте, я писал вам раньше");
  record(await user.nextBotMessage({ newOnly: true }));
  await user.command("codename");
  record(await user.nextBotMessage({ newOnly: true }));
  return seen;
}

describe("a seized copy replays a past source as a stranger", () => {
  let original: TestBot;
  let copy: TestBot | undefined;
  let dataDir = "";
  let copyDir = "";
  let databaseName = "";
  let copyName = "";
  let lookupKey = "";
  let submissionXmin = "";
  let englishBeforeSubmit = "";
  let items: { relation: string; items: PageItem[] }[] = [];
  let rawPages: { relation: string; hex: string }[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tb-seized-"));
    original = await startTestBot({ dataDir });
    const source = original.api.user({ id: SOURCE_ID, first_name: "Фома", language_code: "ru" });

    // The source picks English, which the bot then speaks to them (in memory only).
    await source.command("language");
    await source.nextBotMessage({ newOnly: true });
    await source.press("English");
    await source.nextBotMessage();
    await source.command("help");
    englishBeforeSubmit = (await source.nextBotMessage({ newOnly: true })).text ?? "";
    const codename = await driveInterview(original.api, source, {
      texts: ["Нас отправили без приказа"],
      language: "en",
    });
    expect(codename?.split(" ")).toHaveLength(8);

    // What an adversary who also took the pepper can compute for a suspect's id.
    lookupKey = await original.app.services.interview.lookupKey(SOURCE_ID);
    const [row] = await rowsOf<{ xmin: string }>(
      await original.storage.db.execute("select xmin::text as xmin from submissions"),
    );
    submissionXmin = row?.xmin ?? "";
    databaseName = original.storage.url ? new URL(original.storage.url).pathname.slice(1) : "";

    // A clean stop, then the seizure.
    await original.stop({ keepDatabase: true });
    ({ items, rawPages } = await inspectPages());

    let storage: TestStorage | undefined;
    if (usingPostgres) {
      copyName = `${databaseName}_copy`;
      await adminStatement(`create database ${copyName} template ${databaseName}`);
      storage = await openTestDatabase(copyName);
    } else {
      copyDir = mkdtempSync(join(tmpdir(), "tb-seized-copy-"));
      cpSync(dataDir, copyDir, { recursive: true });
    }
    copy = await startTestBot({
      dataDir: usingPostgres ? undefined : copyDir,
      storage,
      secrets: original.secrets,
      editorKeys: { keyring: original.keyring, keys: original.editorKeys },
    });
  }, 180_000);

  afterAll(async () => {
    await copy?.stop();
    if (databaseName) await dropDatabase(databaseName);
    rmSync(dataDir, { recursive: true, force: true });
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
  });

  /** Opens the seized database with pageinspect and reads every page of our relations. */
  async function inspectPages() {
    if (usingPostgres) {
      const client = postgres(original.storage.url as string, { max: 1, onnotice: () => {} });
      try {
        await client.unsafe("create extension if not exists pageinspect");
        return await readPages((text) => client.unsafe(text) as never);
      } finally {
        await client.end();
      }
    }
    const pg = await PGlite.create(join(dataDir, "db"), { extensions: { pageinspect } });
    try {
      await pg.exec("create extension if not exists pageinspect");
      return await readPages(async <T>(text: string) => (await pg.query<T>(text)).rows);
    } finally {
      await pg.close();
    }
  }

  async function readPages(query: Query) {
    const relations = await query<{ name: string; kind: string; blocks: number }>(`
      select c.oid::regclass::text as name, c.relkind::text as kind,
             (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as blocks
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where (n.nspname = 'public' and c.relkind in ('r', 'i'))
         or c.oid in (select reltoastrelid from pg_class c2
                      join pg_namespace n2 on n2.oid = c2.relnamespace where n2.nspname = 'public')`);
    const found: { relation: string; items: PageItem[] }[] = [];
    const raw: { relation: string; hex: string }[] = [];
    for (const relation of relations) {
      for (let block = 0; block < relation.blocks; block++) {
        const page = `get_raw_page('${relation.name}', ${block})`;
        const [bytes] = await query<{ hex: string }>(`select encode(${page}, 'hex') as hex`);
        raw.push({ relation: relation.name, hex: bytes?.hex ?? "" });
        if (relation.kind === "i") continue;
        found.push({
          relation: relation.name,
          items: await query<PageItem>(
            `select lp_flags, t_xmax::text as t_xmax, t_infomask from heap_page_items(${page})`,
          ),
        });
      }
    }
    return { items: found, rawPages: raw };
  }

  it("really ran: the source chose English, and the pages were read", () => {
    expect(englishBeforeSubmit).toMatch(/[a-z]{4,}/);
    expect(englishBeforeSubmit).not.toMatch(/[а-я]{4,}/);
    expect(rawPages.some((page) => page.relation === "submissions")).toBe(true);
    expect(items.flatMap((page) => page.items).some((item) => item.lp_flags === 1)).toBe(true);
  });

  it("answers the past source exactly as it answers a stranger", async () => {
    if (!copy) throw new Error("the copy did not start");
    const again = copy.api.user({ id: SOURCE_ID, first_name: "Фома", language_code: "ru" });
    const stranger = copy.api.user({ id: STRANGER_ID, first_name: "Фома", language_code: "ru" });
    const theirs = await conversation(again);
    const strangers = await conversation(stranger);
    expect(theirs).toEqual(strangers);
    // And in Russian, Telegram's language: the English choice was never written down.
    expect(theirs.join("")).toMatch(/[а-я]{4,}/);
  });

  it("keeps no dead row version on any page after a submission and a clean stop", () => {
    // A dead version: a line pointer marked dead, or a tuple whose deleting transaction
    // committed (xmax set, not merely a row lock, not known aborted).
    const dead = items.flatMap(({ relation, items }) =>
      items
        .filter(
          (item) =>
            item.lp_flags === 3 ||
            (item.lp_flags === 1 &&
              item.t_xmax !== "0" &&
              ((item.t_infomask ?? 0) & 0x0080) === 0 &&
              ((item.t_infomask ?? 0) & 0x0800) === 0),
        )
        .map((item) => ({ relation, ...item })),
    );
    expect(dead).toEqual([]);
  });

  it("holds the source's lookup key on no page, and no row deleted by the submission", () => {
    expect(lookupKey).toHaveLength(43);
    const needle = Buffer.from(lookupKey, "utf8").toString("hex");
    expect(rawPages.filter((page) => page.hex.includes(needle)).map((p) => p.relation)).toEqual([]);
    expect(submissionXmin).not.toBe("");
    const deletedBySubmit = items.flatMap(({ relation, items }) =>
      items.filter((item) => item.t_xmax === submissionXmin).map(() => relation),
    );
    expect(deletedBySubmit).toEqual([]);
    expect(items.some((page) => page.relation === "drafts" && page.items.length > 0)).toBe(false);
  });
});

function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
