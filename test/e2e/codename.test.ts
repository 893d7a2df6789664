// Coming back with the codename (issue 4, item 8; DESIGN.md §3 invariant 7, §7 lessons 2 and 3):
// status and replies for the right codename, the same neutral answer for wrong ones, a rate limit,
// follow-ups that editors can decrypt, and sessions that say clearly when they are gone.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubmissionReceipt } from "../../src/services/submissions/submit.js";
import { rateLimits } from "../../src/storage/schema.js";
import { decryptSubmission } from "../helpers/decrypt.js";
import { choose, createEngineDriver, text } from "../helpers/engine.js";
import type { FakeUser } from "../helpers/fake-bot-api.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";
import { driveInterview } from "../helpers/interview-driver.js";
import { callbackAnswer, visibleTexts } from "../helpers/steps.js";

const NOT_FOUND =
  "По этой фразе ничего не найдено. Проверьте слова и порядок и попробуйте ещё раз.";
const TOO_MANY = "Слишком много попыток. Попробуйте через час.";
const EXPIRED = "Сеанс закончился. Отправьте кодовую фразу ещё раз: /codename";
/** A codename-shaped phrase of real list words that belongs to no submission. */
const WRONG = "абажур абзац абрикос август авокадо авоська автобус автор";

describe("coming back with the codename", () => {
  let bot: TestBot;
  let nextId = 8300;
  let nextSourceId = 9_100_000;
  const newUser = () =>
    bot.api.user({ id: nextId++, first_name: "Вернувшийся", language_code: "ru" });

  beforeAll(async () => {
    bot = await startTestBot({ config: { CODENAME_ATTEMPTS_PER_HOUR: 3 } });
  });
  afterAll(() => bot.stop());

  /** A submitted testimony (made through the services: these tests are about coming back). */
  async function submitted(locale: "ru" | "en" = "ru"): Promise<SubmissionReceipt> {
    const { interview, submissions } = bot.app.services;
    const sourceId = nextSourceId++;
    const draft = await createEngineDriver(interview, sourceId, locale).run([
      choose("consent", "yes"),
      text("story", "Исходный рассказ"),
    ]);
    return submissions.submit(draft);
  }

  async function rowOf(receipt: SubmissionReceipt) {
    const row = await bot.app.repositories.submissions.findByNumber(receipt.number);
    if (!row) throw new Error("no submission row");
    return row;
  }

  /** /codename, then the codename as typed; returns the bot's answer. */
  async function open(user: FakeUser, typed: string) {
    await user.command("codename");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Отправьте кодовую фразу",
    );
    const sent = await user.send(typed);
    const answer = await user.nextBotMessage({ newOnly: true });
    await bot.api.waitFor(() => !user.chat().some((m) => m.message_id === sent.message_id));
    return answer;
  }

  it("the receipt: a wrong check offers the codename again; the right one leaves one message", async () => {
    const user = newUser();
    const codename = await driveInterview(bot.api, user, { texts: ["Рассказ для проверки"] });
    expect(codename?.split(" ")).toHaveLength(8);

    await user.press("Записал(а), удалить");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Проверим запись");
    await bot.idle();
    const counters = await bot.storage.db.$count(rateLimits);
    const typo = await user.send(WRONG);
    const wrong = await user.nextBotMessage({ newOnly: true });
    expect(wrong.text).toBe(NOT_FOUND);
    // The slip in the check is not a guess: it adds no counter row (one would say, for an hour,
    // that this account has just sent a testimony).
    await bot.idle();
    expect(await bot.storage.db.$count(rateLimits)).toBe(counters);
    expect(user.chat().some((m) => m.message_id === typo.message_id)).toBe(false);

    await user.press("Показать фразу ещё раз");
    const again = await user.nextBotMessage({ newOnly: true });
    expect(again.text).toContain(codename);
    await user.press("Записал(а), удалить");
    await user.nextBotMessage({ newOnly: true });
    await user.send(codename as string);

    await bot.api.waitFor(() => user.chat().length === 1 && user.chat()[0]?.text?.includes("✓"));
    await bot.idle();
    expect(visibleTexts(user)).toHaveLength(1);
    expect(visibleTexts(user)[0]).toContain("Спасибо. Ваш рассказ получен");
    expect(visibleTexts(user)[0]).toContain("Кодовая фраза записана верно");
    // No Subscribe button beside the receipt: a subscription made right then would sit next to
    // the submission in the database. /subscribe and the briefing offer it.
    const buttons =
      user
        .chat()[0]
        ?.reply_markup?.inline_keyboard.flat()
        .map((b) => b.text) ?? [];
    expect(buttons).not.toContain("Подписаться на советы редакции");
  });

  it("the receipt check refuses a codename that is real but not the one just issued", async () => {
    const earlier = await submitted();
    const user = newUser();
    const codename = await driveInterview(bot.api, user, { texts: ["Рассказ для сверки"] });
    await user.press("Записал(а), удалить");
    await user.nextBotMessage({ newOnly: true });
    await user.send(earlier.codename);
    const answer = await user.nextBotMessage({ newOnly: true });
    expect(answer.text).toBe(NOT_FOUND);
    expect(answer.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toContain(
      "Показать фразу ещё раз",
    );
    await user.send(codename as string);
    await bot.api.waitFor(() => user.chat().length === 1 && user.chat()[0]?.text?.includes("✓"));
  });

  it("the receipt: 'Не проверять' after a wrong check also leaves only the final message", async () => {
    const user = newUser();
    await driveInterview(bot.api, user, { texts: ["Рассказ без проверки"] });
    await user.press("Записал(а), удалить");
    await user.nextBotMessage({ newOnly: true });
    await user.send(WRONG);
    expect((await user.nextBotMessage({ newOnly: true })).text).toBe(NOT_FOUND);
    await user.press("Не проверять");
    await bot.api.waitFor(() => user.chat().length === 1);
    await bot.idle();
    expect(visibleTexts(user)).toHaveLength(1);
    expect(visibleTexts(user)[0]).toContain("Спасибо. Ваш рассказ получен");
  });

  it("the right codename shows the status and 'no replies', and leaves no codename in the chat", async () => {
    const receipt = await submitted();
    const user = newUser();
    const answer = await open(user, receipt.codename);
    expect(answer.text).toContain("Статус: получен, ещё не прочитан.");
    expect(answer.text).toContain(`Рассказ получен ${(await rowOf(receipt)).createdOn}`);
    expect(answer.text).toContain("Ответов от редакции пока нет.");
    expect(user.chat().some((m) => m.text?.includes(receipt.codename))).toBe(false);
    expect(answer.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toEqual([
      "Дополнить рассказ",
      "Готово, удалить переписку",
    ]);
  });

  it("accepts the codename in another case, with extra spaces, with ё, and without /codename", async () => {
    let receipt = await submitted();
    for (let i = 0; i < 10 && !receipt.codename.includes("е"); i++) receipt = await submitted();
    expect(receipt.codename).toContain("е");
    const words = receipt.codename.split(" ");
    const variants = [
      receipt.codename.toUpperCase(),
      `  ${words.slice(0, 4).join("   ")}\n${words.slice(4).join("  ")}  `,
      receipt.codename.replace(/е/g, "ё"),
      words.map((w, i) => (i % 2 ? w.toUpperCase() : w)).join(", "),
    ];
    for (const typed of variants) {
      const answer = await open(newUser(), typed);
      expect(answer.text).toContain("Статус: получен, ещё не прочитан.");
    }
    // Typed straight into the chat, it is recognised too (and deleted).
    const user = newUser();
    const sent = await user.send(receipt.codename);
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain("Статус:");
    expect(user.chat().some((m) => m.message_id === sent.message_id)).toBe(false);
  });

  it("shows the editors' replies in order, and the status in plain words", async () => {
    const receipt = await submitted();
    const row = await rowOf(receipt);
    // As an editor replies (/reply, the desk, the editor tool): the editorial service.
    const { editorial } = bot.app.services;
    await editorial.reply(row.number, "Спасибо, мы прочитали. Вопрос: когда это было?", "test");
    await editorial.reply(row.number, "Второй ответ <b>не жирный</b> & точка", "test");
    await bot.app.repositories.submissions.setStatus(row.id, "in_review");

    const answer = await open(newUser(), receipt.codename);
    const text = answer.text ?? "";
    expect(text).toContain("Статус: редакция читает.");
    expect(text).not.toContain("Ответов от редакции пока нет");
    const first = text.indexOf("Спасибо, мы прочитали. Вопрос: когда это было?");
    const second = text.indexOf("Второй ответ <b>не жирный</b> & точка");
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(text.match(/Ответ редакции:/g)).toHaveLength(2);
  });

  it("shows long replies that do not fit into one Telegram message", async () => {
    const receipt = await submitted();
    const row = await rowOf(receipt);
    const long = ["А", "Б", "В"].map((letter) => `${letter}${"ж".repeat(2500)}${letter}`);
    for (const reply of long) await bot.app.services.editorial.reply(row.number, reply, "test");
    const user = newUser();
    await open(user, receipt.codename);
    await bot.api.waitFor(() => user.botMessages().some((m) => m.text?.includes("Вжж")));
    const shown = user
      .botMessages()
      .map((m) => m.text ?? "")
      .join("\n");
    for (const reply of long) expect(shown).toContain(reply);
    expect(bot.logs()).not.toContain("update failed");
    // The buttons come with the last message, and still work.
    await user.press("Готово, удалить переписку");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Готово, переписка удалена",
    );
  });

  it("adds a text and a photo to the testimony; editors decrypt them; 'Done' wipes the visit", async () => {
    const receipt = await submitted();
    const user = newUser();
    await user.send("привет");
    await user.nextBotMessage({ newOnly: true });
    const before = user.chat().map((m) => m.message_id);

    await open(user, receipt.codename);
    await user.press("Дополнить рассказ");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Пришлите, что хотите добавить",
    );
    await user.send("Дополнение: номер приказа я вспомнил позже");
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Добавлено и зашифровано",
    );
    const photo = randomBytes(50_000);
    await user.sendPhoto(photo);
    expect((await user.nextBotMessage({ newOnly: true })).text).toContain(
      "Добавлено и зашифровано",
    );

    await user.press("Готово, удалить переписку");
    const closed = await user.nextBotMessage({ newOnly: true });
    expect(closed.text).toContain("Готово, переписка удалена");
    await bot.idle();
    // What was there before the visit stays; the whole visit is gone.
    expect(user.chat().map((m) => m.message_id)).toEqual([...before, closed.message_id]);

    const row = await rowOf(receipt);
    const parts = await decryptSubmission(
      bot.app.repositories.parts,
      row.id,
      bot.editorKeys[1] as (typeof bot.editorKeys)[number],
    );
    const followUps = parts.filter((p) => p.questionId === "followup");
    expect(followUps.map((p) => p.kind)).toEqual(["followup", "attachment"]);
    expect(followUps[0]?.text).toBe("Дополнение: номер приказа я вспомнил позже");
    expect(JSON.parse(followUps[1]?.text ?? "{}")).toMatchObject({ kind: "photo" });
    expect(Buffer.from(followUps[1]?.file ?? []).equals(photo)).toBe(true);
    // The original answers are still there, before the follow-ups.
    expect(parts.map((p) => p.questionId)).toEqual(["consent", "story", "followup", "followup"]);

    // A button of the closed visit says the session is over.
    const query = await user.pressData(closed.message_id, "cn:add");
    expect(await callbackAnswer(bot, query)).toMatchObject({ text: EXPIRED, show_alert: true });
  });

  it("gives the same neutral answer to every wrong codename", async () => {
    await submitted();
    const user = newUser();
    const answers: string[] = [];
    answers.push((await open(user, WRONG)).text ?? "");
    const garbage = await user.send("мама мыла раму");
    answers.push((await user.nextBotMessage({ newOnly: true })).text ?? "");
    expect(answers).toEqual([NOT_FOUND, NOT_FOUND]);
    await bot.api.waitFor(() => !user.chat().some((m) => m.message_id === garbage.message_id));
    expect(user.chat().some((m) => m.text?.includes("абажур"))).toBe(false);
  });

  it("counts only wrong attempts, and after the limit refuses even the right codename", async () => {
    const receipt = await submitted();
    const regular = newUser();
    // Reading replies often is fine: the right codename does not use up attempts.
    for (let i = 0; i < 4; i++) {
      expect((await open(regular, receipt.codename)).text).toContain("Статус:");
    }

    const guesser = newUser();
    await guesser.command("codename");
    await guesser.nextBotMessage({ newOnly: true });
    for (let i = 0; i < 3; i++) {
      await guesser.send(`${WRONG.split(" ").slice(1).join(" ")} ${i === 0 ? "агава" : "вокзал"}`);
      expect((await guesser.nextBotMessage({ newOnly: true })).text).toBe(NOT_FOUND);
    }
    const right = await guesser.send(receipt.codename);
    expect((await guesser.nextBotMessage({ newOnly: true })).text).toBe(TOO_MANY);
    // Even refused, the codename does not stay in the chat.
    await bot.api.waitFor(() => !guesser.chat().some((m) => m.message_id === right.message_id));
    expect(guesser.chat().some((m) => m.text?.includes("Статус:"))).toBe(false);
  });

  it("after a restart, buttons of an open visit say that the session expired", async () => {
    const receipt = await submitted();
    const user = newUser();
    const view = await open(user, receipt.codename);
    const receiptUser = newUser();
    await driveInterview(bot.api, receiptUser, { texts: ["Ещё один рассказ"] });

    await bot.restart();

    const add = await user.pressData(view.message_id, "cn:add");
    expect(await callbackAnswer(bot, add)).toMatchObject({ text: EXPIRED, show_alert: true });
    const done = await user.pressData(view.message_id, "cn:done");
    expect(await callbackAnswer(bot, done)).toMatchObject({ text: EXPIRED, show_alert: true });
    // The codename of the receipt is gone from memory: "show again" says so plainly.
    const codenameMessage = receiptUser.chat().at(-1);
    const show = await receiptUser.pressData(codenameMessage?.message_id as number, "cn:show");
    expect((await callbackAnswer(bot, show)).text).toContain("Фраза уже не хранится");
    // And the codename itself still opens the testimony.
    expect((await open(user, receipt.codename)).text).toContain("Статус:");
  });
});
