// DESIGN §3.12, the alarm on a changed key set: a key added to EDITOR_KEYS is announced in the
// editors' chat when the bot starts, receives nothing until an editor confirms it there, and the
// confirmation is audited; a removed key is announced too; /keys lists the set with each key's
// state.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotForThisKeyError } from "../../src/services/crypto/decrypt.js";
import {
  type EditorKeyring,
  formatFingerprint,
  loadEditorKeys,
} from "../../src/services/crypto/editor-keys.js";
import { KeySetError } from "../../src/services/crypto/key-set.js";
import { hashTelegramId } from "../../src/services/sources/sealing.js";
import { decryptSubmission } from "../helpers/decrypt.js";
import { EDITORS_CHAT_ID, startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import {
  cleanupKeyFixtures,
  makeOpenpgpKey,
  makeTempDir,
  type TestKey,
  writeKeyFile,
} from "../helpers/keys.js";

describe("a changed editors' key set", () => {
  let bot: TestBot;
  let newcomer: TestKey;
  let withNewcomer: EditorKeyring;
  const editorUser = { id: 9301, first_name: "Editor", language_code: "ru" };
  const editor = () =>
    bot.api.group({ id: EDITORS_CHAT_ID, title: "Editors" }).member(bot.api.user(editorUser));

  async function submit(userId: number, story: string) {
    const source = bot.api.user({ id: userId, first_name: "S", language_code: "en" });
    await driveInterview(bot.api, source, { texts: [story], language: "en" });
    await bot.idle();
    const rows = await bot.app.repositories.submissions.list();
    const newest = rows.reduce((a, b) => (a.number > b.number ? a : b));
    return newest;
  }

  async function recipientsOf(submissionId: string): Promise<string[][]> {
    const result = await bot.storage.db.execute(
      sql`select recipients from parts where submission_id = ${submissionId}`,
    );
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
      recipients: { fingerprint: string }[];
    }[];
    return rows.map((row) => row.recipients.map((r) => r.fingerprint));
  }

  beforeAll(async () => {
    bot = await startTestBot();
    newcomer = await makeOpenpgpKey("Newcomer Editor");
    const dir = await makeTempDir("newcomer-");
    const file = await writeKeyFile(dir, "newcomer.asc", newcomer.armoredPublicKey);
    withNewcomer = await loadEditorKeys([...bot.keyring.editors.map((e) => e.file), file]);
  }, 60_000);
  afterAll(async () => {
    await bot.stop();
    await cleanupKeyFixtures();
  });

  it("says nothing on the first start: the installed set is the trusted one", () => {
    expect(JSON.stringify(bot.api.botMessages(EDITORS_CHAT_ID))).not.toContain("changed");
  });

  it("announces an added key, with its name, before taking updates", async () => {
    await bot.restart({ keyring: withNewcomer });
    const alarm = await bot.api.waitFor(() =>
      bot.api
        .botMessages(EDITORS_CHAT_ID)
        .find((m) => m.text?.includes("изменились ключи редакторов")),
    );
    expect(alarm.text).toContain("Добавлен:");
    expect(alarm.text).toContain(formatFingerprint(newcomer.fingerprint));
    expect(alarm.text).toContain("Newcomer Editor");
    const buttons = alarm.reply_markup?.inline_keyboard.flat() ?? [];
    expect(buttons).toHaveLength(1);
    expect(buttons[0]?.text).toContain(formatFingerprint(newcomer.fingerprint).slice(-9));
  });

  it("encrypts nothing to the unconfirmed key", async () => {
    const row = await submit(9401, "Before confirmation: the depot had no guards");
    for (const list of await recipientsOf(row.id)) {
      expect(list).not.toContain(newcomer.fingerprint);
      expect([...list].sort()).toEqual(bot.editorKeys.map((k) => k.fingerprint).sort());
    }
    await expect(
      decryptSubmission(bot.app.repositories.parts, row.id, newcomer),
    ).rejects.toBeInstanceOf(NotForThisKeyError);
    await editor().command("keys");
    const list = await bot.api.waitFor(() =>
      bot.api.botMessages(EDITORS_CHAT_ID).find((m) => m.text?.startsWith("Ключи редакторов")),
    );
    expect(list.text).toContain("ждёт подтверждения редактора");
  });

  it("after one editor confirms it, new answers reach it; the confirmation is audited", async () => {
    await editor().press(`Подтвердить ключ …${formatFingerprint(newcomer.fingerprint).slice(-9)}`);
    await bot.api.waitFor(() =>
      bot.api.botMessages(EDITORS_CHAT_ID).find((m) => m.text?.includes("подтверждён")),
    );
    const audit = await bot.storage.db.execute(
      sql`select actor_hash, day, detail from audit where action = 'key-confirmed'`,
    );
    const rows = (Array.isArray(audit) ? audit : (audit as { rows: unknown[] }).rows) as {
      actor_hash: string;
      day: unknown;
      detail: string;
    }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.detail).toBe(newcomer.fingerprint);
    expect(rows[0]?.actor_hash).toBe(hashTelegramId(bot.secrets.pepper, editorUser.id, "staff"));
    expect(String(rows[0]?.day)).toMatch(/^\d{4}-\d{2}-\d{2}$|\d{4}/);

    const row = await submit(9402, "After confirmation: the convoy left at night");
    for (const list of await recipientsOf(row.id)) expect(list).toContain(newcomer.fingerprint);
    const read = await decryptSubmission(bot.app.repositories.parts, row.id, newcomer);
    expect(read.map((p) => p.text).join("\n")).toContain("the convoy left at night");
    // The earlier testimony stays closed to it: only a grant opens it.
    const first = (await bot.app.repositories.submissions.findByNumber(1)) as { id: string };
    await expect(
      decryptSubmission(bot.app.repositories.parts, first.id, newcomer),
    ).rejects.toBeInstanceOf(NotForThisKeyError);
  });

  it("is quiet on a restart with the same set, and announces a removed key", async () => {
    const before = bot.api.botMessages(EDITORS_CHAT_ID).length;
    await bot.restart();
    await bot.idle();
    expect(bot.api.botMessages(EDITORS_CHAT_ID)).toHaveLength(before);

    const departed = withNewcomer.editors[1];
    const remaining = await loadEditorKeys(
      withNewcomer.editors.filter((e) => e !== departed).map((e) => e.file),
    );
    await bot.restart({ keyring: remaining });
    const alarm = await bot.api.waitFor(() =>
      bot.api
        .botMessages(EDITORS_CHAT_ID)
        .slice(before)
        .find((m) => m.text?.includes("Убран")),
    );
    expect(alarm.text).toContain(formatFingerprint(departed?.fingerprint ?? ""));
    expect(alarm.reply_markup).toBeUndefined();
  });

  it("refuses to start when no confirmed key is left", async () => {
    const stranger = await makeOpenpgpKey("Stranger");
    const dir = await makeTempDir("stranger-");
    const only = await loadEditorKeys([
      await writeKeyFile(dir, "stranger.asc", stranger.armoredPublicKey),
    ]);
    await expect(bot.restart({ keyring: only })).rejects.toBeInstanceOf(KeySetError);
    // Back to a set it knows, so the bot stops cleanly.
    await bot.restart({ keyring: withNewcomer });
  });
});
