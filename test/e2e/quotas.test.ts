// Limits on what can be stored (issue 14): additions through a codename count against
// per-testimony limits that answers name; STORAGE_LIMIT_GB refuses files clearly and tells the
// editors' chat once, without content, when storage passes 80%; a codename typed back during a
// flood pause does not stay in the chat.
import { afterEach, describe, expect, it } from "vitest";
import type { AttachmentMeta } from "../../src/services/interview/attachments.js";
import type { SubmissionReceipt } from "../../src/services/submissions/submit.js";
import { decryptSubmission } from "../helpers/decrypt.js";
import { choose, createEngineDriver, text } from "../helpers/engine.js";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { EDITORS_CHAT_ID, startTestBot, type TestBot } from "../helpers/harness.js";
import { jpegWithMetadata } from "../helpers/metadata-files.js";
import { findPlanted } from "../helpers/scan.js";
import { beginInterview, jumpTo, visibleTexts } from "../helpers/steps.js";

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

/** A submitted testimony, made through the services (these tests are about what comes after). */
async function submitted(testBot: TestBot, sourceId: number): Promise<SubmissionReceipt> {
  const { interview, submissions } = testBot.app.services;
  const draft = await createEngineDriver(interview, sourceId, "en").run([
    choose("consent", "yes"),
    text("story", "The story"),
  ]);
  return submissions.submit(draft);
}

/** /codename → the codename → "Add to my testimony": the session takes additions. */
async function startAdding(user: FakeUser, codename: string) {
  await user.command("codename");
  await user.nextBotMessage({ newOnly: true });
  await user.send(codename);
  await user.nextBotMessage({ newOnly: true });
  await user.press("Add to my testimony");
  await user.nextBotMessage({ newOnly: true });
}

describe("additions through a codename", () => {
  it("count against files, megabytes and messages a day; refusals name the limit", async () => {
    bot = await startTestBot({
      config: { ADDITION_FILES_MAX: 2, ADDITION_MB_MAX: 1, ADDITION_MESSAGES_PER_DAY: 4 },
    });
    const receipt = await submitted(bot, 9_300_001);
    const user = bot.api.user({ id: 8501, first_name: "Back", language_code: "en" });
    await startAdding(user, receipt.codename);

    // A picture as a document: added, and cleaned like one at the materials question.
    const picture = jpegWithMetadata(32, 24, "add");
    await user.sendDocument(picture.bytes, { file_name: "more.jpg", mime_type: "image/jpeg" });
    const added = (await user.nextBotMessage({ newOnly: true })).text;
    expect(added).toContain("Added and encrypted");
    // The source is told, in the same message, what the file lost.
    expect(added).toMatch(/^Hidden data removed from the file: GPS/);

    // Over a megabyte in added files: refused, the limit named.
    await user.sendDocument(Buffer.alloc(1100 * 1024, 1), { file_name: "big.bin" });
    expect((await user.nextBotMessage({ newOnly: true })).text).toBe(
      "This testimony already has 1 MB of added files, which is the limit. If you need to send more, write to the editors in text.",
    );

    await user.sendDocument(Buffer.from("second file"), { file_name: "b.txt" });
    const second = (await user.nextBotMessage({ newOnly: true })).text;
    expect(second).toContain("Added and encrypted");
    expect(second).toMatch(/^The bot could not clean this file .* it is stored as sent\./);
    await user.sendDocument(Buffer.from("third file"), { file_name: "c.txt" });
    expect((await user.nextBotMessage({ newOnly: true })).text).toBe(
      "This testimony already has 2 added files, which is the limit. If you need to send more, write to the editors in text.",
    );

    // Texts still go, up to the daily count (two files + two texts = 4).
    await user.send("One more detail");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Added and encrypted");
    await user.send("And another");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Added and encrypted");
    await user.send("A fifth message today");
    expect((await user.nextBotMessage({ newOnly: true })).text).toBe(
      "4 messages have been added to this testimony today, which is the daily limit. Please continue tomorrow; nothing you already sent is lost.",
    );

    // What is stored: two files and two texts; the picture without its planted values.
    const row = await bot.app.repositories.submissions.findByNumber(receipt.number);
    const key = bot.editorKeys[0];
    if (!row || !key) throw new Error("no submission or key");
    const followUps = (await decryptSubmission(bot.app.repositories.parts, row.id, key)).filter(
      (part) => part.questionId === "followup",
    );
    expect(followUps.map((part) => part.kind).sort()).toEqual([
      "attachment",
      "attachment",
      "followup",
      "followup",
    ]);
    const stored = followUps.find((part) => part.file && part.text.includes("more.jpg"));
    expect(stored?.file && findPlanted(Buffer.from(stored.file), picture.planted)).toEqual([]);
    const meta = JSON.parse(stored?.text ?? "{}") as AttachmentMeta;
    expect(meta.cleaning).toMatchObject({ cleaned: true });
    expect(meta.cleaning?.removed).toContain("gps");
  });
});

