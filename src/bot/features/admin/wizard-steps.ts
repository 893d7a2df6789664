// What both admin wizards share: their buttons, one step's answer (a text, a button or Cancel),
// and the small courtesies around it. Held in memory only, like the wizards themselves.
import type { Conversation } from "@grammyjs/conversations";
import { type Context, InlineKeyboard } from "grammy";
import { cleanEntities, type MessageContent } from "../../../services/guidance/guidance.js";
import type { Locale } from "../../../services/locale.js";
import { createCallbackData } from "../../callback-data/define.js";
import type { BotContext } from "../../context.js";
import type { Translate } from "../../conversations.js";

/** How long a wizard waits for the admin's next step. */
export const WIZARD_MS = 30 * 60_000;

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

export type WizardConversation = Conversation<BotContext, Context>;

/** Who runs a wizard and in which language its messages are. */
export interface WizardArgs {
  chatId: number;
  adminId: number;
  uiLocale: Locale;
}

/** What a wizard step got: the admin's text, a button of the step, or Cancel. */
export type StepAnswer =
  | { ctx: Context; text: MessageContent }
  | { ctx: Context; button: string }
  | { ctx: Context; cancelled: true };

export const language = (t: Translate, locale: Locale) => t(`language-name-${locale}`);
export const cancelKeyboard = (t: Translate) =>
  new InlineKeyboard().text(t("admin-button-cancel"), adminButtons.cancel.pack({}));
/** Takes the buttons off a wizard message once it has been answered. */
export const closeButtons = (ctx: Context) => ctx.editMessageReplyMarkup().catch(() => {});
export const recipientsTotal = (recipients: Partial<Record<Locale, number>>) =>
  Object.values(recipients).reduce((a, b) => a + b, 0);

/**
 * The admin's answer to the step whose message is `buttonsId`: a text (if `text`), one of
 * `buttons` pressed on that message, or Cancel. Commands and other features' buttons pass on
 * while the wizard keeps waiting; a button on an older message of the wizard is out of date.
 */
export async function nextAnswer(
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

export async function cancelled(ctx: Context, t: Translate) {
  await ctx.reply(t("admin-cancelled"));
}
