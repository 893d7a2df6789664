import type { ConversationFlavor } from "@grammyjs/conversations";
import type { I18nFlavor } from "@grammyjs/i18n";
import type { Context } from "grammy";
import type { Logger } from "../logger.js";
import type { InterviewSessionFlavor } from "./session-data.js";

/**
 * `ctx.conversation` exists only below the conversations plugin, which the admin feature (an
 * admin's private chat) and the editors feature (the editors' chat) install for their wizards.
 */
export type BotContext = ConversationFlavor<
  Context &
    I18nFlavor &
    InterviewSessionFlavor & {
      /** Per-update logger: carries the update id and the feature, never content. */
      log: Logger;
    }
>;