describe("the storage limit", () => {
  it("refuses files with a clear answer, and stores nothing", async () => {
    // About a kilobyte: full as soon as anything is stored.
    bot = await startTestBot({ config: { STORAGE_LIMIT_GB: 0.000001 } });
    const user = bot.api.user({ id: 8601, first_name: "Source", language_code: "en" });
    await beginInterview(user, "en");
    await jumpTo(bot, user, "materials");
    const draft = await bot.app.services.interview.find(user.id);
    if (!draft) throw new Error("no draft");
    await user.sendDocument(Buffer.alloc(4000, 2), { file_name: "photo.bin" });
    expect((await user.nextBotMessage({ newOnly: true })).text).toBe(
      "The bot's storage is full right now and files are not accepted. This file was not saved. Text answers work as usual; the editors know and are making room — please try sending the file later.",
    );
    const parts = await bot.app.repositories.parts.listForDraft(draft.id);
    expect(parts.filter((part) => part.kind === "attachment")).toEqual([]);
  });

  it("tells the editors' chat once, with numbers only, when storage passes 80%", async () => {
    bot = await startTestBot({ config: { STORAGE_LIMIT_GB: 0.00001 } }); // about 10 KB
    const { quotas } = bot.app.services;
    expect(await quotas.checkStorage()).toBeUndefined();
    // Testimonies come in until storage passes 80%: the check tells the editors then.
    let warning: Awaited<ReturnType<typeof quotas.checkStorage>>;
    for (let id = 9_300_010; !warning && id < 9_300_030; id++) {
      await submitted(bot, id);
      warning = await quotas.checkStorage();
    }
    expect(warning?.percent).toBeGreaterThanOrEqual(80);
    const notice = await bot.api.waitFor(() =>
      bot?.api.botMessages(EDITORS_CHAT_ID).find((m) => m.text?.includes("%")),
    );
    expect(notice.text).toMatch(/^Хранилище заполнено на \d+% \(0\.0 из 0\.00001 ГБ\)\./);
    // Once: a second check while still above says nothing more.
    expect(await quotas.checkStorage()).toBeUndefined();
    await bot.idle();
    expect(bot.api.botMessages(EDITORS_CHAT_ID).filter((m) => m.text?.includes("%"))).toHaveLength(
      1,
    );
  });
});

describe("flood pauses", () => {
  it("a codename typed during one is deleted from the chat all the same", async () => {
    bot = await startTestBot({ config: { FLOOD_MESSAGES_PER_MINUTE: 5 } });
    const receipt = await submitted(bot, 9_300_005);
    const user = bot.api.user({ id: 8701, first_name: "Back", language_code: "en" });
    await user.command("codename");
    await user.nextBotMessage({ newOnly: true });
    for (let i = 0; i < 5; i++) await user.send(`hello ${i}`);
    await bot.api.waitFor(() =>
      user.botMessages().find((m) => m.text?.startsWith("Too many messages")),
    );
    const typed = await user.send(receipt.codename);
    await bot.api.waitFor(() => !user.chat().some((m) => m.message_id === typed.message_id));
    expect(user.chat().some((m) => m.text?.includes(receipt.codename))).toBe(false);
  });

  it("inside an interview, refused messages are wiped with it; /forget works during the pause", async () => {
    bot = await startTestBot({ config: { FLOOD_MESSAGES_PER_MINUTE: 6 } });
    const user = bot.api.user({ id: 8702, first_name: "Source", language_code: "en" });
    await beginInterview(user, "en"); // 3 updates
    for (let i = 0; i < 6; i++) await user.send(`refused answer ${i}`);
    await bot.api.waitFor(() =>
      user.botMessages().find((m) => m.text?.startsWith("Too many messages")),
    );
    await bot.idle();
    expect(visibleTexts(user).some((text) => text.startsWith("refused answer"))).toBe(true);
    await user.command("forget");
    await bot.api.waitFor(() => user.botMessages().find((m) => m.text?.startsWith("Done:")));
    await bot.idle();
    expect(visibleTexts(user)).toEqual([expect.stringMatching(/^Done:/)]);
    expect(await bot.app.services.interview.find(user.id)).toBeUndefined();
  });
});
