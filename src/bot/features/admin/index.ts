// Admin commands: /guidance_set, /broadcast, /broadcast_status, /broadcast_cancel, /stats, /admin.
// Only for ADMIN_IDS in a private chat; for anyone else every update passes on untouched, so they
// get exactly what an unknown command gets.
//
// The two wizards are conversations (@grammyjs/conversations) held in memory only: nothing of them
// is at rest. A restart, or another instance behind the same webhook, does not know a half-done
// wizard: its buttons answer "out of date" and the admin's text "no wizard in progress", which
// costs an admin one command. Guidance becomes a version and a broadcast becomes a job only at
// "Publish" / "Send", in one call each.
import { createConversation } from "@grammyjs/conversations";
import { Composer, InlineKeyboard } from "grammy";
import type { AdminService } from "../../../services/guidance/admin.js";
import type { BroadcastMessages, BroadcastService } from "../../../services/guidance/broadcast.js";
import type { GuidanceService } from "../../../services/guidance/guidance.js";
import { isLocale, LOCALES, type Locale } from "../../../services/locale.js";
import { progressText } from "../../broadcast-delivery.js";
import type { BotContext } from "../../context.js";
import { type Translator, wizardConversations } from "../../conversations.js";
import { createBroadcastWizard } from "./broadcast-wizard.js";
import { createGuidanceWizard } from "./guidance-wizard.js";
import { adminButtons, closeButtons, recipientsTotal, WIZARD_MS } from "./wizard-steps.js";

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

  const localeOf = async (ctx: BotContext): Promise<Locale> => {
    const locale = await ctx.i18n.getLocale();
    return isLocale(locale) ? locale : deps.defaultLocale;
  };
  const stale = (ctx: BotContext) =>
    ctx.answerCallbackQuery({ text: ctx.t("admin-stale"), show_alert: true });

  admin.use(wizardConversations(WIZARD_MS));
  admin.use(
    createConversation(createGuidanceWizard(deps), {
      id: "guidance",
      maxMillisecondsToWait: WIZARD_MS,
    }),
  );
  admin.use(
    createConversation(createBroadcastWizard(deps), {
      id: "broadcast",
      maxMillisecondsToWait: WIZARD_MS,
    }),
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
