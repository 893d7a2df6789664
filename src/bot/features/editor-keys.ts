// The editors' key set in the editors' chat: /keys lists it, and the alarm posted at start when it
// changed carries a button per added key; one editor's press confirms it (services/crypto/key-set.ts).
import { Composer, InlineKeyboard } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import { formatFingerprint } from "../../services/crypto/editor-keys.js";
import type { KeyListEntry, KeySetChange, KeySetService } from "../../services/crypto/key-set.js";
import { createCallbackData } from "../callback-data/define.js";
import type { BotContext } from "../context.js";

const confirmKey = createCallbackData("ek", ["fingerprint"]);

type T = (key: string, args?: Record<string, string | number>) => string;

const names = (userIds: readonly string[]) => userIds.join(", ") || "—";

/** The alarm: what was added and removed, with the keys' names, and a button per waiting key. */
export function keyChangeMessage(
  change: KeySetChange,
  t: T,
): { text: string; replyMarkup?: InlineKeyboardMarkup } {
  const describe = (k: { fingerprint: string; userIds: readonly string[] }) =>
    `${formatFingerprint(k.fingerprint)} · ${names(k.userIds)}`;
  const lines = [t("editors-keys-changed")];
  if (change.added.length > 0)
    lines.push("", t("editors-keys-added"), ...change.added.map(describe));
  if (change.removed.length > 0) {
    lines.push("", t("editors-keys-removed"), ...change.removed.map(describe));
  }
  if (change.pending.length === 0) return { text: lines.join("\n") };
  // Keys added at an earlier start and still unconfirmed are listed again here.
  const added = new Set(change.added.map((k) => k.fingerprint));
  const earlier = change.pending.filter((k) => !added.has(k.fingerprint));
  if (earlier.length > 0) lines.push("", t("editors-keys-still-waiting"), ...earlier.map(describe));
  lines.push("", t("editors-keys-pending"));
  const keyboard = InlineKeyboard.from(
    change.pending.map((key) => [
      InlineKeyboard.text(
        t("editors-keys-confirm-button", { key: formatFingerprint(key.fingerprint).slice(-9) }),
        confirmKey.pack({ fingerprint: key.fingerprint }),
      ),
    ]),
  );
  return { text: lines.join("\n"), replyMarkup: keyboard };
}

function keyList(entries: KeyListEntry[], t: T): string {
  const lines = [t("editors-keys", { count: entries.length })];
  for (const entry of entries) {
    lines.push(
      "",
      formatFingerprint(entry.fingerprint),
      names(entry.userIds),
      t(entry.confirmed ? "editors-keys-in-use" : "editors-keys-waiting"),
    );
  }
  return lines.join("\n");
}

export function createEditorKeysFeature(deps: {
  editorsChatId: number | undefined;
  keySet: KeySetService;
  actorHash: (userId: number) => string;
}) {
  const feature = new Composer<BotContext>();
  const { editorsChatId } = deps;
  if (editorsChatId === undefined) return feature;
  const editors = feature.filter(
    (ctx) => ctx.chat?.id === editorsChatId && ctx.chat.type !== "private",
  );

  editors.command("keys", (ctx) => ctx.reply(keyList(deps.keySet.list(), (k, a) => ctx.t(k, a))));

  editors.callbackQuery(confirmKey.filter, async (ctx) => {
    const fingerprint = confirmKey.unpack(ctx.callbackQuery.data)?.fingerprint ?? "";
    const result = await deps.keySet.confirm(fingerprint, deps.actorHash(ctx.from.id));
    const shown = { fingerprint: formatFingerprint(fingerprint) };
    if (result === "confirmed") {
      await ctx.answerCallbackQuery();
      await ctx.reply(ctx.t("editors-key-confirmed", shown));
    } else {
      await ctx.answerCallbackQuery({
        text: ctx.t(result === "already" ? "editors-key-already" : "editors-key-unknown", shown),
      });
    }
  });

  return feature;
}
