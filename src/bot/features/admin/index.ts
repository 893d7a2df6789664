// Admin commands: /guidance_set, /broadcast, /broadcast_status, /broadcast_cancel, /stats, /admin.
// Only for ADMIN_IDS in a private chat; for anyone else every update passes on untouched, so they
// get exactly what an unknown command gets.
//
// The two wizards are conversations (@grammyjs/conversations) held in memory only: nothing of them
// is at rest. A restart, or another instance behind the same webhook, does not know a half-done
// wizard: its buttons answer "out of date" and the admin's text "no wizard in progress", which
// costs an admin one command. Guidance becomes a version and a broadcast becomes a job only at
// "Publish" / "Send", in one call each.
import { type Conversation, createConversation } from "@grammyjs/conversations";
import { Composer, type Context, InlineKeyboard } from "grammy";
import type { AdminService } from "../../../services/guidance/admin.js";
import {
  type BroadcastMessages,
  type BroadcastService,
  messageFor,
} from "../../../services/guidance/broadcast.js";
import {
  cleanEntities,
  type GuidanceService,
  type MessageContent,
} from "../../../services/guidance/guidance.js";
import { isLocale, LOCALES, type Locale } from "../../../services/locale.js";
import { progressText, sendContent } from "../../broadcast-delivery.js";
import { createCallbackData } from "../../callback-data/define.js";
import type { BotContext } from "../../context.js";
import { type Translate, type Translator, wizardConversations } from "../../conversations.js";

/** How long a wizard waits for the admin's next step. */
const WIZARD_MS = 30 * 60_000;

export const adminButtons = {
  guidanceLocale: createCallbackData("adm:gs", ["locale"]),
  publish: createCallbackData("adm:gp"),
  broadcastGuidance: createCallbackData("adm:bg"),
  broadcastText: createCallbackData("adm:bt"),
  skipLanguage: createCallbackData("adm:bs"),
  send: createCallbackData("adm:bc"),
  cancel: createCallbackData("adm:x"),
};
/** Buttons that start a wizard: pressed during another one, they start anew outside it. */
const STARTERS = [
  adminButtons.guidanceLocale,
  adminButtons.broadcastGuidance,
  adminButtons.broadcastText,
];

type WizardConversation = Conversation<BotContext, Context>;

/** Who runs a wizard and in which language its messages are. */
interface WizardArgs {
  chatId: number;
  adminId: number;
  uiLocale: Locale;
}

/** What a wizard step got: the admin's text, a button of the step, or Cancel. */
type StepAnswer =
  | { ctx: Context; text: MessageContent }
  | { ctx: Context; button: string }
  | { ctx: Context; cancelled: true };

