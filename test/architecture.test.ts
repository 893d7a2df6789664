// The shape of the code (DESIGN §4), checked on the source: which top-level folder may import
// which (config.ts, logger.ts and faults.ts from anywhere), that nothing the bot runs reaches the editors' archive code, that no bot feature imports
// another, and that no two files import each other (type-only imports count: a reader meets them).
// test/layering.test.ts checks which folders may import which packages.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./helpers/run.js";

const SRC = join(PROJECT_ROOT, "src");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "public" ? [] : filesUnder(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const files = filesUnder(SRC).map((path) => relative(SRC, path).split(sep).join("/"));
const known = new Set(files);

/** Every file under src/ that `file` imports (static, re-export, type-only, dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), "utf8");
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms),
    ...text.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1] as string);
  return specifiers
    .filter((s) => s.startsWith("."))
    .map((s) =>
      normalize(join(dirname(file), s))
        .split(sep)
        .join("/")
        .replace(/\.js$/, ".ts"),
    )
    .filter((target) => known.has(target));
}

const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** The top-level room of a file: a folder under src/, or the file itself at the top. */
const room = (file: string) => (file.includes("/") ? (file.split("/")[0] as string) : file);

// Who may import whom, by room (config.ts and logger.ts from anywhere). DESIGN §4: bot → services
// → storage; the editors' computer (cli, desk, web) and the demo are clients of services; the
// composition root and the entry points wire it together.
const EVERYWHERE = ["config.ts", "logger.ts", "faults.ts"];
const MAY_IMPORT: Record<string, string[]> = {
  "config.ts": [],
  "logger.ts": [],
  "faults.ts": [],
  storage: [],
  services: ["storage"],
  bot: ["services"],
  "wiring.ts": ["services", "storage"],
  "app.ts": ["bot", "services", "storage", "wiring.ts"],
  "service.ts": ["app.ts", "bot", "services", "storage", "wiring.ts"],
  "main.ts": ["service.ts", "bot", "services", "storage", "parent-watch.ts"],
  "parent-watch.ts": [],
  web: [],
  desk: ["services", "storage", "web", "wiring.ts"],
  cli: ["services", "storage", "wiring.ts", "desk", "parent-watch.ts"],
  "telegram-emulator": [],
  demo: ["service.ts", "services", "telegram-emulator", "web", "parent-watch.ts"],
};

function reachableFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...(graph.get(file) ?? []));
  }
  return seen;
}

/** Groups of files that import each other, directly or around a loop (Tarjan). */
function cycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
      }
    }
    if (low.get(file) === index.get(file)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        group.push(member);
      } while (member !== file);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

describe("architecture (DESIGN §4)", () => {
  it("sees the imports it checks (the scan itself works)", () => {
    expect(graph.get("main.ts")).toContain("service.ts");
    expect([...graph.values()].flat().some((f) => f.startsWith("services/archive/"))).toBe(true);
  });

  it("every room imports only the rooms below it", () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = room(file);
      const allowed = MAY_IMPORT[from];
      if (!allowed) {
        wrong.push(`${file}: the room ${from} has no row in MAY_IMPORT`);
        continue;
      }
      for (const target of targets) {
        const to = room(target);
        if (to === from || EVERYWHERE.includes(to) || allowed.includes(to)) continue;
        wrong.push(`${file} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("nothing `npm start` runs reaches services/archive/ (the editors' computer only)", () => {
    const reached = [...reachableFrom("main.ts")].filter((f) => f.startsWith("services/archive/"));
    expect(reached).toEqual([]);
    expect(reachableFrom("main.ts").has("bot/index.ts")).toBe(true);
  });

  it("no bot feature imports another feature", () => {
    const feature = (file: string) => file.match(/^bot\/features\/([^/.]+)/)?.[1];
    const wrong = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((t) => feature(file) && feature(t) && feature(t) !== feature(file))
        .map((t) => `${file} → ${t}`),
    );
    expect(wrong).toEqual([]);
  });

  it("no two files import each other, directly or around a loop", () => {
    expect(cycles().map((group) => group.join(" ↔ "))).toEqual([]);
  });
});
