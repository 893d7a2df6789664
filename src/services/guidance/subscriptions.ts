// Subscriptions to guidance. Broadcast needs chat ids, so they are kept — sealed with the server
// key (AES-256-GCM), next to an HMAC that finds a chat again without unsealing (DESIGN §3.3).
// Never linked to drafts or submissions.
import type { SubscribersRepository } from "../../storage/subscribers.repo.js";
import { isLocale, type Locale } from "../locale.js";
import { hashTelegramId, type Sealer } from "../sources/sealing.js";

/** The sealing context and HMAC purpose of a subscriber's chat id. */
const PURPOSE = "subscriber";

export function createSubscriptionsService(deps: {
  repo: SubscribersRepository;
  sealer: Sealer;
  pepper: Uint8Array;
}) {
  const hash = (chatId: number) => hashTelegramId(deps.pepper, chatId, PURPOSE);

  return {
    /** Subscribes the chat (or updates its locale). True if it was not subscribed before. */
    async subscribe(chatId: number, locale: Locale): Promise<boolean> {
      return deps.repo.add({
        chatHash: hash(chatId),
        sealedChatId: deps.sealer.seal(Buffer.from(String(chatId), "utf8"), PURPOSE),
        locale,
      });
    },
    /** Deletes the row. True if the chat was subscribed. */
    async unsubscribe(chatId: number): Promise<boolean> {
      return deps.repo.removeByHash(hash(chatId));
    },
    /** The subscriber's locale, or undefined if the chat is not subscribed. */
    async localeOf(chatId: number): Promise<Locale | undefined> {
      const row = await deps.repo.findByHash(hash(chatId));
      if (!row) return undefined;
      return isLocale(row.locale) ? row.locale : undefined;
    },
    /** Keeps a subscriber's language in step with /language; no-op if not subscribed. */
    async updateLocale(chatId: number, locale: Locale): Promise<void> {
      await deps.repo.setLocale(hash(chatId), locale);
    },
    /** The chat id back from its sealed form (only the broadcast worker needs this). */
    chatIdOf(sealed: Uint8Array): number {
      return Number(Buffer.from(deps.sealer.unseal(sealed, PURPOSE)).toString("utf8"));
    },
    countByLocale(): Promise<Record<string, number>> {
      return deps.repo.countByLocale();
    },
  };
}

export type SubscriptionsService = ReturnType<typeof createSubscriptionsService>;
