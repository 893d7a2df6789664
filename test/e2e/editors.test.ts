// Editors' side, end to end: notice without content, status buttons only in the editors' chat,
// export → local decryption with the editor tool, replies the source reads, purge.

import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDITORS_CHAT_ID, startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import { cleanupKeyFixtures, GpgHome } from "../helpers/keys.js";
import { runTsx } from "../helpers/run.js";
import { dumpDatabase, findPlanted } from "../helpers/scan.js";
import { readTar } from "../helpers/tar.js";

const STORY = "Командир батальона Горбунков отдал приказ в марте";
const REPLY = "Спасибо, мы прочитали. Можно уточнить месяц?";
const FILE = randomBytes(300_000);

describe("editors", () => {
  let bot: TestBot;
  let codename: string;
  const editor = () =>
    bot.api
      .group({ id: EDITORS_CHAT_ID, title: "Editors" })
      .member(bot.api.user({ id: 9001, first_name: "Editor", language_code: "ru" }));
  const editorsChat = () => bot.api.messages(EDITORS_CHAT_ID);

  beforeAll(async () => {
    bot = await startTestBot();
    const source = bot.api.user({ id: 8001, first_name: "Источник", language_code: "ru" });
    codename = (await driveInterview(bot.api, source, { texts: [STORY], file: FILE })) ?? "";
  });
  afterAll(async () => {
    await bot.stop();
    await cleanupKeyFixtures(); // the gpg-agent of the export test
  });

  it("notifies the editors' chat with a number, counts and status only", async () => {
    const notice = await bot.api.waitFor(() => bot.api.botMessages(EDITORS_CHAT_ID)[0]);
    expect(notice.text).toMatch(/^Рассказ №1 · анкета v2 · ответов: \d+, файлов: 2, дополнений: 0/);
    expect(notice.text).toContain("статус: новый");
    expect(JSON.stringify(editorsChat())).not.toContain("Горбунков");
    const buttons = notice.reply_markup?.inline_keyboard.flat().map((b) => b.text);
    expect(buttons).toEqual([
      "в работе",
      "проверен",
      "опубликован",
      "отклонён",
      "Экспорт",
      "Ответить",
    ]);
  });

  it("changes the status in place from the editors' chat, audits it, and shows it to the source", async () => {
    const notice = bot.api.botMessages(EDITORS_CHAT_ID)[0];
    await editor().press("в работе");
    const edited = await bot.api.waitFor(() =>
      bot.api
        .botMessages(EDITORS_CHAT_ID)
        .find((m) => m.message_id === notice?.message_id && m.text?.includes("статус: в работе")),
    );
    expect(edited.reply_markup?.inline_keyboard.flat().map((b) => b.text)).not.toContain(
      "в работе",
    );
    const audit = await bot.storage.db.execute(
      sql`select action, submission_number, detail, actor_hash, day::text as day from audit`,
    );
    const rows = Array.isArray(audit) ? audit : (audit as { rows: unknown[] }).rows;
    expect(rows).toEqual([
      expect.objectContaining({ action: "status", submission_number: 1, detail: "in_review" }),
    ]);
    expect(JSON.stringify(rows)).not.toContain("9001");

    const source = bot.api.user({ id: 8001, first_name: "Источник" });
    await source.command("codename");
    await source.nextBotMessage({ newOnly: true });
    await source.send(codename);
    expect((await source.nextBotMessage({ newOnly: true })).text).toContain(
      "Статус: редакция читает",
    );
    await source.press("Готово, удалить переписку");
  });

  it("treats the same buttons and commands anywhere else as unknown", async () => {
    const stranger = bot.api.user({ id: 8500, first_name: "Stranger", language_code: "ru" });
    await stranger.command("start");
    const briefing = await stranger.nextBotMessage();
    await stranger.pressData(briefing.message_id, "ed:s:1:published");
    const answer = await bot.api.waitFor(() =>
      bot.api
        .calls("answerCallbackQuery")
        .map((c) => c.params as { text?: string })
        .find((p) => p.text?.includes("больше не действует")),
    );
    expect(answer.text).toBe("Эта кнопка больше не действует. Нажмите /start, чтобы продолжить.");
    await stranger.command("list");
    expect((await stranger.nextBotMessage()).text).toBe(
      "Я понимаю только кнопки и команды. Начать — /start, справка — /help.",
    );
    const other = bot.api.group({ id: -100999, title: "Other", botIsAdmin: true });
    await other.member(stranger.user).command("list");
    await other.member(stranger.user).command("status", "1 published");
    await bot.idle();
    expect(other.botMessages()).toEqual([]);
    expect((await bot.app.services.editorial.summary(1))?.status).toBe("in_review");
  });

  it("exports an encrypted archive that the editor tool decrypts into the exact answers", async () => {
    await editor().press("Экспорт");
    const document = await bot.api.waitFor(() =>
      bot.api
        .botMessages(EDITORS_CHAT_ID)
        .find((m) => m.document?.file_name === "submission-1.tar"),
    );
    const archive = bot.api.fileBytes(document);
    const entries = readTar(archive);
    const manifest = JSON.parse(Buffer.from(entries[0]?.data ?? []).toString("utf8"));
    expect(manifest).toMatchObject({
      format: 2,
      submission: 1,
      questionnaireVersion: 2,
      locale: "ru",
    });
    // Which questions were answered (the branch taken) is inside the encryption only.
    const kinds = manifest.parts.map((p: { kind: string; questionId?: string }) => p.kind);
    expect(manifest.parts.every((p: { questionId?: string }) => p.questionId === undefined)).toBe(
      true,
    );
    expect(new Set(kinds)).toEqual(new Set(["answer", "attachment"]));
    // Nothing readable inside the archive itself.
    expect(findPlanted(Buffer.from(archive), [STORY])).toEqual([]);

    const dir = mkdtempSync(join(tmpdir(), "tb-export-"));
    const archiveFile = join(dir, "submission-1.tar");
    writeFileSync(archiveFile, archive);
    const key = bot.editorKeys[1] as (typeof bot.editorKeys)[number];
    const keyFile = join(dir, "editor.private.asc");
    writeFileSync(keyFile, key.armoredPrivateKey);
    const run = runTsx(
      "src/cli/editor.ts",
      ["decrypt", archiveFile, "--key", keyFile, "--out", join(dir, "out")],
      {
        input: `${key.passphrase}\n`,
      },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const markdown = readFileSync(join(dir, "out/submission-1/testimony.md"), "utf8");
    expect(markdown).toContain("# Рассказ №1");
    expect(markdown).toContain(`\n${STORY}\n`);
    const meta = JSON.parse(readFileSync(join(dir, "out/submission-1/meta.json"), "utf8"));
    const attachment = readFileSync(join(dir, "out/submission-1", meta.attachments[0].file));
    expect(attachment.equals(FILE)).toBe(true);

    // Plain gpg opens any single part too.
    const gpg = await GpgHome.create();
    gpg.importKey(key.armoredPrivateKey, key.passphrase);
    // gpg shows which question a part answers: the literal data's name, inside the encryption.
    const part = entries.find(
      (e) =>
        e.name.endsWith(".pgp") &&
        !e.name.endsWith(".body.pgp") &&
        gpg.listPackets(e.data, key.passphrase).includes('name="text:story"'),
    );
    const out = gpg.decrypt(part?.data as Uint8Array, key.passphrase);
    expect(out.stdout.toString("utf8").trimEnd()).toBe(STORY);
  });

  /** The prompt of the latest /reply N (or button) in the editors' chat. */
  const promptFor = (number: number) =>
    bot.api.waitFor(() =>
      bot.api
        .botMessages(EDITORS_CHAT_ID)
        .findLast((m) => m.text?.startsWith(`Ответ источнику по №${number}`)),
    );
  const previewFor = (number: number) =>
    bot.api.waitFor(() =>
      editorsChat().find((m) => m.text?.startsWith(`Источник по №${number} получит этот ответ`)),
    );
  const storedReplies = async (number: number) => {
    const row = await bot.app.services.editorial.find(number);
    return (await bot.app.repositories.parts.listForSubmission(row?.id as string, ["reply"]))
      .length;
  };

  it("sends nothing but an answer to the prompt from the editor who asked; anonymous admins are refused", async () => {
    await editor().command("reply", "1");
    const prompt = await promptFor(1);
    // A remark in the group, not an answer to the prompt: ignored, stays, never sent.
    const remark = await editor().send("Мне кажется, этот источник подставной");
    // Another editor answering someone else's prompt: ignored too.
    const colleague = bot.api
      .group({ id: EDITORS_CHAT_ID, title: "Editors" })
      .member(bot.api.user({ id: 9002, first_name: "Colleague", language_code: "ru" }));
    await colleague.reply(prompt.message_id, "Я бы не отвечал");
    await bot.idle();
    expect(editorsChat().some((m) => m.message_id === remark.message_id)).toBe(true);
    expect(editorsChat().some((m) => m.text?.includes("получит этот ответ"))).toBe(false);
    expect(await storedReplies(1)).toBe(0);

    // The answer to the prompt is shown back; the editor's own message is gone at once.
    const answer = await editor().reply(prompt.message_id, "Черновик, который не уйдёт");
    const preview = await previewFor(1);
    expect(preview.text).toContain("Черновик, который не уйдёт");
    expect(preview.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toEqual([
      "Отправить",
      "Отмена",
    ]);
    expect(editorsChat().some((m) => m.message_id === answer.message_id)).toBe(false);
    // Only the editor who wrote it may press Send.
    await colleague.press("Отправить");
    const refusal = await bot.api.waitFor(() =>
      bot.api
        .calls("answerCallbackQuery")
        .map((c) => c.params as { text?: string })
        .find((p) => p.text?.startsWith("Отправить или отменить этот ответ может только")),
    );
    expect(refusal.text).toBe(
      "Отправить или отменить этот ответ может только редактор, который его написал.",
    );
    // Cancel sends nothing and takes the plaintext away.
    await editor().press("Отмена");
    await bot.api.waitFor(() => editorsChat().find((m) => m.text === "Хорошо, ответ отменён."));
    expect(editorsChat().some((m) => m.message_id === preview.message_id)).toBe(false);
    expect(editorsChat().some((m) => m.message_id === prompt.message_id)).toBe(false);
    expect(JSON.stringify(editorsChat())).not.toContain("Черновик, который не уйдёт");
    expect(await storedReplies(1)).toBe(0);

    // An anonymous admin (Telegram's GroupAnonymousBot, posting as the group) is told to use
    // their own account, and gets no prompt.
    const anonymous = bot.api
      .group({ id: EDITORS_CHAT_ID, title: "Editors" })
      .member({ id: 1087968824, is_bot: true, first_name: "Group", username: "GroupAnonymousBot" });
    const prompts = bot.api
      .botMessages(EDITORS_CHAT_ID)
      .filter((m) => m.text?.startsWith("Ответ источнику")).length;
    await anonymous.send("/reply 1", {
      sender_chat: { id: EDITORS_CHAT_ID, type: "supergroup", title: "Editors" },
    });
    const told = await bot.api.nextBotMessage(EDITORS_CHAT_ID, { newOnly: true });
    expect(told.text).toContain("Отвечайте от своего аккаунта");
    expect(
      bot.api.botMessages(EDITORS_CHAT_ID).filter((m) => m.text?.startsWith("Ответ источнику"))
        .length,
    ).toBe(prompts);
    expect(await storedReplies(1)).toBe(0);
  });

  it("stores an editor's reply encrypted, deletes the plaintext, and lets the source read it", async () => {
    await editor().command("reply", "1");
    const prompt = await promptFor(1);
    const sent = await editor().reply(prompt.message_id, REPLY);
    const preview = await previewFor(1);
    expect(preview.text).toContain(REPLY);
    expect(await storedReplies(1)).toBe(0); // nothing before Send
    await editor().press("Отправить");
    await bot.api.waitFor(() =>
      bot.api
        .botMessages(EDITORS_CHAT_ID)
        .find((m) => m.text?.startsWith("Ответ по №1 зашифрован")),
    );
    expect(editorsChat().some((m) => m.message_id === sent.message_id)).toBe(false);
    expect(editorsChat().some((m) => m.message_id === prompt.message_id)).toBe(false);
    expect(editorsChat().some((m) => m.message_id === preview.message_id)).toBe(false);
    expect(await storedReplies(1)).toBe(1);

    const source = bot.api.user({ id: 8001, first_name: "Источник" });
    await source.command("codename");
    await source.nextBotMessage({ newOnly: true });
    await source.send(codename);
    const view = await source.nextBotMessage({ newOnly: true });
    expect(view.text).toContain("Ответ редакции:");
    expect(view.text).toContain(REPLY);

    expect(findPlanted(await dumpDatabase(bot.storage), [REPLY, STORY])).toEqual([]);
  });

  it("tells a source who asked for it that there is a reply — in their chat, without content", async () => {
    const asker = bot.api.user({ id: 7391045512, first_name: "Второй", language_code: "ru" });
    await driveInterview(bot.api, asker, { texts: ["второй рассказ"], notifyReplies: true });
    const quiet = bot.api.user({ id: 7391045513, first_name: "Третий", language_code: "ru" });
    await driveInterview(bot.api, quiet, { texts: ["третий рассказ"] });
    expect(findPlanted(await dumpDatabase(bot.storage), ["7391045512", "7391045513"])).toEqual([]);

    for (const number of [2, 3]) {
      await editor().command("reply", String(number));
      const prompt = await promptFor(number);
      await editor().reply(prompt.message_id, `${REPLY} (${number})`);
      await previewFor(number);
      await editor().press("Отправить");
      await bot.api.waitFor(() =>
        bot.api
          .botMessages(EDITORS_CHAT_ID)
          .find((m) => m.text?.startsWith(`Ответ по №${number} зашифрован`)),
      );
    }
    const notice = await bot.api.waitFor(() =>
      asker.botMessages().find((m) => m.text?.startsWith("Редакция ответила")),
    );
    expect(notice.text).not.toContain(REPLY);
    await bot.idle();
    expect(quiet.botMessages().some((m) => m.text?.startsWith("Редакция ответила"))).toBe(false);
  });

  it("lists, shows keys, sets a status with a note the source sees", async () => {
    await editor().command("list");
    expect((await bot.api.nextBotMessage(EDITORS_CHAT_ID, { newOnly: true })).text).toMatch(
      /^№1 · \d{4}-\d{2}-\d{2} · в работе · ответов: \d+, файлов: 2, дополнений: 0, ответов редакции: 1$/m,
    );
    await editor().command("keys");
    const keys = await bot.api.nextBotMessage(EDITORS_CHAT_ID, { newOnly: true });
    expect(keys.text).toContain(bot.keyring.fingerprints[0]?.slice(0, 4));
    await editor().command("status", "1 published");
    expect((await bot.api.nextBotMessage(EDITORS_CHAT_ID, { newOnly: true })).text).toBe(
      "№1: статус «опубликован».",
    );
    const noted = await editor().command("status", "1 published Вышло в выпуске от пятницы");
    await bot.api.nextBotMessage(EDITORS_CHAT_ID, { newOnly: true });
    expect(editorsChat().some((m) => m.message_id === noted.message_id)).toBe(false);
    const source = bot.api.user({ id: 8001, first_name: "Источник" });
    await source.command("codename");
    await source.nextBotMessage({ newOnly: true });
    await source.send(codename);
    const view = (await source.nextBotMessage({ newOnly: true })).text;
    expect(view).toContain("Статус: опубликован");
    expect(view).toContain("Заметка редакции: Вышло в выпуске от пятницы");
    await source.press("Готово, удалить переписку");
    await editor().command("status", "1 nonsense");
    expect((await bot.api.nextBotMessage(EDITORS_CHAT_ID, { newOnly: true })).text).toContain(
      "Так: /status НОМЕР СТАТУС",
    );
  });

  /** The prompt that answers this /reply command (not an older one still in the chat). */
  const promptAfter = (number: number, command: { message_id: number }) =>
    bot.api.waitFor(() =>
      bot.api
        .botMessages(EDITORS_CHAT_ID)
        .find(
          (m) =>
            m.message_id > command.message_id &&
            m.text?.startsWith(`Ответ источнику по №${number}`),
        ),
    );

  it("a reply begun before a restart (or on another instance) sends nothing and says to start again", async () => {
    const replies = await storedReplies(2);
    // A preview waiting for Send when the bot restarts: Send is out of date, the plaintext goes.
    const first = await promptAfter(2, await editor().command("reply", "2"));
    await editor().reply(first.message_id, "Ответ до перезапуска");
    const preview = await bot.api.waitFor(() =>
      bot.api.botMessages(EDITORS_CHAT_ID).find((m) => m.text?.includes("Ответ до перезапуска")),
    );
    await bot.restart();
    const send = await editor().press("Отправить");
    await bot.api.waitFor(() => bot.api.callbackAnswer(send.id));
    expect(bot.api.callbackAnswer(send.id)?.text).toBe(
      "Этот ответ уже не ждёт отправки. Начните заново: /reply НОМЕР.",
    );
    await bot.api.waitFor(() =>
      editorsChat().some((m) => m.message_id === preview.message_id) ? undefined : true,
    );
    expect(await storedReplies(2)).toBe(replies);

    // An answer to a prompt this instance never showed: the editor is told, nothing is sent.
    const prompt = await promptAfter(2, await editor().command("reply", "2"));
    await bot.restart();
    await editor().reply(prompt.message_id, "Ответ, который не должен уйти");
    const told = await bot.api.waitFor(() =>
      editorsChat().find((m) => m.text?.startsWith("Бот не помнит")),
    );
    expect(told.text).toBe(
      "Бот не помнит этот ответ по №2: он истёк или был начат до перезапуска бота либо на другой его копии. Источнику ничего не отправлено. Начните заново: /reply 2.",
    );
    expect(editorsChat().some((m) => m.text?.startsWith("Источник по №2 получит"))).toBe(false);
    expect(await storedReplies(2)).toBe(replies);
    // A colleague's remark in reply to a notice is not mistaken for one.
    const notice = await bot.api.waitFor(() =>
      bot.api.botMessages(EDITORS_CHAT_ID).find((m) => m.text?.startsWith("Рассказ №2")),
    );
    await editor().reply(notice.message_id, "Интересный рассказ");
    await bot.idle();
    expect(editorsChat().at(-1)?.text).toBe("Интересный рассказ");

    // Starting again on this instance works as before.
    const again = await promptAfter(2, await editor().command("reply", "2"));
    await editor().reply(again.message_id, "Ответ после перезапуска");
    await bot.api.waitFor(() =>
      bot.api.botMessages(EDITORS_CHAT_ID).find((m) => m.text?.includes("Ответ после перезапуска")),
    );
    await editor().press("Отправить");
    await bot.api.waitFor(() =>
      editorsChat().find(
        (m) => m.message_id > again.message_id && m.text?.startsWith("Ответ по №2 зашифрован"),
      ),
    );
    expect(await storedReplies(2)).toBe(replies + 1);
  });

  it("purges every byte of a submission after confirmation", async () => {
    const row = await bot.app.services.editorial.find(1);
    const partsBefore = await bot.app.repositories.parts.listForSubmission(row?.id as string);
    const attachmentIds = partsBefore.map((p) => p.attachmentId).filter((id) => id !== null);
    expect(attachmentIds.length).toBeGreaterThan(0);
    await editor().command("purge", "1");
    await bot.api.waitFor(() =>
      editorsChat().find((m) => m.text?.startsWith("Удалить рассказ №1")),
    );
    await editor().press("Да, удалить навсегда");
    await bot.api.waitFor(() =>
      editorsChat().find((m) => m.text === "Рассказ №1 удалён безвозвратно."),
    );
    const count = async (query: string) => {
      const result = await bot.storage.db.execute(sql.raw(query));
      const rows = Array.isArray(result) ? result : (result as { rows: { n: number }[] }).rows;
      return Number((rows[0] as { n: number }).n);
    };
    const ids = attachmentIds.map((id) => `'${id}'`).join(",");
    expect(await count("select count(*)::int as n from submissions where number = 1")).toBe(0);
    expect(
      await count(`select count(*)::int as n from parts where submission_id = '${row?.id}'`),
    ).toBe(0);
    expect(
      await count(
        `select count(*)::int as n from attachment_chunks where attachment_id in (${ids})`,
      ),
    ).toBe(0);
    // Other testimonies are untouched.
    expect(await count("select count(*)::int as n from submissions")).toBe(2);
    // The codename now opens nothing.
    const source = bot.api.user({ id: 8001, first_name: "Источник" });
    await source.command("codename");
    await source.nextBotMessage({ newOnly: true });
    await source.send(codename);
    expect((await source.nextBotMessage({ newOnly: true })).text).toContain("ничего не найдено");
  });
});
