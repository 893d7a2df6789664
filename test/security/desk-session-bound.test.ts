// Invariant 10: a review-desk session belongs to the page that opened it. Whatever the browser
// sends to 127.0.0.1 on its own (cookies go to every port of a host) reads and changes nothing;
// a launch code raced by another local user stops working for them once the editor launches
// again; and a launch code is worth nothing after a minute.
import { afterEach, describe, expect, it } from "vitest";
import { type Desk, startDesk } from "../../src/desk/server.js";
import { deskFetch, launchSession } from "../helpers/desk.js";
import { makeOpenpgpKey, type TestKey } from "../helpers/keys.js";

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

/** What another program may try with a credential: read the key state, list, decrypt, lock. */
async function attempts(url: string, credential: Record<string, string>) {
  const get = (path: string) => fetch(new URL(path, url), { headers: credential });
  const post = (path: string) =>
    fetch(new URL(path, url), {
      method: "POST",
      headers: { ...credential, "Content-Type": "application/json" },
      body: "{}",
    });
  return {
    state: (await get("/api/state")).status,
    inbox: (await get("/api/submissions")).status,
    testimony: (await get("/api/submissions/1")).status,
    lock: (await post("/api/lock")).status,
  };
}

const refusedEverywhere = { state: 403, inbox: 403, testimony: 403, lock: 403 };

async function unlockWith(url: string, session: string, key: TestKey) {
  const response = await deskFetch(url, session, "/api/unlock", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ key: key.armoredPrivateKey, passphrase: key.passphrase }),
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ unlocked: true });
}

describe("a desk session is bound to its page", () => {
  it("replayed cookies (another port's server receives them) read and change nothing", async () => {
    desk = await startDesk({ source: { archives: [] } });
    const key = await makeOpenpgpKey("Editor");
    // Every cookie the launch sets, as a server on another port of 127.0.0.1 would receive it.
    const launched = await fetch(desk.url, { redirect: "manual" });
    const cookies = launched.headers.getSetCookie().map((c) => c.split(";")[0]);
    const session = await launchSession(desk.url);
    expect(session).toBeDefined();
    await unlockWith(desk.url, session as string, key);

    const stolen = { cookie: cookies.join("; ") };
    expect(await attempts(desk.url, stolen)).toEqual(refusedEverywhere);
    // The editor's page still works.
    expect((await deskFetch(desk.url, session as string, "/api/submissions")).status).toBe(200);
  });

  it("a raced launch code: the editor launches again and the other session ends, key and all", async () => {
    desk = await startDesk({ source: { archives: [] } });
    const key = await makeOpenpgpKey("Editor");
    // Another local user read the code (a process list, a history file) and used it first.
    const raced = await launchSession(desk.url);
    expect(raced).toBeDefined();
    expect(await launchSession(desk.url)).toBeUndefined(); // the editor's browser is refused
    // The editor presses Enter for a new code, opens it and unlocks.
    const fresh = desk.newLaunchUrl();
    const mine = await launchSession(fresh);
    expect(mine).toBeDefined();
    await unlockWith(fresh, mine as string, key);

    expect(await attempts(desk.url, sessionHeaders(raced as string))).toEqual(refusedEverywhere);
    expect((await deskFetch(fresh, mine as string, "/api/submissions")).status).toBe(200);
  });

  it("a launch code expires after a minute", async () => {
    let clock = Date.now();
    desk = await startDesk({ source: { archives: [] }, now: () => clock });
    clock += 61_000;
    expect(await launchSession(desk.url)).toBeUndefined();
    const fresh = desk.newLaunchUrl();
    clock += 59_000;
    expect(await launchSession(fresh)).toBeDefined();
  });

  it("the launch code is not in the address's path or query (it never reaches a server log)", () => {
    return startDesk({ source: { archives: [] } }).then((started) => {
      desk = started;
      const url = new URL(started.url);
      expect(url.pathname).toBe("/");
      expect(url.search).toBe("");
      expect(url.hash).toMatch(/^#launch=[\w-]{43}$/);
    });
  });
});

function sessionHeaders(session: string): Record<string, string> {
  return { "X-Desk-Session": session };
}
