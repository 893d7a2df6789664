// Test fixtures: editor keys made at test time (openpgp.js and GnuPG) in temp dirs that
// cleanupKeyFixtures() removes. No key material is ever committed.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
// Tests import openpgp directly only to build keys the service must refuse (revoked, v6, ...).
import * as openpgp from "openpgp";
import { decryptWithPrivateKey } from "../../src/services/crypto/decrypt.js";
import { type EditorKeyring, loadEditorKeys } from "../../src/services/crypto/editor-keys.js";
import { encryptStreamForEditors } from "../../src/services/crypto/for-editors.js";
import { stopGpgAgent, trackGpgHome } from "./gpg-agents.js";

const tempDirs: string[] = [];
const gpgHomes: GpgHome[] = [];

export async function makeTempDir(prefix = "keys-"): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `testimony-${prefix}`));
  tempDirs.push(dir);
  return dir;
}

/** Stops every gpg-agent started by the fixtures and deletes all temp dirs. */
export async function cleanupKeyFixtures(): Promise<void> {
  for (const home of gpgHomes.splice(0)) home.stopAgent();
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** For fixtures that must exist (e.g. keys[0] under noUncheckedIndexedAccess). */
export function defined<T>(value: T | undefined, what = "fixture"): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

export async function writeKeyFile(
  dir: string,
  fileName: string,
  contents: string | Uint8Array,
): Promise<string> {
  const file = path.join(dir, fileName);
  await writeFile(file, contents);
  return file;
}

// ---------------------------------------------------------------------------------------------
// openpgp.js keys

export interface TestKey {
  name: string;
  armoredPublicKey: string;
  armoredPrivateKey: string;
  passphrase: string;
  fingerprint: string;
}

type KeyOptions = Omit<openpgp.KeyOptions, "userIDs" | "passphrase" | "format">;

/** A fast v4 ed25519/cv25519 key (unless options say otherwise). */
export async function makeOpenpgpKey(
  name: string,
  options: KeyOptions & { passphrase?: string } = {},
): Promise<TestKey> {
  const { passphrase = "correct horse battery staple", ...keyOptions } = options;
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "curve25519Legacy",
    ...keyOptions,
    userIDs: [{ name, email: `${name.toLowerCase().replace(/\W+/g, ".")}@example.org` }],
    passphrase,
    format: "object",
  });
  return {
    name,
    armoredPublicKey: publicKey.armor(),
    armoredPrivateKey: privateKey.armor(),
    passphrase,
    fingerprint: publicKey.getFingerprint().toUpperCase(),
  };
}

export async function makeRevokedKey(name: string): Promise<TestKey> {
  const { privateKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "curve25519Legacy",
    userIDs: [{ name }],
    format: "object",
  });
  const revoked = await openpgp.revokeKey({ key: privateKey, format: "object" });
  return {
    name,
    armoredPublicKey: revoked.publicKey.armor(),
    armoredPrivateKey: revoked.privateKey.armor(),
    passphrase: "",
    fingerprint: revoked.publicKey.getFingerprint().toUpperCase(),
  };
}

/** Made two days ago, valid for one hour. */
export function makeExpiredKey(name: string): Promise<TestKey> {
  return makeOpenpgpKey(name, {
    keyExpirationTime: 3600,
    date: new Date(Date.now() - 2 * 24 * 3600 * 1000),
  });
}

/** A signing-only primary key with no subkeys. */
export function makeSignOnlyKey(name: string): Promise<TestKey> {
  return makeOpenpgpKey(name, { subkeys: [] });
}

/** An RFC 9580 version 6 key (GnuPG 2.2 cannot read it). */
export function makeV6Key(name: string): Promise<TestKey> {
  return makeOpenpgpKey(name, { type: "curve25519", config: { v6Keys: true } });
}

/** A version 4 key with the new RFC 9580 Ed25519/X25519 algorithms (GnuPG 2.2 cannot use it). */
export function makeRfc9580AlgorithmKey(name: string): Promise<TestKey> {
  return makeOpenpgpKey(name, { type: "curve25519" });
}

/** Two public keys in one armored block, as `gpg --export --armor a b` writes them. */
export async function armorTwoKeys(a: TestKey, b: TestKey): Promise<string> {
  const bytes = new Uint8Array([
    ...(await dearmorKey(a.armoredPublicKey)),
    ...(await dearmorKey(b.armoredPublicKey)),
  ]);
  return openpgp.armor(openpgp.enums.armor.publicKey, bytes);
}

/** Binary form of an armored public or private key. */
export async function dearmorKey(armored: string): Promise<Uint8Array> {
  return (await openpgp.readKey({ armoredKey: armored })).write();
}

