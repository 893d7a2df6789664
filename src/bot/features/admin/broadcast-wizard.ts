// The broadcast wizard (/broadcast): the texts per language (unless the current guidance is
// sent), a preview of what each language's subscribers get and how many they are, Send. A
// broadcast becomes a job only at "Send", in one call.
import type { Context } from "grammy";
import { InlineKeyboard } from "grammy";
import type { AdminService } from "../../../services/guidance/admin.js";
import {
  type BroadcastMessages,
  type BroadcastService,
  messageFor,
} from "../../../services/guidance/broadcast.js";
import { LOCALES, type Locale } from "../../../services/locale.js";
import { progressText, sendContent } from "../../broadcast-delivery.js";
import type { Translate, Translator } from "../../conversations.js";
import {
  adminButtons,
  cancelled,
  language,
  nextAnswer,
  recipientsTotal,
  type WizardArgs,
  type WizardConversation,
} from "./wizard-steps.js";

export function createBroadcastWizard(deps: {
  broadcasts: BroadcastService;
  admin: AdminService;
  defaultLocale: Locale;
  translate: Translator;
}) {
  return async function broadcastWizard(
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
  };
}
