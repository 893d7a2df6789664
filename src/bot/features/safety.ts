// First in line for private chats: a codename typed in never stays in the chat, flood control,
// the storage limit, locations and contacts (never stored), and /forget, the panic exit that
// deletes everything without a confirmation dialog.
import { Composer } from "grammy";
import type { SubscriptionsService } from "../../services/guidance/subscriptions.js";
import type { InterviewService } from "../../services/interview/draft-store.js";
import type { SourceLimit } from "../../services/sources/limits.js";
import type { PreferencesService } from "../../services/sources/preferences.js";
import { looksLikeCodename } from "../../services/submissions/codename.js";
import type { QuotaService } from "../../services/submissions/quotas.js";
import type { BotContext } from "../context.js";
import { fileOf } from "../files.js";
import { wipeRange } from "../wipe.js";

/** How far back /forget deletes when there is no draft telling where the conversation began. */
const FORGET_RANGE = 500;

export function createSafetyFeature(deps: {
  interview: InterviewService;
  preferences: PreferencesService;
  /** Messages a minute; beyond it nothing is processed. */
  flood: SourceLimit;
  /** One "slow down" a minute. */
  floodWarning: SourceLimit;
  /** /forget also ends a subscription: a later broadcast would show up in this chat. */
  subscriptions?: SubscriptionsService;
  /** Files are refused while storage is at its limit. */
  quotas?: Pick<QuotaService, "storageFull">;
  /** Whether this user (by hash) was asked for a codename: what they type then must go. */
  expectsCodename?: (userHash: string) => boolean;
}) {
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType("private");

  privateChat.use(async (ctx, next) => {
    const key = deps.interview.memoryKey(ctx.from.id);
    // Deleted before anything else looks at it, so a flood pause cannot leave it in the chat.
    const text = ctx.message?.text;
    if (
      text !== undefined &&
      !text.startsWith("/") &&
      (deps.expectsCodename?.(key) || looksLikeCodename(text))
    ) {
      await ctx.deleteMessage().catch(() => {});
    }
    // The panic exit works at any moment, a flood pause included.
    if (text !== undefined && /^\/forget(@\w+)?(\s|$)/.test(text)) return next();
    if (await deps.flood.take(ctx.from.id)) return next();
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery({ text: ctx.t("safety-slow-down"), show_alert: true });
      return;
    }
    // One warning a minute; the message itself is not processed, and the warning says so.
    if (!(await deps.floodWarning.take(ctx.from.id))) return;
    await ctx.reply(ctx.t("safety-slow-down"));
  });

  privateChat.on("message", async (ctx, next) => {
    const file = fileOf(ctx.message);
    if (!file || !deps.quotas) return next();
    if (!(await deps.quotas.storageFull(file.meta.size ?? 0))) return next();
    await ctx.reply(ctx.t("safety-storage-full"));
  });

  privateChat.on(["message:location", "message:venue", "message:contact"], async (ctx) => {
    await ctx.deleteMessage().catch(() => {});
    await ctx.reply(ctx.t("safety-location-contact"));
  });

  privateChat.command("forget", async (ctx) => {
    const session = await ctx.draftSession.load();
    const last = ctx.message.message_id;
    const first = session?.chat.firstMessageId ?? last - FORGET_RANGE;
    // The draft goes first: the wipe below may take a while.
    if (session) await ctx.draftSession.end("discarded");
    else await deps.interview.discard(ctx.from.id);
    await deps.preferences.forget(ctx.from.id);
    await deps.subscriptions?.unsubscribe(ctx.chat.id);
    await wipeRange(ctx.api, ctx.chat.id, Math.min(first, last - FORGET_RANGE), last);
    await ctx.reply(ctx.t("safety-forgotten"));
  });

  return feature;
}
