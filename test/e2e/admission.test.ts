// A crowd of new people, or a flood of strangers, while source keys cannot be derived: the
// derivation is held back here (no timing involved), so whatever answers arrive came without it.
import { afterEach, describe, expect, it } from "vitest";
import { deriveSourceKey } from "../../src/services/sources/keys.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";

/**
 * The real derivation, held until `open()` (except for ids in `free`); `started` lists the ids
 * in the order they ran.
 */
function heldDerivation(free: number[] = []) {
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const started: number[] = [];
  const derive: typeof deriveSourceKey = async (pepper, userId) => {
    started.push(userId);
    if (!free.includes(userId)) await gate;
    return deriveSourceKey(pepper, userId);
  };
  return { derive, open, started };
}

const BRIEFING = "Telegram знает ваш номер телефона";
const BUSY = "Сейчас боту пишет очень много людей. Ваше сообщение получено";
const UNHANDLED = "Я понимаю только кнопки и команды";
/** The newcomers' line here (64 by default): one running and this many waiting fill it. */
const LINE = 4;

describe("admission before the source-key derivation", () => {
  let bot: TestBot | undefined;
  let held: ReturnType<typeof heldDerivation>;
  const start = async (newcomersWaitingMax?: number, free?: number[]) => {
    held = heldDerivation(free);
    bot = await startTestBot({
      deriveSourceKey: held.derive,
      derivationConcurrency: 1,
      newcomersWaitingMax,
    });
    return bot;
  };
  afterEach(async () => {
    held.open();
    await bot?.stop();
    bot = undefined;
  });

  it("answers a codename typed when asked for with no derivation done", async () => {
    const { api } = await start();
    const user = api.user({ id: 8300, first_name: "Кодовая", language_code: "ru" });
    await user.command("codename");
    expect((await user.nextBotMessage()).text).toContain("Отправьте кодовую фразу");
    await user.send("ветер ложка окно мост свеча сосна");
    expect((await user.nextBotMessage()).text).toContain("По этой фразе ничего не найдено");
    // No derivation ran to the end: the one prefetched after /codename is still held.
    expect(held.started.length).toBeLessThanOrEqual(1);
  });

  it("answers a burst of new people at once, with no derivation done, and prefetches their keys", async () => {
    const { api, app } = await start();
    const users = Array.from({ length: 30 }, (_, i) =>
      api.user({ id: 8100 + i, first_name: `N${i}`, language_code: "ru" }),
    );
    await Promise.all(users.map((user) => user.command("start")));
    for (const user of users) expect((await user.nextBotMessage()).text).toContain(BRIEFING);

    const [first, second, third] = users as [
      (typeof users)[0],
      (typeof users)[0],
      (typeof users)[0],
    ];
    await first.command("help");
    expect((await first.nextBotMessage()).text).toContain("Что умеет бот");
    await second.command("privacy");
    expect((await second.nextBotMessage()).text).toContain("Чего бот не хранит");
    await third.command("language");
    await third.nextBotMessage();
    await third.press("English");
    expect((await third.nextBotMessage()).text).toBe("Done: the bot now speaks English.");

    // Every id seen has its derivation queued or running; none has finished.
    const { running, waiting } = app.services.derivations;
    expect(running + waiting.newcomer).toBe(users.length);
    expect(held.started).toHaveLength(1);

    // Once derivations run, Begin starts the interview as before.
    held.open();
    await first.press("Начать рассказ");
    expect((await first.nextBotMessage()).text).toContain("Прежде чем начать");
  });

  it("shows Begin's first question at once, and puts that source's derivation ahead of every newcomer's", async () => {
    const { api, app } = await start();
    const crowd = Array.from({ length: 20 }, (_, i) =>
      api.user({ id: 8200 + i, first_name: `N${i}`, language_code: "ru" }),
    );
    const source = api.user({ id: 8300, first_name: "S", language_code: "ru" });
    for (const user of crowd) {
      await user.command("start");
      await user.nextBotMessage();
    }
    await source.command("start");
    await source.nextBotMessage();
    await source.press("Начать рассказ");
    // Shown with no derivation done: the draft is stored once the key is there.
    expect((await source.nextBotMessage({ newOnly: true })).text).toContain("Прежде чем начать");
    await api.waitFor(() => app.services.derivations.waiting.source === 1, 5000, "promoted");
    expect(held.started).toHaveLength(1);

    await source.press("Да, начнём");
    held.open();
    expect((await source.nextBotMessage({ newOnly: true })).text).toMatch(/^2\/\d+\. /);
    expect((await app.services.interview.find(8300))?.position).toBe("role");
    // The first crowd member's derivation was already running; the source's came right after.
    expect(held.started.slice(0, 2)).toEqual([8200, 8300]);
  });

  it("takes back Begin's first question when its draft could not be stored, and shows it once when Begin is handled again", async () => {
    held = heldDerivation();
    bot = await startTestBot({
      deriveSourceKey: held.derive,
      derivationConcurrency: 1,
      retry: { updateRetry: { totalMs: 20_000, baseMs: 500, capMs: 500 } },
    });
    const { api, app } = bot;
    const interview = app.services.interview;
    const write = interview.write.bind(interview);
    let failOnce = true;
    interview.write = async (...args) => {
      if (failOnce) {
        failOnce = false;
        throw Object.assign(new Error("terminating connection"), { code: "57P01" });
      }
      return write(...args);
    };
    const source = api.user({ id: 8310, first_name: "S", language_code: "ru" });
    const consents: number[] = [];
    const stopWatching = api.watch((event) => {
      if (event.type === "message" && event.kind === "sent" && event.chatId === source.id) {
        if (event.message.text?.includes("Прежде чем начать"))
          consents.push(event.message.message_id);
      }
    });
    await source.command("start");
    await source.nextBotMessage();
    await source.press("Начать рассказ");
    await api.waitFor(() => consents.length === 1, 5000, "the first question");
    held.open();
    await api.waitFor(() => consents.length === 2, 20_000, "Begin handled again");
    await bot.idle(20_000);
    stopWatching();
    expect(bot.logs()).toContain("update failed; retrying");
    // The first one went when its draft failed; the one left is the one the draft stands at.
    const shown = source.botMessages().filter((m) => m.text?.includes("Прежде чем начать"));
    expect(shown.map((m) => m.message_id)).toEqual([consents[1]]);
    await source.press("Да, начнём");
    expect((await source.nextBotMessage({ newOnly: true })).text).toMatch(/^2\/\d+\. /);
  });

  it("tells a stranger once when the line is full, serves sources meanwhile, and answers every message later in order", async () => {
    const { api } = await start(LINE, [8600]);
    // A source in the middle of an interview: their key is in memory.
    const source = api.user({ id: 8600, first_name: "S", language_code: "ru" });
    await source.command("start");
    await source.nextBotMessage();
    await source.press("Начать рассказ");
    await source.nextBotMessage({ newOnly: true });

    const crowd = Array.from({ length: LINE + 1 }, (_, i) =>
      api.user({ id: 8400 + i, first_name: `N${i}`, language_code: "ru" }),
    );
    await Promise.all(crowd.map((user) => user.command("start")));
    for (const user of crowd) await user.nextBotMessage();

    const stranger = api.user({ id: 8500, first_name: "X", language_code: "ru" });
    await stranger.send("привет");
    expect((await stranger.nextBotMessage()).text).toContain(BUSY);
    await stranger.send("вы тут?");
    await stranger.sendSticker();
    // Nothing more until the line has room: no second "busy", no answer yet.
    await api.waitFor(() => api.pendingUpdates().length === 0, 5000, "updates taken");
    expect(stranger.botMessages()).toHaveLength(1);

    // Meanwhile the source goes on, the line full of newcomers notwithstanding.
    await source.press("Да, начнём");
    expect((await source.nextBotMessage({ newOnly: true })).text).toMatch(/^2\/\d+\. /);

    held.open();
    for (let i = 0; i < 3; i++) {
      expect((await stranger.nextBotMessage({ timeoutMs: 60_000 })).text).toContain(UNHANDLED);
    }
    await bot?.idle(60_000);
    const answers = stranger.botMessages().map((m) => m.text ?? "");
    expect(answers.filter((text) => text.includes(BUSY))).toHaveLength(1);
    expect(answers.filter((text) => text.includes(UNHANDLED))).toHaveLength(3);
  });

  it("tells a crowd refused at once at a steady pace, each before their answer", async () => {
    const { api } = await start(LINE);
    const line = Array.from({ length: LINE + 1 }, (_, i) =>
      api.user({ id: 8600 + i, first_name: `L${i}`, language_code: "ru" }),
    );
    await Promise.all(line.map((user) => user.command("start")));
    for (const user of line) await user.nextBotMessage();

    const crowd = Array.from({ length: 30 }, (_, i) =>
      api.user({ id: 8700 + i, first_name: `C${i}`, language_code: "ru" }),
    );
    const ids = new Set(crowd.map((user) => user.id));
    const noticeTimes: number[] = [];
    const stopWatching = api.watch((event) => {
      if (event.type === "message" && event.fromBot && ids.has(event.chatId)) {
        if (event.message.text?.includes(BUSY)) noticeTimes.push(performance.now());
      }
    });
    const sent = performance.now();
    await Promise.all(crowd.map((user) => user.send("привет")));
    await api.waitFor(() => noticeTimes.length === 30, 10_000, "every notice");
    stopWatching();
    // The first at once, the rest at 10 a second: ~2.9 s from the first to the last.
    expect((noticeTimes[0] ?? 0) - sent).toBeLessThan(1_000);
    expect((noticeTimes[29] ?? 0) - (noticeTimes[0] ?? 0)).toBeGreaterThan(2_500);

    held.open();
    for (const user of crowd) {
      const answer = await api.waitFor(
        () => user.botMessages().find((m) => m.text?.includes(UNHANDLED)),
        60_000,
        "answer",
      );
      const busy = user.botMessages().filter((m) => m.text?.includes(BUSY));
      expect(busy.length).toBeLessThanOrEqual(1);
      for (const notice of busy) expect(notice.message_id).toBeLessThan(answer.message_id);
    }
  });
});
