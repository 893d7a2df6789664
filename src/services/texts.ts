// The same Fluent texts the bot uses, for code outside the bot: the editors' tool renders
// questions and options in the editor's language.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";
import type { Locale } from "./preferences.js";

const LOCALES_DIR = fileURLToPath(new URL("../../locales", import.meta.url));
const bundles = new Map<Locale, FluentBundle>();

function bundleFor(locale: Locale): FluentBundle {
  let bundle = bundles.get(locale);
  if (!bundle) {
    bundle = new FluentBundle(locale, { useIsolating: false });
    bundle.addResource(new FluentResource(readFileSync(`${LOCALES_DIR}/${locale}.ftl`, "utf8")));
    bundles.set(locale, bundle);
  }
  return bundle;
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