export function createAdminFeature(deps: {
  adminIds: readonly number[];
  guidance: GuidanceService;
  broadcasts: BroadcastService;
  admin: AdminService;
  defaultLocale: Locale;
  translate: Translator;
}) {
  const feature = new Composer<BotContext>();
  const admins = new Set(deps.adminIds);
  const admin = feature.chatType("private").filter((ctx) => admins.has(ctx.from.id));

  const language = (t: Translate, locale: Locale) => t(`language-name-${locale}`);
  const cancelKeyboard = (t: Translate) =>
    new InlineKeyboard().text(t("admin-button-cancel"), adminButtons.cancel.pack({}));
  const localeOf = async (ctx: BotContext): Promise<Locale> => {
    const locale = await ctx.i18n.getLocale();
    return isLocale(locale) ? locale : deps.defaultLocale;
  };
  /** Takes the buttons off a wizard message once it has been answered. */
  const closeButtons = (ctx: Context) => ctx.editMessageReplyMarkup().catch(() => {});
  const stale = (ctx: BotContext) =>
    ctx.answerCallbackQuery({ text: ctx.t("admin-stale"), show_alert: true });
  const recipientsTotal = (recipients: Partial<Record<Locale, number>>) =>
    Object.values(recipients).reduce((a, b) => a + b, 0);

  /**
   * The admin's answer to the step whose message is `buttonsId`: a text (if `text`), one of
   * `buttons` pressed on that message, or Cancel. Commands and other features' buttons pass on
   * while the wizard keeps waiting; a button on an older message of the wizard is out of date.
   */
  async function nextAnswer(
    conversation: WizardConversation,
    t: Translate,
    step: { buttonsId: number; text?: boolean; buttons?: string[] },
  ): Promise<StepAnswer> {
    for (;;) {
      const ctx = await conversation.wait();
      const data = ctx.callbackQuery?.data;
      if (data !== undefined) {
        const starts = STARTERS.some((starter) => starter.filter.test(data));
        if (!data.startsWith("adm:") || starts) return await conversation.skip({ next: true });
        if (adminButtons.cancel.filter.test(data)) {
          await ctx.answerCallbackQuery();
          await closeButtons(ctx);
          return { ctx, cancelled: true };
        }
        const onStep = ctx.callbackQuery?.message?.message_id === step.buttonsId;
        if (!onStep || !step.buttons?.includes(data)) {
          await ctx.answerCallbackQuery({ text: t("admin-stale"), show_alert: true });
          continue;
        }
        await ctx.answerCallbackQuery();
        await closeButtons(ctx);
        return { ctx, button: data };
      }
      const message = ctx.message;
      if (!message || !step.text || message.text?.startsWith("/")) {
        return await conversation.skip({ next: true });
      }
      if (message.text === undefined) {
        await ctx.reply(t("admin-text-only"));
        continue;
      }
      // The prompt's buttons (Skip, Cancel) are answered by this message.
      await ctx.api.editMessageReplyMarkup(message.chat.id, step.buttonsId).catch(() => {});
      return { ctx, text: { text: message.text, entities: cleanEntities(message.entities) } };
    }
  }

  // --- the wizards -----------------------------------------------------------------------------

  /** Guidance for one language: its text, a preview exactly as readers see it, Publish. */
  async function guidanceWizard(
    conversation: WizardConversation,
    ctx: Context,
    args: WizardArgs & { locale: Locale },
  ) {
    const t: Translate = (key, vars) => deps.translate(args.uiLocale, key, vars);
    const target = language(t, args.locale);
    const prompt = await ctx.reply(t("admin-guidance-prompt", { language: target }), {
      reply_markup: cancelKeyboard(t),
    });
    const written = await nextAnswer(conversation, t, { buttonsId: prompt.message_id, text: true });
    if (!("text" in written)) return cancelled(written.ctx, t);
    const content = written.text;
    const current = await conversation.external(
      async () => (await deps.guidance.current(args.locale))?.version ?? 0,
    );
    await written.ctx.reply(
      t("admin-guidance-preview", { language: target, version: current + 1 }),
    );
    const preview = await sendContent(written.ctx.api, args.chatId, content, {
      reply_markup: new InlineKeyboard()
        .text(t("admin-button-publish"), adminButtons.publish.pack({}))
        .text(t("admin-button-cancel"), adminButtons.cancel.pack({})),
    });
    const confirmed = await nextAnswer(conversation, t, {
      buttonsId: preview.message_id,
      buttons: [adminButtons.publish.pack({})],
    });
    if (!("button" in confirmed)) return cancelled(confirmed.ctx, t);
    const published = await conversation.external(async () => {
      const version = await deps.guidance.publish(args.locale, content);
      await deps.admin.record(
        args.adminId,
        "guidance-publish",
        `locale=${version.locale} version=${version.version}`,
      );
      return { locale: version.locale, version: version.version };
    });
    await confirmed.ctx.reply(
      t("admin-guidance-published", {
        language: language(t, published.locale),
        version: published.version,
      }),
    );
  }

  /**
   * A broadcast: the texts per language (unless the current guidance is sent), a preview of what
   * each language's subscribers get and how many they are, Send.
   */
  async function broadcastWizard(
    conversation: WizardConversation,
    ctx: Context,
    args: WizardArgs & { guidance?: { messages: BroadcastMessages; source: string } },
  ) {
    const t: Translate = (key, vars) => deps.translate(args.uiLocale, key, vars);
    const messages: BroadcastMessages = { ...args.guidance?.messages };
    let last = ctx;
    if (!args.guidance) {
      for (const locale of LOCALES) {
        const prompt = await last.reply(
          t("admin-broadcast-text-prompt", { language: language(t, locale) }),
          {
            reply_markup: new InlineKeyboard()
              .text(t("admin-button-skip-language"), adminButtons.skipLanguage.pack({}))
              .text(t("admin-button-cancel"), adminButtons.cancel.pack({})),
          },
        );
        const answer = await nextAnswer(conversation, t, {
          buttonsId: prompt.message_id,
          text: true,
          buttons: [adminButtons.skipLanguage.pack({})],
        });
        last = answer.ctx;
        if ("cancelled" in answer) return cancelled(last, t);
        if ("text" in answer) messages[locale] = answer.text;
      }
      if (Object.keys(messages).length === 0) {
        await last.reply(t("admin-broadcast-no-text"));
        return;
      }
    }

    // Each language's subscribers: how many, and exactly the message they will get.
    const recipients = await conversation.external(() => deps.broadcasts.recipients());
    for (const locale of LOCALES) {
      const count = recipients[locale] ?? 0;
      const message = messageFor(messages, locale, deps.defaultLocale);
      if (!message) continue;
      const header = messages[locale]
        ? "admin-broadcast-preview"
        : "admin-broadcast-preview-fallback";
      await last.reply(t(header, { language: language(t, locale), count }));
      await sendContent(last.api, args.chatId, message);
    }
    const confirm = await last.reply(
      t("admin-broadcast-confirm", { total: recipientsTotal(recipients) }),
      {
        reply_markup: new InlineKeyboard()
          .text(t("admin-button-send"), adminButtons.send.pack({}))
          .text(t("admin-button-cancel"), adminButtons.cancel.pack({})),
      },
    );
    const answer = await nextAnswer(conversation, t, {
      buttonsId: confirm.message_id,
      buttons: [adminButtons.send.pack({})],
    });
    if (!("button" in answer)) return cancelled(answer.ctx, t);

    const busy = await conversation.external(async () => {
      const running = await deps.broadcasts.running();
      return running ? progressText(t, running) : undefined;
    });
    if (busy) {
      await answer.ctx.reply(`${t("admin-broadcast-busy")}\n\n${busy}`);
      return;
    }
    const total = recipientsTotal(await conversation.external(() => deps.broadcasts.recipients()));
    // The message the worker keeps up to date; it exists before the job so no edit is missed.
    const progress = await answer.ctx.reply(t("admin-broadcast-starting", { total }));
    const source = args.guidance?.source ?? "one-off";
    await conversation.external(async () => {
      const job = await deps.broadcasts.start(messages, {
        chatId: args.chatId,
        messageId: progress.message_id,
        locale: args.uiLocale,
      });
      await deps.admin.record(
        args.adminId,
        "broadcast-start",
        `broadcast=${job.id} recipients=${job.total} source=${source}`,
      );
    });
  }

  async function cancelled(ctx: Context, t: Translate) {
    await ctx.reply(t("admin-cancelled"));
  }

  admin.use(wizardConversations(WIZARD_MS));
  admin.use(
    createConversation(guidanceWizard, { id: "guidance", maxMillisecondsToWait: WIZARD_MS }),
  );
  admin.use(
    createConversation(broadcastWizard, { id: "broadcast", maxMillisecondsToWait: WIZARD_MS }),
  );

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
    await ctx.conversation.exitAll();
    const current = await deps.guidance.currentAll();
    const keyboard = new InlineKeyboard();
    for (const locale of LOCALES) {
      const version = current[locale]?.version;
      const label = `${ctx.t(`language-button-${locale}`)} · ${version ? `v${version}` : "—"}`;
      keyboard.text(label, adminButtons.guidanceLocale.pack({ locale })).row();
    }
    keyboard.text(ctx.t("admin-button-cancel"), adminButtons.cancel.pack({}));
    await ctx.reply(ctx.t("admin-guidance-choose"), { reply_markup: keyboard });
  });

  admin.callbackQuery(adminButtons.guidanceLocale.filter, async (ctx) => {
    const locale = adminButtons.guidanceLocale.unpack(ctx.callbackQuery.data)?.locale;
    if (!isLocale(locale)) return stale(ctx);
    await ctx.conversation.exitAll();
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    const args = { chatId: ctx.chat.id, adminId: ctx.from.id, uiLocale: await localeOf(ctx) };
    await ctx.conversation.enter("guidance", { ...args, locale });
  });

  // --- broadcast -----------------------------------------------------------------------------

  admin.command("broadcast", async (ctx) => {
    await ctx.conversation.exitAll();
    const running = await deps.broadcasts.running();
    if (running) {
      const status = progressText((key, vars) => ctx.t(key, vars), running);
      await ctx.reply(`${ctx.t("admin-broadcast-busy")}\n\n${status}`);
      return;
    }
    const total = recipientsTotal(await deps.broadcasts.recipients());
    const versions = versionList(await deps.guidance.currentAll());
    const keyboard = new InlineKeyboard();
    if (versions) {
      keyboard
        .text(ctx.t("admin-button-guidance", { versions }), adminButtons.broadcastGuidance.pack({}))
        .row();
    }
    keyboard.text(ctx.t("admin-button-one-off"), adminButtons.broadcastText.pack({})).row();
    keyboard.text(ctx.t("admin-button-cancel"), adminButtons.cancel.pack({}));
    await ctx.reply(ctx.t("admin-broadcast-choose", { total }), { reply_markup: keyboard });
  });

  admin.callbackQuery(adminButtons.broadcastGuidance.filter, async (ctx) => {
    const current = await deps.guidance.currentAll();
    const versions = versionList(current);
    if (!versions) return stale(ctx);
    await ctx.conversation.exitAll();
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    const messages: BroadcastMessages = {};
    for (const locale of LOCALES) {
      const version = current[locale];
      if (version) messages[locale] = { text: version.text, entities: version.entities };
    }
    const args = { chatId: ctx.chat.id, adminId: ctx.from.id, uiLocale: await localeOf(ctx) };
    await ctx.conversation.enter("broadcast", {
      ...args,
      guidance: { messages, source: `guidance ${versions}` },
    });
  });

  admin.callbackQuery(adminButtons.broadcastText.filter, async (ctx) => {
    await ctx.conversation.exitAll();
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    const args = { chatId: ctx.chat.id, adminId: ctx.from.id, uiLocale: await localeOf(ctx) };
    await ctx.conversation.enter("broadcast", args);
  });

  admin.command("broadcast_status", async (ctx) => {
    const latest = await deps.broadcasts.latest();
    await ctx.reply(
      latest
        ? progressText((key, vars) => ctx.t(key, vars), latest)
        : ctx.t("admin-broadcast-none"),
    );
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
    const text = progressText((key, vars) => ctx.t(key, vars), cancelled);
    const job = await deps.broadcasts.find(cancelled.id);
    const target = job && deps.broadcasts.progressTarget(job);
    if (target) {
      await ctx.api.editMessageText(target.chatId, target.messageId, text).catch(() => {});
    }
    await ctx.reply(text);
  });

  // --- buttons of a wizard this instance does not know (ended, expired, restarted) ------------

  admin.callbackQuery(adminButtons.cancel.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await closeButtons(ctx);
    await ctx.reply(ctx.t("admin-cancelled"));
  });

  admin.callbackQuery(
    [adminButtons.publish.filter, adminButtons.skipLanguage.filter, adminButtons.send.filter],
    stale,
  );

  return feature;
}

/**
 * Late in the chain (after the interview and codenames had their turn): an admin's plain text that
 * no wizard of this instance waits for. After a restart, or on another instance behind the same
 * webhook, this says so instead of the answer for an unknown message.
 */
export function createAdminFallbackFeature(deps: { adminIds: readonly number[] }) {
  const feature = new Composer<BotContext>();
  const admins = new Set(deps.adminIds);
  const admin = feature.chatType("private").filter((ctx) => admins.has(ctx.from.id));
  admin.on("message:text", async (ctx, next) => {
    if (ctx.message.text.startsWith("/")) return next();
    // A wizard waiting for a button (a preview's Publish or Send) is still in progress.
    if (Object.keys(ctx.conversation.active()).length > 0) return next();
    await ctx.reply(ctx.t("admin-no-wizard"));
  });
  return feature;
}

/** "ru:v3 en:v2" for the locales that have guidance; "" if none has. */
function versionList(current: Partial<Record<Locale, { version: number }>>): string {
  return LOCALES.flatMap((l) => (current[l] ? [`${l}:v${current[l].version}`] : [])).join(" ");
}
