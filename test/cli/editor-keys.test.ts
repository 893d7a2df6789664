// The editor tool as editors run it: a child process, passphrases on stdin (no terminal).
import { spawnSync } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unlockPrivateKey } from "../../src/services/crypto/decrypt.js";
import { formatFingerprint } from "../../src/services/crypto/editor-keys.js";
import {
  cleanupKeyFixtures,
  defined,
  GpgHome,
  makeOpenpgpKey,
  makeRevokedKey,
  makeTempDir,
  writeKeyFile,
} from "../helpers/keys.js";

const root = path.resolve(import.meta.dirname, "../..");
const PASSPHRASE = "eleven words later still secret";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function editor(args: string[], stdin = ""): Run {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(root, "src/cli/editor.ts"), ...args],
    { cwd: root, input: stdin, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/^\s+at /m); // no stack trace
}

afterAll(cleanupKeyFixtures);

describe("editor keygen", () => {
  let out: string;
  let first: Run;

  beforeAll(async () => {
    out = path.join(await makeTempDir("keygen-"), "my keys");
    first = editor(
      ["keygen", "--name", "Anna Editor", "--out", out],
      `${PASSPHRASE}\n${PASSPHRASE}\n`,
    );
  });

  it("writes a private key only its owner can read, and a public key", async () => {
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const privateInfo = await stat(path.join(out, "anna-editor.private.asc"));
    const publicInfo = await stat(path.join(out, "anna-editor.public.asc"));
    expect(privateInfo.mode & 0o777).toBe(0o600);
    expect(publicInfo.mode & 0o444).toBe(0o444);
    expect(await readFile(path.join(out, "anna-editor.private.asc"), "utf8")).toContain(
      "BEGIN PGP PRIVATE KEY BLOCK",
    );
    expect(await readFile(path.join(out, "anna-editor.public.asc"), "utf8")).toContain(
      "BEGIN PGP PUBLIC KEY BLOCK",
    );
  });

  it("prints the fingerprint and what to do with each file", () => {
    expect(first.stdout).toMatch(/Fingerprint: +([0-9A-F]{4} ){9}[0-9A-F]{4}\n/);
    expect(first.stdout).toContain("Keep the private key file and your passphrase on your own");
    expect(first.stdout).toContain("Give only the .public.asc file");
    expect(first.stdout).toContain("EDITOR_KEYS");
    expect(first.stdout).not.toContain(PASSPHRASE);
  });

  it("gpg imports the keys and decrypts with the passphrase", async () => {
    const fingerprint = /Fingerprint: +([0-9A-F ]+)\n/.exec(first.stdout)?.[1]?.replace(/ /g, "");
    expect(fingerprint).toMatch(/^[0-9A-F]{40}$/);
    const home = await GpgHome.create();
    home.importKey(await readFile(path.join(out, "anna-editor.public.asc"), "utf8"));
    const ciphertext = home.ok(
      ["--trust-model", "always", "--recipient", defined(fingerprint), "--encrypt"],
      "for Anna only",
    );
    home.importKey(await readFile(path.join(out, "anna-editor.private.asc"), "utf8"), PASSPHRASE);
    expect(home.decrypt(ciphertext, "wrong passphrase").status).not.toBe(0);
    const plain = home.decrypt(ciphertext, PASSPHRASE);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout.toString()).toBe("for Anna only");
  });

  it("refuses to overwrite existing key files", async () => {
    const before = await readFile(path.join(out, "anna-editor.private.asc"), "utf8");
    const again = editor(
      ["keygen", "--name", "Anna Editor", "--out", out],
      `${PASSPHRASE}\n${PASSPHRASE}\n`,
    );
    expect(again.status).toBe(1);
    expectOneLineError(again, /anna-editor\.private\.asc already exists; nothing was overwritten/);
    expect(await readFile(path.join(out, "anna-editor.private.asc"), "utf8")).toBe(before);
  });

  it("asks again when the second passphrase was mistyped, and uses the pair that matches", async () => {
    const dir = await makeTempDir("keygen-retry-");
    const retried = editor(
      ["keygen", "--name", "Retry", "--out", dir],
      `${PASSPHRASE}\n${PASSPHRASE}!\n${PASSPHRASE}\n${PASSPHRASE}\n`,
    );
    expect(retried.stderr).toContain("The two passphrases differ; type it twice again.");
    expect(retried.status).toBe(0);
    const armored = await readFile(path.join(dir, "retry.private.asc"), "utf8");
    await expect(unlockPrivateKey(armored, PASSPHRASE)).resolves.toBeDefined();
  });

  it("refuses mismatched and short passphrases, writing nothing", async () => {
    const dir = await makeTempDir("keygen-bad-");
    const mismatch = editor(
      ["keygen", "--name", "B", "--out", dir],
      `${PASSPHRASE}\n${PASSPHRASE}!\n`,
    );
    expect(mismatch.status).toBe(1);
    expectOneLineError(mismatch, /^error: the two passphrases differ; nothing was written\n$/);

    const short = editor(["keygen", "--name", "B", "--out", dir], "short pass\nshort pass\n");
    expect(short.status).toBe(1);
    expectOneLineError(short, /passphrase is too short \(10 characters, at least 12\)/);

    const once = editor(["keygen", "--name", "B", "--out", dir], `${PASSPHRASE}\n`);
    expect(once.status).toBe(1);
    expectOneLineError(once, /expected the passphrase twice/);

    await expect(stat(path.join(dir, "b.private.asc"))).rejects.toThrow();
  });

  it("never takes the passphrase as an option, and needs --name and --out", () => {
    const onCommandLine = editor(["keygen", "--name", "C", "--out", out, "--passphrase", "x"]);
    expect(onCommandLine.status).toBe(2);
    expectOneLineError(onCommandLine, /never taken on the command line/);
    expect(editor(["keygen", "--out", out]).status).toBe(2);
    expect(editor(["keygen", "--name", "C"]).status).toBe(2);
  });
});

