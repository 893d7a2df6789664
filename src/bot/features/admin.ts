// Admin commands: /guidance_set, /broadcast, /broadcast_status, /broadcast_cancel, /stats, /admin.
// Only for ADMIN_IDS in a private chat; for anyone else every update passes on untouched, so they
// get exactly what an unknown command gets.
//
// The two wizards are a small in-memory state machine, not @grammyjs/conversations: its storage
// holds raw updates and would have to be sealed and expired, and every database call replayed
// through conversation.external. Here the state is one short-lived object per admin (a locale,
// the texts being prepared); nothing of it is at rest. A restart forgets a half-done wizard and its
// buttons then answer "start again", which costs an admin one command. Guidance becomes a version
// and a broadcast becomes a job only at "Publish" / "Send", in one call each.
import { Composer, InlineKeyboard } from "grammy";
import type { AdminService } from "../../services/admin.js";
import {
  type BroadcastMessages,
  type BroadcastService,
  type BroadcastSummary,
  messageFor,
} from "../../services/broadcast.js";
import {
  cleanEntities,
  type GuidanceService,
  type MessageContent,
} from "../../services/guidance.js";
import { ExpiringMap } from "../../services/limits.js";
import { isLocale, LOCALES, type Locale } from "../../services/preferences.js";
import { progressText, sendContent } from "../broadcast-delivery.js";
import type { BotContext } from "../context.js";

type Wizard =
  | { step: "guidance-text"; locale: Locale; promptId: number }
  | { step: "guidance-preview"; locale: Locale; content: MessageContent; buttonsId: number }
  | { step: "broadcast-text"; messages: BroadcastMessages; ask: Locale[]; promptId?: number }
  | { step: "broadcast-confirm"; messages: BroadcastMessages; source: string; buttonsId: number };

const WIZARD_MS = 30 * 60_000;

