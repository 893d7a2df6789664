// `npm run editor -- desk` as an editor starts it: the address it prints, the token, read only
// with archives, Ctrl-C closes it; and the mistakes it refuses before starting anything.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, runTsx, TSX } from "../helpers/run.js";

const dir = mkdtempSync(join(tmpdir(), "tb-desk-cli-"));
const env = { ...process.env, EDITOR_KEYS: "", DATABASE_URL: "", DATA_DIR: "" };

describe("npm run editor -- desk", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses archives together with a database, and a database without the editors' keys", () => {
    const both = runTsx(
      "src/cli/editor.ts",
      ["desk", "a.tar", "--data-dir", join(dir, "data"), "--no-open"],
      { env },
    );
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("either archive files or --database-url / --data-dir");
    const noKeys = runTsx("src/cli/editor.ts", ["desk", "--data-dir", join(dir, "data")], { env });
    expect(noKeys.status).toBe(2);
    expect(noKeys.stderr).toContain("needs the editors' public keys (--keys PATHS or EDITOR_KEYS)");
    const port = runTsx("src/cli/editor.ts", ["desk", "a.tar", "--port", "http"], { env });
    expect(port.status).toBe(2);
  });

  it("prints a tokenised 127.0.0.1 address, serves only with the token, and closes on Ctrl-C", async () => {
    const child = spawn(
      TSX,
      [join(PROJECT_ROOT, "src/cli/editor.ts"), "desk", join(dir, "nothing-here.tar"), "--no-open"],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const deadline = Date.now() + 30_000;
    while (!/Ctrl-C/.test(stdout) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const url = /http:\/\/127\.0\.0\.1:\d+\/t\/[\w-]{43}\//.exec(stdout)?.[0];
    expect(url, stdout + stderr).toBeDefined();
    expect(stdout).toContain("Read only");
    expect(stderr).toContain("nothing-here.tar: no such file");
    expect((await fetch(url as string)).status).toBe(200);
    expect((await fetch(new URL("/", url))).status).toBe(403);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stdout).toContain("The desk is closed");
    await expect(fetch(url as string)).rejects.toThrow();
  });
});