describe("editor keys check", () => {
  let dir: string;
  let goodFile: string;
  let badFile: string;
  let fingerprint: string;

  beforeAll(async () => {
    dir = await makeTempDir("keys-check-");
    const good = await makeOpenpgpKey("Checked Editor");
    fingerprint = good.fingerprint;
    goodFile = await writeKeyFile(dir, "good.asc", good.armoredPublicKey);
    badFile = await writeKeyFile(
      dir,
      "revoked.asc",
      (await makeRevokedKey("Gone")).armoredPublicKey,
    );
  });

  it("a good key: OK with fingerprint, user id and expiry; exit 0", () => {
    const run = editor(["keys", "check", goodFile]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`OK   ${goodFile}`);
    expect(run.stdout).toContain(formatFingerprint(fingerprint));
    expect(run.stdout).toContain("Checked Editor <checked.editor@example.org>");
    expect(run.stdout).toMatch(/expires +never/);
  });

  it("a bad key among good ones: BAD with the reason; exit 1", () => {
    const run = editor(["keys", "check", goodFile, badFile, path.join(dir, "missing.asc")]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`OK   ${goodFile}`);
    expect(run.stdout).toContain(`BAD  ${badFile} is revoked`);
    expect(run.stdout).toContain(`BAD  ${path.join(dir, "missing.asc")} does not exist`);
    expect(run.stdout).toContain("3 checked: 1 OK, 2 bad.");
  });

  it("a folder is checked file by file", () => {
    const run = editor(["keys", "check", dir]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`OK   ${goodFile}`);
    expect(run.stdout).toContain(`BAD  ${badFile} is revoked`);
  });

  it("needs at least one path", () => {
    const run = editor(["keys", "check"]);
    expect(run.status).toBe(2);
    expectOneLineError(run, /keys check needs one or more key files or folders/);
  });
});

describe("editor usage", () => {
  it("--help prints the commands; exit 0", () => {
    const run = editor(["--help"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("keygen");
    expect(run.stdout).toContain("keys check");
  });

  it("an unknown command prints usage; exit 2", () => {
    const run = editor(["decrypt-everything"]);
    expect(run.status).toBe(2);
    expectOneLineError(run, /unknown command "decrypt-everything"/);
    expect(run.stderr).toContain("Usage: npm run editor");
  });

  it("no command prints usage; exit 2", () => {
    expect(editor([]).status).toBe(2);
  });
});
