// The Telegram side of broadcasts: the `send` and `report` functions the worker in
// services/guidance/broadcast.ts is given, and the one way guidance text goes out (preview, /guidance and
// broadcast all use sendContent, so a preview is exactly what subscribers get).
//
// The worker's calls use an Api object of their own, without the auto-retry transformer that is
// installed on bot.api: `bot.api.raw` would still go through it (transformers sit on the client,
// raw included), and auto-retry would sleep through a 429 inside one call and retry 5xx itself.
// The worker paces, pauses the whole job on retry_after and backs off on its own.
import { Api, type RawApi } from "grammy";
import type { MessageEntity } from "grammy/types";
import type {
  BroadcastProgress,
  ProgressTarget,
  ReportProgress,
  SendMessage,
} from "../services/guidance/broadcast.js";
import type { MessageContent } from "../services/guidance/guidance.js";
import type { Locale } from "../services/locale.js";
import { createI18n } from "./i18n.js";

/** A request that takes longer is given up and retried; the worker's lease is longer than this. */
export const BROADCAST_REQUEST_TIMEOUT_SECONDS = 10;

type SendOptions = Omit<Parameters<RawApi["sendMessage"]>[0], "chat_id" | "text" | "entities">;

/** Sends a text with its formatting as entities (never a parse mode: what was written is sent). */
export function sendContent(
  api: Api,
  chatId: number,
  content: MessageContent,
  options: SendOptions = {},
) {
  const entities = content.entities.length > 0 ? (content.entities as MessageEntity[]) : undefined;
  return api.sendMessage(chatId, content.text, { ...options, entities });
}

type Translate = (key: string, vars?: Record<string, string | number>) => string;

/** The admin's progress text for a job. */
export function progressText(t: Translate, p: BroadcastProgress): string {
  const lines = [
    t("admin-progress-title", { id: p.id, status: p.status }),
    t("admin-progress-counts", {
      sent: p.sent,
      total: p.total,
      failed: p.failed,
      unsubscribed: p.unsubscribed,
      remaining: p.remaining,
    }),
  ];
  if (p.status === "running") {
    if (p.ratePerSecond !== undefined) {
      // A number, so Fluent writes it the locale's way (24,6 in Russian).
      lines.push(t("admin-progress-rate", { rate: Math.round(p.ratePerSecond * 10) / 10 }));
    }
    if (p.pausedUntil) {
      const seconds = Math.max(1, Math.ceil((p.pausedUntil.getTime() - Date.now()) / 1000));
      lines.push(t("admin-progress-paused", { seconds }));
    }
  }
  return lines.join("\n");
}

export function createBroadcastDelivery(options: {
  token: string;
  apiRoot: string;
  defaultLocale: Locale;
}): { api: Api; send: SendMessage; report: ReportProgress } {
  const api = new Api(options.token, {
    apiRoot: options.apiRoot,
    timeoutSeconds: BROADCAST_REQUEST_TIMEOUT_SECONDS,
  });
  const i18n = createI18n({ defaultLocale: options.defaultLocale });

  const send: SendMessage = async (chatId, message) => {
    await sendContent(api, chatId, message);
  };

  const report: ReportProgress = async (target: ProgressTarget, progress) => {
    const t: Translate = (key, vars) => i18n.t(target.locale, key, vars);
    await api
      .editMessageText(target.chatId, target.messageId, progressText(t, progress))
      .catch(() => {}); // "not modified", a deleted message: progress is a courtesy
  };

  return { api, send, report };
}
