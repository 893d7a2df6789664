// What the desk shows beside a testimony comes from its archive: the public note a source reads
// with the status, and the day each addition and reply was stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openArchive, outlineTestimony } from "../../src/services/archive/testimony.js";
import { unlockPrivateKey } from "../../src/services/crypto/decrypt.js";
import { EDITORS_CHAT_ID, startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import type { TestKey } from "../helpers/keys.js";

const PUBLIC_NOTE = "Читаем, ответим на неделе";
const REPLY = "Спасибо, мы прочитали";

describe("the archive the desk reads", () => {
  let bot: TestBot;

  beforeAll(async () => {
    bot = await startTestBot();
    const source = bot.api.user({ id: 8801, first_name: "Source", language_code: "ru" });
    await driveInterview(bot.api, source, { texts: ["Короткий ответ"] });
  }, 120_000);

  afterAll(async () => {
    await bot?.stop();
  });

  async function outline() {
    const row = await bot.app.repositories.submissions.findByNumber(1);
    const chunks: Uint8Array[] = [];
    for await (const chunk of bot.app.services.exporter.archive(row as NonNullable<typeof row>)) {
      chunks.push(chunk);
    }
    const key = bot.editorKeys[0] as TestKey;
    const unlocked = await unlockPrivateKey(key.armoredPrivateKey, key.passphrase);
    return outlineTestimony(await openArchive(Buffer.concat(chunks), unlocked), "ru");
  }

  it("has no public note until editors set one", async () => {
    expect((await outline()).statusNote).toBeUndefined();
  });

  it("carries the public note set with the status, and the day of a reply", async () => {
    const editor = bot.api
      .group({ id: EDITORS_CHAT_ID, title: "Editors" })
      .member(bot.api.user({ id: 9301, first_name: "Редактор", language_code: "ru" }));
    await editor.command("status", `1 in_review ${PUBLIC_NOTE}`);
    await bot.api.nextBotMessage(EDITORS_CHAT_ID, { newOnly: true });
    await bot.app.services.editorial.reply(1, REPLY, "test-editor");

    const shown = await outline();
    expect(shown.statusNote).toBe(PUBLIC_NOTE);
    const reply = shown.extras.find((section) => section.id === "reply")?.entries[0];
    expect(reply).toMatchObject({ type: "text", text: REPLY });
    expect(reply?.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
