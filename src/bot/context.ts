import type { I18nFlavor } from "@grammyjs/i18n";
import type { Context } from "grammy";
import type { Logger } from "../logger.js";
import type { DraftSessionFlavor } from "./draft-session.js";

export type BotContext = Context &
  I18nFlavor &
  DraftSessionFlavor & {
    /** Per-update logger: carries the update id and the feature, never content. */
    log: Logger;
  };
