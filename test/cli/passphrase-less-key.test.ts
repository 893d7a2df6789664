// A private key kept without a passphrase (made with gpg, stored on an encrypted disk) is used as
// it is: `editor decrypt` asks for nothing, and the desk unlocks with an empty passphrase field.
// A protected key still asks.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDesk } from "../../src/desk/server.js";
import { privateKeyNeedsPassphrase, unlockPrivateKey } from "../../src/services/crypto/decrypt.js";
import { loadEditorKeys } from "../../src/services/crypto/editor-keys.js";
import { makeValidArchive } from "../helpers/archives.js";
import { hasChromium, launchChromium, NO_CHROMIUM, unlock } from "../helpers/desk.js";
import { cleanupKeyFixtures, GpgHome, makeOpenpgpKey, writeKeyFile } from "../helpers/keys.js";
import { runTsx } from "../helpers/run.js";

describe("a private key without a passphrase", () => {
  let dir: string;
  let gpg: GpgHome;
  let armoredPrivateKey: string;
  let archiveFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tb-nopass-"));
    gpg = await GpgHome.create(); // stopped (agent killed) and deleted in afterAll
    const fingerprint = gpg.generateKey("Editor Without Passphrase <nopass@example.org>");
    armoredPrivateKey = gpg
      .ok(["--passphrase", "", "--armor", "--export-secret-keys", fingerprint])
      .toString();
    const publicFile = await writeKeyFile(
      dir,
      "nopass.public.asc",
      gpg.exportPublicKey(fingerprint),
    );
    const keyring = await loadEditorKeys([publicFile]);
    archiveFile = join(dir, "submission-7.tar");
    writeFileSync(archiveFile, (await makeValidArchive(keyring, { story: "Без пароля" })).bytes);
  });
  afterAll(async () => {
    await cleanupKeyFixtures();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is recognised as such; a protected key is not", async () => {
    expect(await privateKeyNeedsPassphrase(armoredPrivateKey)).toBe(false);
    const protectedKey = await makeOpenpgpKey("Protected");
    expect(await privateKeyNeedsPassphrase(protectedKey.armoredPrivateKey)).toBe(true);
    await expect(unlockPrivateKey(protectedKey.armoredPrivateKey, "")).rejects.toThrow(
      "wrong passphrase",
    );
  });

  it("decrypts an archive with editor decrypt, reading nothing from stdin", () => {
    const keyFile = join(dir, "nopass.private.asc");
    writeFileSync(keyFile, armoredPrivateKey, { mode: 0o600 });
    const out = join(dir, "out");
    // No input at all: a tool that still asked would fail on the empty stdin.
    const run = runTsx(
      "src/cli/editor.ts",
      ["decrypt", archiveFile, "--key", keyFile, "--out", out],
      {
        input: "",
      },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(readFileSync(join(out, "submission-7/testimony.md"), "utf8")).toContain(
      "\nБез пароля\n",
    );
  });

  it("still asks for the passphrase of a protected key", async () => {
    const protectedKey = await makeOpenpgpKey("Protected");
    const keyFile = await writeKeyFile(
      dir,
      "protected.private.asc",
      protectedKey.armoredPrivateKey,
    );
    // An archive for that key: the passphrase is asked once the archive is known to be for it.
    const publicFile = await writeKeyFile(
      dir,
      "protected.public.asc",
      protectedKey.armoredPublicKey,
    );
    const forProtected = join(dir, "submission-8.tar");
    writeFileSync(
      forProtected,
      (await makeValidArchive(await loadEditorKeys([publicFile]), { story: "С паролем" })).bytes,
    );
    const run = runTsx(
      "src/cli/editor.ts",
      ["decrypt", forProtected, "--key", keyFile, "--out", join(dir, "out2")],
      { input: "" },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("expected the passphrase on the first line of stdin");
    expect(existsSync(join(dir, "out2"))).toBe(false);
  });

  it.skipIf(!hasChromium)(
    "unlocks the desk in Chromium with the passphrase left empty",
    async () => {
      const desk = await startDesk({ source: { archives: [archiveFile] } });
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(desk.url);
        await page.waitForSelector("#unlock-view:not([hidden])");
        await unlock(page, { dir, armoredKey: armoredPrivateKey, passphrase: "" });
        await page.waitForSelector("#inbox tbody tr");
        await page.click("#inbox tbody a");
        await page.waitForSelector("#testimony h1");
        expect(await page.textContent("#testimony")).toContain("Без пароля");
      } finally {
        await browser.close();
        await desk.close();
      }
    },
    60_000,
  );
});

if (!hasChromium) console.warn(NO_CHROMIUM);
