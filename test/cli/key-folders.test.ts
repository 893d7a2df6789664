// The folder `keygen` writes (anna.public.asc next to anna.private.asc) given as --keys or
// EDITOR_KEYS: the public keys are taken, the private one is named in a warning, and errors name
// the option the editor actually used. And keygen says "too short" before the second prompt.
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyError, loadEditorKeys } from "../../src/services/crypto/editor-keys.js";
import {
  cleanupKeyFixtures,
  makeOpenpgpKey,
  makeTempDir,
  type TestKey,
  writeKeyFile,
} from "../helpers/keys.js";
import { PROJECT_ROOT, runTsx } from "../helpers/run.js";

let anna: TestKey;
let folder: string;

beforeAll(async () => {
  anna = await makeOpenpgpKey("Anna");
  folder = await makeTempDir("keygen-folder-");
  await writeKeyFile(folder, "anna.public.asc", anna.armoredPublicKey);
  await writeKeyFile(folder, "anna.private.asc", anna.armoredPrivateKey);
});
afterAll(cleanupKeyFixtures);

describe("a key folder as keygen writes it", () => {
  it("takes the public key and warns about the private one beside it", async () => {
    const keyring = await loadEditorKeys([folder]);
    expect(keyring.fingerprints).toEqual([anna.fingerprint]);
    expect(keyring.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^EDITOR_KEYS: ${path.join(folder, "anna.private.asc")} looks like a private key`,
        ),
      ),
    ]);
  });

  it("prefers *.public.asc; without any, takes plain .asc files", async () => {
    const mixed = await makeTempDir("keys-mixed-");
    const other = await makeOpenpgpKey("Boris");
    await writeKeyFile(mixed, "anna.public.asc", anna.armoredPublicKey);
    await writeKeyFile(mixed, "notes.asc", "not a key at all");
    expect((await loadEditorKeys([mixed])).fingerprints).toEqual([anna.fingerprint]);

    const plain = await makeTempDir("keys-plain-");
    await writeKeyFile(plain, "boris.asc", other.armoredPublicKey);
    expect((await loadEditorKeys([plain])).fingerprints).toEqual([other.fingerprint]);
  });

  it("a folder with only a private key is refused, naming the option used", async () => {
    const onlyPrivate = await makeTempDir("keys-private-");
    await writeKeyFile(onlyPrivate, "anna.private.asc", anna.armoredPrivateKey);
    const error = await loadEditorKeys([onlyPrivate], { option: "--keys" }).catch((e) => e);
    expect(error).toBeInstanceOf(KeyError);
    expect(error.message).toMatch(/^--keys: .* is a folder with no public key files/);
    expect(error.message).toContain("only private keys: anna.private.asc");
    expect(error.message).not.toContain("EDITOR_KEYS");
  });

  it("the desk names --keys or EDITOR_KEYS in its errors, as the editor gave them", async () => {
    const env = { ...process.env, EDITOR_KEYS: "", DATABASE_URL: "", DATA_DIR: "" };
    const missing = path.join(folder, "nope.asc");
    const bad = runTsx(
      "src/cli/editor.ts",
      ["desk", "--data-dir", path.join(folder, "data"), "--keys", missing, "--no-open"],
      { env },
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(`error: --keys: ${missing} does not exist\n`);

    const viaEnv = runTsx(
      "src/cli/editor.ts",
      ["desk", "--data-dir", path.join(folder, "data"), "--no-open"],
      { env: { ...env, EDITOR_KEYS: missing } },
    );
    expect(viaEnv.stderr).toBe(`error: EDITOR_KEYS: ${missing} does not exist\n`);
  });

  it("`keys check` on the folder checks the public key and notes the private one", () => {
    const run = runTsx("src/cli/editor.ts", ["keys", "check", folder]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`OK   ${path.join(folder, "anna.public.asc")}`);
    expect(run.stdout).toMatch(/NOTE .*anna\.private\.asc looks like a private key/);
  });
});

describe("keygen on a terminal", () => {
  it("says the passphrase is too short before asking for it again", async () => {
    const out = path.join(await makeTempDir("keygen-tty-"), "keys");
    await mkdir(out);
    // `script` gives the tool a terminal, as an editor's shell does.
    const command = `node --import tsx src/cli/editor.ts keygen --name Tty --out ${out}`;
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: PROJECT_ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const waitFor = async (pattern: RegExp) => {
      const deadline = Date.now() + 30_000;
      while (!pattern.test(output)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await waitFor(/Passphrase for your private key/);
    child.stdin.write("short\r");
    await waitFor(/try again/);
    expect(output).toContain("the passphrase is too short (5 characters, at least 12)");
    expect(output).not.toContain("The same passphrase again");
    child.stdin.write("eleven words later still secret\r");
    await waitFor(/The same passphrase again/);
    child.stdin.write("eleven words later still secret\r");
    await exited;
    expect(output).toContain("Your editor key is ready.");
  }, 60_000);

  it("without a terminal, one short line is 'too short', not 'expected twice'", () => {
    const run = runTsx("src/cli/editor.ts", ["keygen", "--name", "B", "--out", "/tmp/never"], {
      input: "short\n",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: the passphrase is too short \(5 characters/);
  });
});
