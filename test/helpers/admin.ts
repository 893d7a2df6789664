// Drives the admin wizards (/guidance_set, /broadcast) through the fake Bot API, as an admin
// with an English Telegram client would.
import type { Message, MessageEntity } from "grammy/types";
import type { FakeBotApi, FakeUser } from "./fake-bot-api.js";

export const LANGUAGE_LABEL = { ru: "Русский", en: "English" } as const;

export function adminUser(api: FakeBotApi, id = 900_001): FakeUser {
  return api.user({ id, first_name: "Admin", language_code: "en" });
}

/** The next newly sent bot message (edits of earlier ones, e.g. removed buttons, are skipped). */
export function nextNew(user: FakeUser, timeoutMs = 5000): Promise<Message> {
  return user.nextBotMessage({ newOnly: true, timeoutMs });
}

/** /guidance_set → language → text → Publish. Returns the version the bot says it published. */
export async function publishGuidance(
  admin: FakeUser,
  locale: keyof typeof LANGUAGE_LABEL,
  text: string,
  entities: MessageEntity[] = [],
): Promise<{ preview: Message; version: number }> {
  await admin.command("guidance_set");
  await nextNew(admin);
  await admin.press(new RegExp(`^${LANGUAGE_LABEL[locale]}`));
  await nextNew(admin); // "Send the guidance for …"
  await admin.send(text, { entities });
  await nextNew(admin); // "This is how readers … will see it"
  const preview = await nextNew(admin);
  await admin.press("Publish");
  const published = await nextNew(admin);
  const version = Number(/version (\d+)/.exec(published.text ?? "")?.[1]);
  if (!version) throw new Error(`unexpected answer to Publish: ${published.text}`);
  return { preview, version };
}

export type BroadcastChoice =
  | { guidance: true }
  | { texts: Partial<Record<keyof typeof LANGUAGE_LABEL, string>> };

/**
 * /broadcast → source → (texts) → preview → Send. Returns the previews (header and message per
 * language) and the progress message the worker keeps editing.
 */
export async function startBroadcast(
  admin: FakeUser,
  choice: BroadcastChoice,
): Promise<{ previews: Message[]; confirm: Message; progress: Message }> {
  await admin.command("broadcast");
  await nextNew(admin);
  if ("guidance" in choice) {
    await admin.press(/^Current guidance/);
  } else {
    await admin.press("One-off text");
    for (const locale of ["ru", "en"] as const) {
      await nextNew(admin); // "Send the text for subscribers in …"
      const text = choice.texts[locale];
      if (text === undefined) await admin.press("Skip this language");
      else await admin.send(text);
    }
  }
  const previews: Message[] = [];
  for (;;) {
    const message = await nextNew(admin);
    if (message.text?.startsWith("Recipients in all")) {
      await admin.press("Send");
      const progress = await nextNew(admin);
      return { previews, confirm: message, progress };
    }
    previews.push(message);
  }
}
