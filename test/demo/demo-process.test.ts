// `npm run demo` as a person runs it: it prints one address on 127.0.0.1, stops cleanly on Ctrl+C
// (SIGINT to its process group, as a terminal sends it) and on SIGTERM, deletes its temporary
// folder, and refuses to start with a real-looking BOT_TOKEN in the environment.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type DemoProcess, demoEnv, killDemos, spawnDemo } from "../helpers/demo-process.js";
import { PROJECT_ROOT } from "../helpers/run.js";

const REAL_LOOKING_TOKEN = "7312345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
const tempRoots: string[] = [];

afterAll(() => {
  killDemos();
  for (const dir of tempRoots) rmSync(dir, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "tb-demo-root-"));
  tempRoots.push(root);
  return root;
}

/** Waits for "The bot is ready." and returns the address and folder the demo printed. */
async function ready(demo: DemoProcess) {
  await demo.waitFor(/The bot is ready\./, 50_000);
  return { url: demo.url() ?? "", dir: demo.dir() ?? "" };
}

const demoFolders = (root: string) =>
  readdirSync(root).filter((name) => name.startsWith("testimony-demo-"));

describe("npm run demo as a process", () => {
  it("prints one address on 127.0.0.1 and stops cleanly on Ctrl+C, deleting its folder", async () => {
    const demo = spawnDemo();
    const { url, dir } = await ready(demo);
    expect(demo.output().match(/https?:\/\/\S+/g)).toEqual([url]);
    expect(existsSync(join(dir, "keys", "demo-editor.private.asc"))).toBe(true);
    expect((await fetch(url)).status).toBe(200);

    // A terminal's Ctrl+C signals the whole foreground process group: npm, sh, tsx and node.
    const stoppedAt = Date.now();
    demo.signalGroup("SIGINT");
    await demo.exit;
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(demo.output()).toContain("Stopped; the temporary folder was deleted.");
    expect(existsSync(dir)).toBe(false);
    await expect(fetch(url)).rejects.toThrow();
  });

  it("exits 0 on SIGINT and on SIGTERM to the program, and leaves nothing in its temp root", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const root = tempRoot();
      const demo = spawnDemo({ via: "node", env: demoEnv({ TMPDIR: root }) });
      const { dir } = await ready(demo);
      expect(dir.startsWith(root)).toBe(true);
      const stoppedAt = Date.now();
      demo.child.kill(signal);
      expect(await demo.exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - stoppedAt).toBeLessThan(5000);
      expect(existsSync(dir)).toBe(false);
      // tsx may keep a compile cache of its own in TMPDIR; the demo leaves nothing.
      expect(demoFolders(root)).toEqual([]);
    }
  }, 120_000); // two demos, one after the other: each start takes up to 50 s on a busy machine

  it("refuses a real-looking BOT_TOKEN, before making anything", () => {
    const root = tempRoot();
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", join(PROJECT_ROOT, "src/demo/main.ts")],
      {
        cwd: PROJECT_ROOT,
        env: { ...demoEnv({ TMPDIR: root }), BOT_TOKEN: REAL_LOOKING_TOKEN },
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("BOT_TOKEN");
    expect(result.stderr).toContain("env -u BOT_TOKEN npm run demo");
    // The token itself is never echoed.
    expect(`${result.stdout}${result.stderr}`).not.toContain(REAL_LOOKING_TOKEN);
    expect(demoFolders(root)).toEqual([]);
  });
});
