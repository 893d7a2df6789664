// The guidance wizard (/guidance_set): one language's text, a preview exactly as readers see it,
// Publish. Guidance becomes a version only at "Publish", in one call.
import type { Context } from "grammy";
import { InlineKeyboard } from "grammy";
import type { AdminService } from "../../../services/guidance/admin.js";
import type { GuidanceService } from "../../../services/guidance/guidance.js";
import type { Locale } from "../../../services/locale.js";
import { sendContent } from "../../broadcast-delivery.js";
import type { Translate, Translator } from "../../conversations.js";
import {
  adminButtons,
  cancelKeyboard,
  cancelled,
  language,
  nextAnswer,
  type WizardArgs,
  type WizardConversation,
} from "./wizard-steps.js";

export function createGuidanceWizard(deps: {
  guidance: GuidanceService;
  admin: AdminService;
  translate: Translator;
}) {
  return async function guidanceWizard(
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
  };
}