export async function keyCreationTime(binaryKey: Uint8Array): Promise<Date> {
  return (await openpgp.readKey({ binaryKey })).getCreationTime();
}

/** Decrypts with a fixture key, as an editor's tool would. */
export function decryptAs(key: TestKey, ciphertext: Uint8Array): Promise<Uint8Array> {
  return decryptWithPrivateKey(
    { armoredPrivateKey: key.armoredPrivateKey, passphrase: key.passphrase },
    ciphertext,
  );
}

/** Feeds bytes to encryptStreamForEditors in chunks; returns the joined ciphertext. */
export async function encryptInChunks(
  keyring: EditorKeyring,
  bytes: Uint8Array,
  chunkSize: number,
): Promise<{ ciphertext: Uint8Array; outputChunks: number }> {
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const out: Uint8Array[] = [];
  for await (const chunk of encryptStreamForEditors(keyring, chunks())) out.push(chunk);
  return { ciphertext: new Uint8Array(Buffer.concat(out)), outputChunks: out.length };
}

/** Writes `count` fresh editor keys into a temp folder and loads them like the server does. */
export async function makeTestEditorKeyring(
  count = 2,
): Promise<{ keyring: EditorKeyring; keys: TestKey[]; dir: string }> {
  const dir = await makeTempDir("editor-keys-");
  const keys: TestKey[] = [];
  for (let i = 1; i <= count; i++) {
    const key = await makeOpenpgpKey(`Editor ${i}`);
    await writeKeyFile(dir, `editor-${i}.asc`, key.armoredPublicKey);
    keys.push(key);
  }
  return { keyring: await loadEditorKeys([dir]), keys, dir };
}

// ---------------------------------------------------------------------------------------------
// GnuPG

export interface GpgResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** A throwaway GNUPGHOME. Keys made here have no passphrase unless one is given. */
export class GpgHome {
  private constructor(readonly dir: string) {}

  static async create(): Promise<GpgHome> {
    const dir = await makeTempDir("gnupg-");
    const home = new GpgHome(dir);
    gpgHomes.push(home);
    trackGpgHome(dir);
    return home;
  }

  run(args: string[], input?: Uint8Array | string): GpgResult {
    const result = spawnSync(
      "gpg",
      ["--homedir", this.dir, "--batch", "--no-tty", "--pinentry-mode", "loopback", ...args],
      {
        input,
        env: { ...process.env, GNUPGHOME: this.dir, LC_ALL: "C" },
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
  }

  /** Like run, but throws with gpg's own words when gpg fails. */
  ok(args: string[], input?: Uint8Array | string): Buffer {
    const result = this.run(args, input);
    if (result.status !== 0) {
      throw new Error(`gpg ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
    }
    return result.stdout;
  }

  /**
   * `gpg --quick-gen-key`; algo "future-default" gives ed25519 + a cv25519 encryption subkey.
   * fakedTime (e.g. "20200101T000000") backdates the key, to make one that has expired.
   */
  generateKey(
    userId: string,
    options: { algo?: string; usage?: string; expire?: string; fakedTime?: string } = {},
  ): string {
    const { algo = "future-default", usage = "default", expire = "never", fakedTime } = options;
    const timeArgs = fakedTime ? ["--faked-system-time", `${fakedTime}!`] : [];
    this.ok([...timeArgs, "--passphrase", "", "--quick-gen-key", userId, algo, usage, expire]);
    const listing = this.ok(["--with-colons", "--list-keys", userId]).toString();
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)?.[1];
    if (!fingerprint) throw new Error(`no fingerprint in gpg listing:\n${listing}`);
    return fingerprint;
  }

  exportPublicKey(fingerprint: string): string {
    return this.ok(["--armor", "--export", fingerprint]).toString();
  }

  importKey(armored: string, passphrase?: string): void {
    const passArgs = passphrase === undefined ? [] : ["--passphrase", passphrase];
    this.ok([...passArgs, "--import"], armored);
  }

  decrypt(ciphertext: Uint8Array, passphrase?: string): GpgResult {
    const passArgs = passphrase === undefined ? [] : ["--passphrase", passphrase];
    return this.run([...passArgs, "--decrypt"], ciphertext);
  }

  /** Output of `gpg --list-packets` (decrypts too, when this home holds the key). */
  listPackets(ciphertext: Uint8Array, passphrase?: string): string {
    const passArgs = passphrase === undefined ? [] : ["--passphrase", passphrase];
    return this.run([...passArgs, "--list-packets"], ciphertext).stdout.toString();
  }

  stopAgent(): void {
    stopGpgAgent(this.dir);
  }
}
