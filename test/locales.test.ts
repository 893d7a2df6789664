// Every locale has the same messages, every message the code asks for exists, and every
// message parses.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { FluentBundle, FluentResource } from "@fluent/bundle";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./helpers/run.js";

const LOCALES = ["ru", "en"];
const source = (locale: string) =>
  readFileSync(join(PROJECT_ROOT, "locales", `${locale}.ftl`), "utf8");
const idsOf = (text: string) =>
  [...text.matchAll(/^([a-zA-Z][\w-]*)\s*=/gm)].map((m) => m[1] as string).sort();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("locales", () => {
  it("the demo's tour names every kind of stored part (no raw demo-kind-… key)", () => {
    const kinds = new Set<string>();
    // The part writes an interview makes (the runner's `{ op: "add", …, kind: "…" }`).
    for (const file of filesUnder(join(PROJECT_ROOT, "src/services/interview"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/op: "add",[^}]*?kind: "(\w+)"/g)) {
        kinds.add(m[1] as string);
      }
    }
    expect([...kinds].sort()).toEqual(["answer", "attachment"]);
    for (const locale of LOCALES) {
      for (const kind of kinds) expect(idsOf(source(locale))).toContain(`demo-kind-${kind}`);
    }
  });

  it("ru and en have exactly the same message ids, each once", () => {
    const [ru, en] = LOCALES.map((l) => idsOf(source(l)));
    expect(en).toEqual(ru);
    expect(new Set(ru).size).toBe(ru?.length);
  });

  it("every file parses without Fluent errors", () => {
    for (const locale of LOCALES) {
      const resource = new FluentResource(source(locale));
      const bundle = new FluentBundle(locale);
      expect(bundle.addResource(resource)).toEqual([]);
      // A syntax error turns a message into a "junk" entry that never gets an id.
      expect(resource.body.length).toBe(idsOf(source(locale)).length);
    }
  });

  it("every message id written literally in the code exists", () => {
    const ids = new Set(idsOf(source("ru")));
    const used = new Set<string>();
    for (const file of filesUnder(join(PROJECT_ROOT, "src"))) {
      const code = readFileSync(file, "utf8");
      for (const match of code.matchAll(
        /\b(?:t|translate|editorsT)\(\s*(?:[\w.]+,\s*)?"([a-z][\w-]+)"/g,
      )) {
        used.add(match[1] as string);
      }
    }
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((id) => !ids.has(id))).toEqual([]);
  });
});
