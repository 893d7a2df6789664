// The desk's HTTP guard without a browser: every request needs the page's session header, the
// answers carry the security headers, and another Host (DNS rebinding), another site's form or a
// body that is not JSON is refused even with the session. The same desk in Chromium: desk.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Desk, startDesk } from "../../src/desk/server.js";
import { usingPostgres } from "../helpers/db.js";
import { deskFetch, launchSession } from "../helpers/desk.js";
import { startTestBot, type TestBot } from "../helpers/harness.js";

describe("the desk's HTTP guard", () => {
  let bot: TestBot;
  let dir: string;
  let desk: Desk;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tb-desk-guard-"));
    const dataDir = join(dir, "data");
    bot = await startTestBot({ dataDir });
    // PGlite is single-process: the desk opens the stopped bot's data directory.
    if (!usingPostgres) await bot.stop();
    desk = await startDesk({
      source: usingPostgres ? { databaseUrl: bot.storage.url as string } : { dataDir },
      keys: bot.keyring,
    });
  }, 120_000);

  afterAll(async () => {
    await desk?.close();
    if (usingPostgres) await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 403 to anything without the session header, and with it the security headers", async () => {
    const origin = new URL(desk.url).origin;
    const token = (await launchSession(desk.newLaunchUrl())) as string;
    for (const path of ["/api/state", "/api/submissions", "/t/", "/open/x"]) {
      expect((await fetch(new URL(path, origin))).status, path).toBe(403);
    }
    expect((await deskFetch(origin, "A".repeat(43), "/api/submissions")).status).toBe(403);

    const answer = await deskFetch(origin, token, "/api/state");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    expect(answer.headers.get("referrer-policy")).toBe("no-referrer");
    expect(answer.headers.get("cache-control")).toBe("no-store");
  });

  it("refuses another Host, another site's form and a body that is not JSON, even with the session", async () => {
    const origin = new URL(desk.url).origin;
    const token = (await launchSession(desk.newLaunchUrl())) as string;
    const raw = (headers: Record<string, string>, method = "GET") =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${origin}/api/lock`,
          { method, headers: { "X-Desk-Session": token, ...headers }, agent: false },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(method === "POST" ? "{}" : undefined);
      });
    expect(await raw({ Host: "evil.example" })).toBe(403);
    expect(
      await raw({ Origin: "http://evil.example", "Content-Type": "application/json" }, "POST"),
    ).toBe(403);
    expect(await raw({ "Content-Type": "text/plain" }, "POST")).toBe(403);
    expect(await raw({ "Content-Type": "application/json" }, "POST")).toBe(200);
  });

  it("a new launch ends the older session", async () => {
    const origin = new URL(desk.url).origin;
    const older = (await launchSession(desk.newLaunchUrl())) as string;
    expect((await deskFetch(origin, older, "/api/state")).status).toBe(200);
    const newer = (await launchSession(desk.newLaunchUrl())) as string;
    expect((await deskFetch(origin, newer, "/api/state")).status).toBe(200);
    expect((await deskFetch(origin, older, "/api/state")).status).toBe(403);
  });
});
