// A whole interview through the fake Bot API, then what editors find when they decrypt it.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSubmission } from "../helpers/decrypt.js";
import { EDITORS_CHAT_ID, startTestBot, type TestBot } from "../helpers/harness.js";
import { GpgHome } from "../helpers/keys.js";

describe("the interview, end to end", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(() => bot.stop());

  it("takes a full testimony in Russian with branching, skip, back, redo and files", async () => {
    const user = bot.api.user({
      id: 6001,
      first_name: "Алексей",
      username: "alexey_x",
      language_code: "ru",
    });
    const voice = randomBytes(40_000);
    const photo = randomBytes(120_000);
    const document = randomBytes(5 * 1024 * 1024);

    await user.command("start");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Начать рассказ");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("1/");
    await user.press("Да, начнём");

    // role → "other" opens a follow-up text question
    await user.nextBotMessage({ newOnly: true });
    await user.press("Другое");
    expect((await user.nextBotMessage({ newOnly: true })).text).toMatch(/^3\/\d+\./);
    await user.send("Служил связистом в роте обеспечения");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Сообщений: 1, файлов: 0",
    );
    await user.press("Дальше →");

    // branch: skipped
    await user.nextBotMessage({ newOnly: true });
    await user.press("Пропустить");

    // year: a bad one first
    await user.nextBotMessage({ newOnly: true });
    await user.send("1980");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("от 1990");
    await user.send("2023");

    await user.nextBotMessage({ newOnly: true });
    await user.press("Меньше месяца");

    // area: first answer, replaced later from the review
    await user.nextBotMessage({ newOnly: true });
    await user.send("Запорожское направление, старый ответ");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Дальше →");

    // what they saw: several ticks, then Done; the question then shows what was chosen
    const witnessed = await user.nextBotMessage({ newOnly: true });
    expect(witnessed.text).toContain("Что из этого вы видели");
    await user.press("☐ Мародёрство");
    await user.press("☐ Штурмы без подготовки и прикрытия");
    await user.press("Готово");
    await bot.api.waitFor(() =>
      user
        .chat()
        .find((m) => m.message_id === witnessed.message_id)
        ?.text?.includes("✓ Мародёрство, Штурмы"),
    );

    // story: text, a voice note, more text
    await user.nextBotMessage({ newOnly: true });
    await user.send("Нас отправили без объяснений");
    await user.nextBotMessage({ newOnly: true });
    await user.sendVoice(voice, { duration: 3 });
    // Random bytes are no recording: stored as sent, and the source is told; then, at the first
    // recording, what the voice disguise does; the note with its Next button comes last.
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("не получилось");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Голос может выдать вас");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Сообщений: 1, файлов: 1",
    );
    await user.send("Потом был приказ, который я не выполнил");
    await user.nextBotMessage();
    await user.press("Дальше →");

    // departure → left unit → story of leaving; then back, change to "still serving":
    // the leaving story belongs to an abandoned branch and must disappear.
    await user.nextBotMessage({ newOnly: true });
    await user.press("Самовольный уход из части (СОЧ)");
    await user.nextBotMessage({ newOnly: true });
    await user.send("Ушёл ночью, ЭТОТ ТЕКСТ ДОЛЖЕН ИСЧЕЗНУТЬ");
    await user.nextBotMessage({ newOnly: true });
    await user.press("← Назад");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Я всё ещё служу");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Где вы сейчас?");
    await user.press("За границей, в безопасности");

    // materials: the warning, then a photo and a 5 MB document
    const warning = await user.nextBotMessage({ newOnly: true });
    expect(warning.text).toContain("скрытые данные");
    await user.nextBotMessage({ newOnly: true });
    await user.sendPhoto(photo);
    await user.nextBotMessage();
    await user.sendDocument(document, { file_name: "prikaz.pdf", mime_type: "application/pdf" });
    expect((await user.nextBotMessage()).text).toContain("файлов: 2");
    await user.press("Дальше →");

    await user.nextBotMessage({ newOnly: true });
    await user.press("Пропустить"); // originals
    await user.nextBotMessage({ newOnly: true });
    await user.press("Только пересказом");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Да"); // contact back
    await user.nextBotMessage({ newOnly: true });
    await user.press("Пропустить"); // anything else

    // review: marks only, no answers shown
    const review = await user.nextBotMessage({ newOnly: true });
    expect(review.text).toContain("Проверьте ответы");
    expect(review.text).toContain("пропущено");
    expect(review.text).not.toContain("Нас отправили");

    // redo the area question: its button says which question it opens
    await user.press(/^✎ \d+\. Где это было$/);
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Вы уже отвечали");
    await user.send("Херсонская область");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Дальше →");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Проверьте ответы");

    await user.press("Отправить редакции");
    const codenameMessage = await bot.api.waitFor(() =>
      user.botMessages().find((m) => m.text?.includes("Ваша кодовая фраза")),
    );
    const codename = codenameMessage.text?.split("\n")[2]?.trim() as string;
    expect(codename.split(" ")).toHaveLength(8);

    // The chat now holds the final message and the codename message only.
    const visible = user.chat().map((m) => m.text ?? "");
    expect(visible).toHaveLength(2);
    expect(visible[0]).toContain("Спасибо. Ваш рассказ получен");

    // "Written down, delete it" → the check → only the final message remains.
    await user.press("Записал(а), удалить");
    await user.nextBotMessage({ newOnly: true });
    await user.send(codename.toUpperCase());
    await bot.api.waitFor(() => user.chat().length === 1 && user.chat()[0]?.text?.includes("✓"));
    expect(user.chat()[0]?.text).toContain("Кодовая фраза записана верно");

    // Editors were told, without content.
    const notice = await bot.api.waitFor(() => bot.api.botMessages(EDITORS_CHAT_ID)[0]);
    expect(notice.text).toMatch(
      /^Рассказ №1 · анкета v2 · ответов: 13, файлов: 3, .* · язык: ru · \d{4}-\d{2}-\d{2} · статус: новый$/,
    );
    expect(notice.text).not.toContain("Херсон");

    // What the editors decrypt: exactly the answers, in order, files byte-identical.
    const [submission] = await bot.app.repositories.submissions.list();
    expect(submission?.createdOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const decrypted = await decryptSubmission(
      bot.app.repositories.parts,
      submission?.id as string,
      bot.editorKeys[1] as (typeof bot.editorKeys)[number],
    );
    const summary = decrypted.map((p) => [
      p.questionId,
      p.kind,
      p.kind === "attachment" ? JSON.parse(p.text).kind : p.text,
    ]);
    expect(summary).toEqual([
      ["consent", "choice", "yes"],
      ["role", "choice", "other"],
      ["role_other", "text", "Служил связистом в роте обеспечения"],
      ["service_year", "text", "2023"],
      ["service_length", "choice", "under_month"],
      ["witnessed", "choice", "looting\nassaults"],
      ["story", "text", "Нас отправили без объяснений"],
      ["story", "attachment", "voice"],
      ["story", "text", "Потом был приказ, который я не выполнил"],
      ["departure", "choice", "still_serving"],
      ["situation", "choice", "abroad_safe"],
      ["materials", "attachment", "photo"],
      ["materials", "attachment", "document"],
      ["publication", "choice", "paraphrase"],
      ["contact_back", "choice", "yes"],
      ["area", "text", "Херсонская область"],
    ]);
    const files = decrypted.filter((p) => p.file).map((p) => Buffer.from(p.file as Uint8Array));
    expect(files[0]?.equals(voice)).toBe(true);
    const voicePart = decrypted.find((p) => p.kind === "attachment" && p.questionId === "story");
    expect(JSON.parse(voicePart?.text ?? "{}").voice).toEqual({
      disguised: false,
      reason: "could-not-decode",
    });
    expect(files[1]?.equals(photo)).toBe(true);
    expect(files[2]?.equals(document)).toBe(true);
    expect(JSON.parse(decrypted[12]?.text ?? "{}")).toMatchObject({
      fileName: "prikaz.pdf",
      mimeType: "application/pdf",
    });

    // GnuPG 2.2 reads the same parts.
    const gpg = await GpgHome.create();
    const key = bot.editorKeys[0] as (typeof bot.editorKeys)[number];
    gpg.importKey(key.armoredPrivateKey, key.passphrase);
    const story = decrypted.find((p) => p.text === "Нас отправили без объяснений");
    const out = gpg.decrypt(story?.ciphertext as Uint8Array, key.passphrase);
    expect(out.status).toBe(0);
    expect(out.stdout.toString("utf8").trimEnd()).toBe("Нас отправили без объяснений");
  });

  it("takes a short testimony in English", async () => {
    const user = bot.api.user({ id: 6002, first_name: "John", language_code: "en" });
    await user.command("start");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Begin my testimony");
    await user.nextBotMessage({ newOnly: true });
    await user.press("Yes, start");
    const role = await user.nextBotMessage({ newOnly: true });
    expect(role.text).toContain("2/");
    await user.press("Officer");
    for (;;) {
      const message = await user.nextBotMessage({ newOnly: true });
      if (message.text?.includes("Check your answers")) break;
      const skip = message.reply_markup?.inline_keyboard.flat().find((b) => b.text === "Skip");
      if (skip) await user.press("Skip");
    }
    await user.press("Send to the editors");
    const codename = await bot.api.waitFor(() =>
      user.botMessages().find((m) => m.text?.includes("Your codename")),
    );
    const words = codename.text?.split("\n")[2]?.trim().split(" ") ?? [];
    expect(words).toHaveLength(8);
    expect(words.every((w) => /^[a-z]+$/.test(w))).toBe(true);
  });
});
