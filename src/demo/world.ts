// The demo's simulated people and chats in the Telegram emulator: sources (one per browser tab,
// ?source=N), an editor in the editors' group (where the bot is an admin), and an admin.
import type { Locale } from "../services/locale.js";
import type { ChatActor, FakeBotApi, FakeUser } from "../telegram-emulator/index.js";

export const EDITORS_CHAT_ID = -1_009_000_000_001;
export const ADMIN_ID = 7_000_001;
export const EDITOR_ID = 7_000_002;
/** Source N (a browser tab with ?source=N) is this id + N. */
export const SOURCE_ID_BASE = 7_100_000;
export const MAX_SOURCES = 99;

/** The three chats a page shows. */
export type Pane = "source" | "editors" | "admin";
export const PANES: readonly Pane[] = ["source", "editors", "admin"];

export function setUpWorld(api: FakeBotApi, lang: Locale): void {
  const title = lang === "ru" ? "Редакция" : "Editors";
  api.group({ id: EDITORS_CHAT_ID, title, type: "supergroup", botIsAdmin: true });
  api.user({ id: ADMIN_ID, first_name: "Admin", language_code: lang });
  const editor = api.user({ id: EDITOR_ID, first_name: "Editor", language_code: lang });
  api.group({ id: EDITORS_CHAT_ID, title }).member(editor);
}

/** Source N, made on first use with the language the page had then. */
export function sourceUser(api: FakeBotApi, n: number, lang: Locale): FakeUser {
  const name = lang === "ru" ? `Источник ${n}` : `Source ${n}`;
  return api.user({ id: SOURCE_ID_BASE + n, first_name: name, language_code: lang });
}

/** The person who types in a pane; in the editors' group that is the editor. */
export function personOf(api: FakeBotApi, pane: Pane, source: number, lang: Locale): FakeUser {
  if (pane === "source") return sourceUser(api, source, lang);
  return api.user({ id: pane === "admin" ? ADMIN_ID : EDITOR_ID, first_name: "?" });
}

/** Who acts in a pane's chat: the person, in the group as a member. */
export function actorOf(api: FakeBotApi, pane: Pane, source: number, lang: Locale): ChatActor {
  const person = personOf(api, pane, source, lang);
  if (pane !== "editors") return person;
  return api.group({ id: EDITORS_CHAT_ID, title: "" }).member(person);
}

export function chatIds(source: number): Record<Pane, number> {
  return { source: SOURCE_ID_BASE + source, editors: EDITORS_CHAT_ID, admin: ADMIN_ID };
}
