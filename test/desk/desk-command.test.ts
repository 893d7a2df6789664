// `npm run editor -- desk` as an editor starts it: the one-time address it prints, read only
// with archives, Ctrl-C closes it; and the mistakes it refuses before starting anything.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeLaunchFile } from "../../src/cli/desk-launch.js";
import { deskFetch, launchSession } from "../helpers/desk.js";
import { PROJECT_ROOT, runTsx, TSX_LOADER } from "../helpers/run.js";

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

  it("prints a one-time 127.0.0.1 address, a new one on Enter, and closes on Ctrl-C", async () => {
    // Run by node itself, so Ctrl-C reaches the program, not a launcher relaying it.
    const child = spawn(
      process.execPath,
      [
        "--import",
        TSX_LOADER,
        join(PROJECT_ROOT, "src/cli/editor.ts"),
        "desk",
        join(dir, "nothing-here.tar"),
        "--no-open",
      ],
      { env, stdio: ["pipe", "pipe", "pipe"] },
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
    const addresses = () =>
      [...stdout.matchAll(/http:\/\/127\.0\.0\.1:\d+\/#launch=[\w-]{43}/g)].map((m) => m[0]);
    const waitFor = async (ready: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    };
    await waitFor(() => addresses().length === 1);
    const [url] = addresses();
    expect(url, stdout + stderr).toBeDefined();
    expect(stdout).toContain("Read only");
    expect(stderr).toContain("nothing-here.tar: no such file");

    const token = await launchSession(url as string);
    expect(token).toMatch(/^[\w-]{43}$/);
    expect((await deskFetch(url as string, token as string, "/api/state")).status).toBe(200);
    expect(await launchSession(url as string)).toBeUndefined(); // used once already
    expect((await fetch(new URL("/api/state", url))).status).toBe(403);

    child.stdin.write("\n");
    await waitFor(() => addresses().length === 2);
    const fresh = addresses()[1] as string;
    expect(fresh).not.toBe(url);
    expect(await launchSession(fresh)).toMatch(/^[\w-]{43}$/);
    // The new launch ended the first page's session.
    expect((await deskFetch(url as string, token as string, "/api/state")).status).toBe(403);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stdout).toContain("The desk is closed");
    await expect(fetch(url as string)).rejects.toThrow();
  });

  it("hands the browser a private file that goes on to the address, not the address itself", () => {
    const url = "http://127.0.0.1:4000/#launch=abc_DEF-123";
    const file = writeLaunchFile(url, 60_000);
    try {
      expect(file.path).not.toContain("abc_DEF-123");
      expect(statSync(file.path).mode & 0o777).toBe(0o600);
      expect(statSync(join(file.path, "..")).mode & 0o777).toBe(0o700);
      expect(readFileSync(file.path, "utf8")).toContain(`content="0;url=${url}"`);
    } finally {
      file.remove();
    }
    expect(existsSync(file.path)).toBe(false);
  });
});