export function createAdminFeature(deps: {
  adminIds: readonly number[];
  guidance: GuidanceService;
  broadcasts: BroadcastService;
  admin: AdminService;
  defaultLocale: Locale;
}) {
  const feature = new Composer<BotContext>();
  const admins = new Set(deps.adminIds);
  const admin = feature.chatType("private").filter((ctx) => admins.has(ctx.from.id));
  const wizards = new ExpiringMap<Wizard>(WIZARD_MS);
  const keyOf = (ctx: BotContext) => String(ctx.from?.id);

  const language = (ctx: BotContext, locale: Locale) => ctx.t(`language-button-${locale}`);
  const cancelButton = (ctx: BotContext) =>
    new InlineKeyboard().text(ctx.t("admin-button-cancel"), "adm:x");
  const localeOf = async (ctx: BotContext): Promise<Locale> => {
    const locale = await ctx.i18n.getLocale();
    return isLocale(locale) ? locale : deps.defaultLocale;
  };
  /** Takes the buttons off a wizard message once it has been answered. */
  const closeButtons = (ctx: BotContext) => ctx.editMessageReplyMarkup().catch(() => {});
  const stale = (ctx: BotContext) =>
    ctx.answerCallbackQuery({ text: ctx.t("admin-stale"), show_alert: true });

  /**
   * The last step of a wizard ("Publish", "Send"): the wizard if it is at that step and the
   * button is on its current message — then it ends here; otherwise the button is stale.
   */
  async function answer<S extends "guidance-preview" | "broadcast-confirm">(
    ctx: BotContext,
    step: S,
  ): Promise<Extract<Wizard, { step: S }> | undefined> {
    const wizard = wizards.get(keyOf(ctx));
    const buttonsId = ctx.callbackQuery?.message?.message_id;
    if (wizard?.step !== step || (wizard as { buttonsId?: number }).buttonsId !== buttonsId) {
      await stale(ctx);
      return undefined;
    }
    wizards.delete(keyOf(ctx));
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    return wizard as Extract<Wizard, { step: S }>;
  }

  const statusText = (ctx: BotContext, b: BroadcastSummary) =>
    progressText((key, vars) => ctx.t(key, vars), b);

  // --- help and stats ------------------------------------------------------------------------

  admin.command("admin", (ctx) => ctx.reply(ctx.t("admin-help")));

  admin.command("stats", async (ctx) => {
    const stats = await deps.admin.stats();
    const list = (counts: Record<string, number>) =>
      Object.entries(counts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, n]) => `${key}: ${n}`)
        .join(", ") || "0";
    await ctx.reply(
      ctx.t("admin-stats", {
        submissions: list(stats.submissions),
        drafts: stats.drafts,
        subscribers: list(stats.subscribers),
        broadcasts: list(stats.broadcasts),
      }),
    );
  });

  // --- guidance ------------------------------------------------------------------------------

  admin.command("guidance_set", async (ctx) => {
    wizards.delete(keyOf(ctx));
    const current = await deps.guidance.currentAll();
    const keyboard = new InlineKeyboard();
    for (const locale of LOCALES) {
      const version = current[locale]?.version;
      const label = `${language(ctx, locale)} · ${version ? `v${version}` : "—"}`;
      keyboard.text(label, `adm:gs:${locale}`).row();
    }
    keyboard.text(ctx.t("admin-button-cancel"), "adm:x");
    await ctx.reply(ctx.t("admin-guidance-choose"), { reply_markup: keyboard });
  });

  admin.callbackQuery(/^adm:gs:(\w+)$/, async (ctx) => {
    const locale = ctx.match[1];
    if (!isLocale(locale)) return stale(ctx);
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    const prompt = await ctx.reply(
      ctx.t("admin-guidance-prompt", { language: language(ctx, locale) }),
      { reply_markup: cancelButton(ctx) },
    );
    wizards.set(keyOf(ctx), { step: "guidance-text", locale, promptId: prompt.message_id });
  });

  admin.callbackQuery("adm:gp", async (ctx) => {
    const wizard = await answer(ctx, "guidance-preview");
    if (!wizard) return;
    const published = await deps.guidance.publish(wizard.locale, wizard.content);
    await deps.admin.record(
      ctx.from.id,
      "guidance-publish",
      `locale=${published.locale} version=${published.version}`,
    );
    await ctx.reply(
      ctx.t("admin-guidance-published", {
        language: language(ctx, published.locale),
        version: published.version,
      }),
    );
  });

  // --- broadcast -----------------------------------------------------------------------------

  admin.command("broadcast", async (ctx) => {
    wizards.delete(keyOf(ctx));
    const running = await deps.broadcasts.running();
    if (running) {
      await ctx.reply(`${ctx.t("admin-broadcast-busy")}\n\n${statusText(ctx, running)}`);
      return;
    }
    const recipients = await deps.broadcasts.recipients();
    const total = Object.values(recipients).reduce((a, b) => a + b, 0);
    const current = await deps.guidance.currentAll();
    const versions = versionList(current);
    const keyboard = new InlineKeyboard();
    if (versions) keyboard.text(ctx.t("admin-button-guidance", { versions }), "adm:bg").row();
    keyboard.text(ctx.t("admin-button-one-off"), "adm:bt").row();
    keyboard.text(ctx.t("admin-button-cancel"), "adm:x");
    await ctx.reply(ctx.t("admin-broadcast-choose", { total }), { reply_markup: keyboard });
  });

  admin.callbackQuery("adm:bg", async (ctx) => {
    const current = await deps.guidance.currentAll();
    const versions = versionList(current);
    if (!versions) return stale(ctx);
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    const messages: BroadcastMessages = {};
    for (const locale of LOCALES) {
      const version = current[locale];
      if (version) messages[locale] = { text: version.text, entities: version.entities };
    }
    await preview(ctx, messages, `guidance ${versions}`);
  });

  admin.callbackQuery("adm:bt", async (ctx) => {
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    const wizard: Wizard = { step: "broadcast-text", messages: {}, ask: [...LOCALES] };
    wizards.set(keyOf(ctx), wizard);
    await askBroadcastText(ctx, wizard);
  });

  admin.callbackQuery("adm:bs", async (ctx) => {
    const wizard = wizards.get(keyOf(ctx));
    if (wizard?.step !== "broadcast-text") return stale(ctx);
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    wizard.ask.shift();
    await continueBroadcastText(ctx, wizard);
  });

  admin.callbackQuery("adm:bc", async (ctx) => {
    const wizard = await answer(ctx, "broadcast-confirm");
    if (!wizard) return;
    const running = await deps.broadcasts.running();
    if (running) {
      await ctx.reply(`${ctx.t("admin-broadcast-busy")}\n\n${statusText(ctx, running)}`);
      return;
    }
    const recipients = await deps.broadcasts.recipients();
    const total = Object.values(recipients).reduce((a, b) => a + b, 0);
    // The message the worker keeps up to date; it exists before the job so no edit is missed.
    const progress = await ctx.reply(ctx.t("admin-broadcast-starting", { total }));
    const job = await deps.broadcasts.start(wizard.messages, {
      chatId: ctx.chat.id,
      messageId: progress.message_id,
      locale: await localeOf(ctx),
    });
    await deps.admin.record(
      ctx.from.id,
      "broadcast-start",
      `broadcast=${job.id} recipients=${job.total} source=${wizard.source}`,
    );
  });

  admin.command("broadcast_status", async (ctx) => {
    const latest = await deps.broadcasts.latest();
    await ctx.reply(latest ? statusText(ctx, latest) : ctx.t("admin-broadcast-none"));
  });

  admin.command("broadcast_cancel", async (ctx) => {
    const cancelled = await deps.broadcasts.cancel();
    if (!cancelled) {
      await ctx.reply(ctx.t("admin-broadcast-nothing-running"));
      return;
    }
    await deps.admin.record(
      ctx.from.id,
      "broadcast-cancel",
      `broadcast=${cancelled.id} total=${cancelled.total} sent=${cancelled.sent} failed=${cancelled.failed} unsubscribed=${cancelled.unsubscribed}`,
    );
    const text = statusText(ctx, cancelled);
    const job = await deps.broadcasts.find(cancelled.id);
    const target = job && deps.broadcasts.progressTarget(job);
    if (target) {
      await ctx.api.editMessageText(target.chatId, target.messageId, text).catch(() => {});
    }
    await ctx.reply(text);
  });

  // --- shared by both wizards ----------------------------------------------------------------

  admin.callbackQuery("adm:x", async (ctx) => {
    wizards.delete(keyOf(ctx));
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    await ctx.reply(ctx.t("admin-cancelled"));
  });

  // The admin's next message is the text a wizard waits for; commands pass on to their handlers.
  admin.on("message", async (ctx, next) => {
    const wizard = wizards.get(keyOf(ctx));
    if (wizard?.step !== "guidance-text" && wizard?.step !== "broadcast-text") return next();
    if (ctx.message.text?.startsWith("/")) return next();
    if (ctx.message.text === undefined) {
      await ctx.reply(ctx.t("admin-text-only"));
      return;
    }
    const content = {
      text: ctx.message.text,
      entities: cleanEntities(ctx.message.entities),
    };
    // The prompt's buttons (Skip, Cancel) are answered by this message.
    if (wizard.promptId !== undefined) {
      await ctx.api.editMessageReplyMarkup(ctx.chat.id, wizard.promptId).catch(() => {});
    }
    if (wizard.step === "guidance-text") {
      const current = await deps.guidance.current(wizard.locale);
      const version = (current?.version ?? 0) + 1;
      await ctx.reply(
        ctx.t("admin-guidance-preview", { language: language(ctx, wizard.locale), version }),
      );
      const preview = await sendContent(ctx.api, ctx.chat.id, content, {
        reply_markup: new InlineKeyboard()
          .text(ctx.t("admin-button-publish"), "adm:gp")
          .text(ctx.t("admin-button-cancel"), "adm:x"),
      });
      wizards.set(keyOf(ctx), {
        step: "guidance-preview",
        locale: wizard.locale,
        content,
        buttonsId: preview.message_id,
      });
      return;
    }
    const locale = wizard.ask.shift();
    if (locale) wizard.messages[locale] = content;
    await continueBroadcastText(ctx, wizard);
  });

  async function askBroadcastText(ctx: BotContext, wizard: Wizard & { step: "broadcast-text" }) {
    const locale = wizard.ask[0] as Locale;
    const keyboard = new InlineKeyboard()
      .text(ctx.t("admin-button-skip-language"), "adm:bs")
      .text(ctx.t("admin-button-cancel"), "adm:x");
    const prompt = await ctx.reply(
      ctx.t("admin-broadcast-text-prompt", { language: language(ctx, locale) }),
      { reply_markup: keyboard },
    );
    wizard.promptId = prompt.message_id;
    wizards.set(keyOf(ctx), wizard);
  }

  async function continueBroadcastText(
    ctx: BotContext,
    wizard: Wizard & { step: "broadcast-text" },
  ) {
    if (wizard.ask.length > 0) return askBroadcastText(ctx, wizard);
    if (Object.keys(wizard.messages).length === 0) {
      wizards.delete(keyOf(ctx));
      await ctx.reply(ctx.t("admin-broadcast-no-text"));
      return;
    }
    await preview(ctx, wizard.messages, "one-off");
  }

  /** Each language's subscribers: how many, and exactly the message they will get. */
  async function preview(ctx: BotContext, messages: BroadcastMessages, source: string) {
    const chatId = ctx.chat?.id as number;
    const recipients = await deps.broadcasts.recipients();
    let total = 0;
    for (const locale of LOCALES) {
      const count = recipients[locale] ?? 0;
      total += count;
      const message = messageFor(messages, locale, deps.defaultLocale);
      if (!message) continue;
      const header = messages[locale]
        ? "admin-broadcast-preview"
        : "admin-broadcast-preview-fallback";
      await ctx.reply(ctx.t(header, { language: language(ctx, locale), count }));
      await sendContent(ctx.api, chatId, message);
    }
    const confirm = await ctx.reply(ctx.t("admin-broadcast-confirm", { total }), {
      reply_markup: new InlineKeyboard()
        .text(ctx.t("admin-button-send"), "adm:bc")
        .text(ctx.t("admin-button-cancel"), "adm:x"),
    });
    wizards.set(keyOf(ctx), {
      step: "broadcast-confirm",
      messages,
      source,
      buttonsId: confirm.message_id,
    });
  }

  return feature;
}

/** "ru:v3 en:v2" for the locales that have guidance; "" if none has. */
function versionList(current: Partial<Record<Locale, { version: number }>>): string {
  return LOCALES.flatMap((l) => (current[l] ? [`${l}:v${current[l].version}`] : [])).join(" ");
}
