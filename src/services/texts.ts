// The same Fluent texts the bot uses, for code outside the bot: the editors' tool renders
// questions and options in the editor's language.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";
import type { Locale } from "./locale.js";

const LOCALES_DIR = fileURLToPath(new URL("../../locales", import.meta.url));
const bundles = new Map<Locale, { bundle: FluentBundle; ids: string[] }>();

function loaded(locale: Locale) {
  let entry = bundles.get(locale);
  if (!entry) {
    const bundle = new FluentBundle(locale, { useIsolating: false });
    const resource = new FluentResource(readFileSync(`${LOCALES_DIR}/${locale}.ftl`, "utf8"));
    bundle.addResource(resource);
    entry = { bundle, ids: resource.body.map((message) => message.id) };
    bundles.set(locale, entry);
  }
  return entry;
}

function bundleFor(locale: Locale): FluentBundle {
  return loaded(locale).bundle;
}

/** Translates `key`; an unknown key comes back as itself, so a newer questionnaire still renders. */
export function translate(
  locale: Locale,
  key: string,
  args?: Record<string, FluentVariable>,
): string {
  const bundle = bundleFor(locale);
  const message = bundle.getMessage(key);
  if (!message?.value) return key;
  return bundle.formatPattern(message.value, args);
}

/**
 * Every message whose id starts with one of `prefixes`, for a page that formats them itself:
 * variables stay in the text as `{$name}` (so messages for it use no selectors).
 */
export function messagesWithPrefix(
  locale: Locale,
  prefixes: readonly string[],
): Record<string, string> {
  const { bundle, ids } = loaded(locale);
  const out: Record<string, string> = {};
  for (const id of ids) {
    if (!prefixes.some((prefix) => id.startsWith(prefix))) continue;
    const message = bundle.getMessage(id);
    // Errors are the "unknown variable" ones: the variable is kept as {$name}, as wanted.
    if (message?.value) out[id] = bundle.formatPattern(message.value, {}, []);
  }
  return out;
}
