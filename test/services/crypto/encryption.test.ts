import { randomBytes } from "node:crypto";
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DecryptionError,
  decryptWithPrivateKey,
  NotForThisKeyError,
  unlockPrivateKey,
  WrongPassphraseError,
} from "../../../src/services/crypto/decrypt.js";
import {
  checkEditorKeyFile,
  checkEditorKeyPaths,
  type EditorKeyring,
  formatFingerprint,
  KeyError,
  loadEditorKeys,
} from "../../../src/services/crypto/editor-keys.js";
import {
  encryptForEditors,
  encryptStreamForEditors,
} from "../../../src/services/crypto/for-editors.js";
import { generateEditorKey } from "../../../src/services/crypto/keygen.js";
import { decodePaddedText, padText, unpadText } from "../../../src/services/crypto/padding.js";
import {
  createReplyKeyPair,
  decryptForSource,
  encryptForSourceAndEditors,
} from "../../../src/services/crypto/reply-keys.js";
import {
  armorTwoKeys,
  cleanupKeyFixtures,
  dearmorKey,
  decryptAs,
  defined,
  encryptInChunks,
  keyCreationTime,
  makeExpiredKey,
  makeOpenpgpKey,
  makeRevokedKey,
  makeRfc9580AlgorithmKey,
  makeSignOnlyKey,
  makeTempDir,
  makeTestEditorKeyring,
  makeV6Key,
  type TestKey,
  writeKeyFile,
} from "../../helpers/keys.js";

afterAll(cleanupKeyFixtures);

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (e: unknown) => e,
  );
}

async function keyErrorOf(promise: Promise<unknown>): Promise<KeyError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(KeyError);
  return error as KeyError;
}

/** Writes a key file and returns the message loadEditorKeys refuses it with. */
async function refusal(dir: string, fileName: string, contents: string | Uint8Array) {
  const file = await writeKeyFile(dir, fileName, contents);
  return { file, message: (await keyErrorOf(loadEditorKeys([file]))).message };
}

describe("loadEditorKeys: refuses bad keys, naming the file and the reason", () => {
  let dir: string;
  let good: TestKey;

  beforeAll(async () => {
    dir = await makeTempDir("validation-");
    good = await makeOpenpgpKey("Good Editor");
  });

  it("accepts a good armored key and reports its details", async () => {
    const file = await writeKeyFile(dir, "good.asc", good.armoredPublicKey);
    const info = await checkEditorKeyFile(file);
    expect(info).toMatchObject({
      file,
      fingerprint: good.fingerprint,
      userIds: ["Good Editor <good.editor@example.org>"],
      expires: null,
    });
    expect(info.fingerprint).toMatch(/^[0-9A-F]{40}$/);
  });

  it("accepts a binary key", async () => {
    const file = await writeKeyFile(dir, "good.gpg", await dearmorKey(good.armoredPublicKey));
    expect((await checkEditorKeyFile(file)).fingerprint).toBe(good.fingerprint);
  });

  it("refuses a private key", async () => {
    const file = await writeKeyFile(dir, "private.asc", good.armoredPrivateKey);
    const error = await keyErrorOf(loadEditorKeys([file]));
    expect(error.file).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/is a private key; give the public key \(gpg --export --armor/);
  });

  it("refuses a binary private key", async () => {
    const key = await makeOpenpgpKey("Binary Private");
    const { file, message } = await refusal(
      dir,
      "private.gpg",
      await dearmorKey(key.armoredPrivateKey),
    );
    expect(message).toContain(`${file} is a private key`);
  });

  it("refuses a revoked key", async () => {
    const key = await makeRevokedKey("R");
    const { file, message } = await refusal(dir, "revoked.asc", key.armoredPublicKey);
    expect(message).toContain(`${file} is revoked`);
  });

  it("refuses an expired key", async () => {
    const key = await makeExpiredKey("E");
    const { file, message } = await refusal(dir, "expired.asc", key.armoredPublicKey);
    expect(message).toMatch(new RegExp(`${file} expired on \\d{4}-\\d\\d-\\d\\d`));
  });

  it("refuses a key with no encryption subkey", async () => {
    const key = await makeSignOnlyKey("S");
    const { file, message } = await refusal(dir, "sign-only.asc", key.armoredPublicKey);
    expect(message).toContain(`${file} has no encryption subkey that is valid now`);
  });

  it("refuses a v6 key", async () => {
    const key = await makeV6Key("Six");
    const { file, message } = await refusal(dir, "v6.asc", key.armoredPublicKey);
    expect(message).toContain(`${file} is a version 6 key, which GnuPG 2.2 cannot use`);
  });

  it("refuses a v4 key with RFC 9580 X25519/Ed25519 algorithms", async () => {
    const key = await makeRfc9580AlgorithmKey("New Algo");
    const { file, message } = await refusal(dir, "x25519.asc", key.armoredPublicKey);
    expect(message).toContain(`${file} uses the ed25519 algorithm, which GnuPG 2.2 cannot`);
  });

  it("refuses two keys in one armored block", async () => {
    const other = await makeOpenpgpKey("Other");
    const { file, message } = await refusal(dir, "two.asc", await armorTwoKeys(good, other));
    expect(message).toContain(`${file} holds 2 keys`);
    expect(message).toContain(formatFingerprint(other.fingerprint));
  });

  it("refuses two armored blocks in one file", async () => {
    const other = await makeOpenpgpKey("Other");
    const both = `${good.armoredPublicKey}\n${other.armoredPublicKey}`;
    const { file, message } = await refusal(dir, "two-blocks.asc", both);
    expect(message).toContain(`${file} holds 2 armored blocks`);
  });

  it("refuses a missing file", async () => {
    const file = path.join(dir, "nobody.asc");
    const error = await keyErrorOf(loadEditorKeys([file]));
    expect(error.message).toBe(`EDITOR_KEYS: ${file} does not exist`);
  });

  it.skipIf(process.getuid?.() === 0)("refuses an unreadable file", async () => {
    const file = await writeKeyFile(dir, "unreadable.asc", good.armoredPublicKey);
    await chmod(file, 0o000);
    const error = await keyErrorOf(loadEditorKeys([file]));
    expect(error.message).toContain(`${file} cannot be read (permission denied)`);
  });

  it("refuses a key file that cannot be read", async () => {
    const folder = path.join(dir, "with-subfolder");
    await mkdir(path.join(folder, "nested.asc"), { recursive: true });
    const error = await keyErrorOf(loadEditorKeys([folder]));
    expect(error.message).toContain(`${path.join(folder, "nested.asc")} is a folder`);
  });

  it("refuses a file that is not a key", async () => {
    const text = await refusal(dir, "notes.asc", "my key is in the other file\n");
    expect(text.message).toContain(`${text.file} is not an OpenPGP public key`);
    const binary = await refusal(dir, "random.gpg", randomBytes(64));
    expect(binary.message).toContain(`${binary.file} is not an OpenPGP public key`);
    const empty = await refusal(dir, "empty.asc", "");
    expect(empty.message).toContain(`${empty.file} is empty`);
  });

  it("refuses an empty folder", async () => {
    const folder = path.join(dir, "empty-folder");
    await mkdir(folder);
    await writeKeyFile(folder, "README.txt", "keys go here");
    const error = await keyErrorOf(loadEditorKeys([folder]));
    expect(error.message).toContain(
      `${folder} is a folder with no public key files (*.public.asc, or *.asc`,
    );
  });

  it("refuses the same key twice, across files", async () => {
    const a = await writeKeyFile(dir, "dup-a.asc", good.armoredPublicKey);
    const b = await writeKeyFile(dir, "dup-b.gpg", await dearmorKey(good.armoredPublicKey));
    const error = await keyErrorOf(loadEditorKeys([a, b]));
    expect(error.file).toBe(b);
    expect(error.message).toContain(`${b} holds the same key as ${a}`);
  });

  it("refuses an empty list", async () => {
    expect((await keyErrorOf(loadEditorKeys([]))).message).toBe(
      "EDITOR_KEYS: is empty; give at least one editor public key file or folder",
    );
  });

  it("loads every key file of a folder, sorted, armored or binary", async () => {
    const folder = path.join(dir, "three");
    await mkdir(folder);
    const [c, a, b] = await Promise.all([
      makeOpenpgpKey("Editor C"),
      makeOpenpgpKey("Editor A"),
      makeOpenpgpKey("Editor B"),
    ]);
    await writeKeyFile(folder, "c.key", c.armoredPublicKey);
    await writeKeyFile(folder, "a.asc", a.armoredPublicKey);
    await writeKeyFile(folder, "b.pgp", await dearmorKey(b.armoredPublicKey));
    await writeKeyFile(folder, "notes.txt", "not a key");
    const keyring = await loadEditorKeys([folder]);
    expect(keyring.fingerprints).toEqual([a.fingerprint, b.fingerprint, c.fingerprint]);
    expect(keyring.editors.map((e) => path.basename(e.file))).toEqual(["a.asc", "b.pgp", "c.key"]);
  });

  it("checkEditorKeyPaths gives every file a verdict", async () => {
    const okFile = await writeKeyFile(dir, "check-ok.asc", good.armoredPublicKey);
    const badFile = await writeKeyFile(dir, "check-bad.asc", good.armoredPrivateKey);
    const results = await checkEditorKeyPaths([okFile, badFile, path.join(dir, "gone.asc")]);
    expect(results.map((r) => r.ok)).toEqual([true, false, false]);
  });
});

describe("padding", () => {
  it("pads text to multiples of 512 bytes with a newline and spaces", () => {
    expect(padText("a")).toHaveLength(512);
    expect(padText("")).toHaveLength(512);
    expect(padText("x".repeat(511))).toHaveLength(512);
    expect(padText("x".repeat(512))).toHaveLength(1024);
    expect(padText("я".repeat(300))).toHaveLength(1024); // 600 bytes of UTF-8
  });

  it("unpadText strips exactly the last newline and the spaces after it", () => {
    for (const text of ["", "a", "line\n", "two\nlines  ", "trailing \n  ", "ends\n\n", "я"]) {
      expect(decodePaddedText(padText(text))).toBe(text);
    }
    expect(unpadText("no padding")).toBe("no padding");
    expect(unpadText("text\n  x")).toBe("text\n  x");
  });

  it("hides the length of short texts", async () => {
    const { keyring } = await makeTestEditorKeyring(2);
    const length = async (text: string) => (await encryptForEditors(keyring, text)).length;
    expect(await length("x")).toBe(await length("x".repeat(400)));
    expect(await length("x")).not.toBe(await length("x".repeat(600)));
    // Buckets count UTF-8 bytes: 400 Cyrillic letters are 800 bytes.
    expect(await length("ж")).not.toBe(await length("ж".repeat(400)));
  });
});

describe("encryption to editors", () => {
  let keyring: EditorKeyring;
  let keys: TestKey[];

  beforeAll(async () => {
    ({ keyring, keys } = await makeTestEditorKeyring(3));
  });

  it("every editor decrypts a text answer", async () => {
    const text = "Я отказался ехать.\nЧасть 12345, рота 3";
    const ciphertext = await encryptForEditors(keyring, text);
    expect(new TextDecoder().decode(ciphertext)).not.toContain("12345");
    for (const key of keys) {
      const plain = await decryptAs(key, ciphertext);
      expect(plain.length % 512).toBe(0);
      expect(decodePaddedText(plain)).toBe(text);
    }
  });

  it("bytes are encrypted unpadded", async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(1000));
    const ciphertext = await encryptForEditors(keyring, bytes);
    const key = defined(keys[0]);
    const plain = await decryptAs(key, ciphertext);
    expect(plain).toEqual(bytes);
  });

  it("streams: chunks in, chunks out, same plaintext", async () => {
    const bytes = new Uint8Array(randomBytes(300_000));
    const { ciphertext, outputChunks } = await encryptInChunks(keyring, bytes, 65_536);
    expect(outputChunks).toBeGreaterThan(1);
    const plain = await decryptAs(defined(keys[1]), ciphertext);
    expect(Buffer.from(plain).equals(Buffer.from(bytes))).toBe(true);
  });

  it("streams: reads the input only as fast as the output is read", async () => {
    const chunk = new Uint8Array(randomBytes(1 << 20));
    let pulled = 0;
    async function* input() {
      for (let i = 0; i < 24; i++) {
        pulled++;
        yield chunk;
      }
    }
    let written = 0;
    let mostAhead = 0;
    for await (const out of encryptStreamForEditors(keyring, input())) {
      written += out.length;
      mostAhead = Math.max(mostAhead, pulled * chunk.length - written);
    }
    expect(pulled).toBe(24);
    // Bounded by openpgp's internal buffering (about 6 MB), never the whole 24 MB.
    expect(mostAhead).toBeLessThan(12 << 20);
  });

  it("streams: an input error fails the output stream", async () => {
    async function* input() {
      yield new Uint8Array(1000);
      throw new Error("download broke");
    }
    const reading = (async () => {
      for await (const _ of encryptStreamForEditors(keyring, input())) {
        // drain
      }
    })();
    await expect(reading).rejects.toThrow("download broke");
  });

  it("a wrong passphrase is a WrongPassphraseError", async () => {
    const ciphertext = await encryptForEditors(keyring, "x");
    const error = await rejection(
      decryptWithPrivateKey(
        { armoredPrivateKey: defined(keys[0]).armoredPrivateKey, passphrase: "no" },
        ciphertext,
      ),
    );
    expect(error).toBeInstanceOf(WrongPassphraseError);
    await expect(unlockPrivateKey(defined(keys[0]).armoredPrivateKey, "no")).rejects.toThrow(
      "wrong passphrase",
    );
  });

  it("a key the message is not for is a NotForThisKeyError naming both", async () => {
    const ciphertext = await encryptForEditors(keyring, "x");
    const stranger = await makeOpenpgpKey("Stranger");
    const error = await rejection(decryptAs(stranger, ciphertext));
    expect(error).toBeInstanceOf(NotForThisKeyError);
    const notForUs = error as NotForThisKeyError;
    expect(notForUs.message).toContain(formatFingerprint(stranger.fingerprint));
    expect(notForUs.recipientKeyIds).toHaveLength(3);
    for (const id of notForUs.recipientKeyIds) expect(notForUs.message).toContain(id);
  });

  it("garbage ciphertext is a DecryptionError", async () => {
    const key = defined(keys[0]);
    const error = await rejection(decryptAs(key, new TextEncoder().encode("not a message")));
    expect(error).toBeInstanceOf(DecryptionError);
  });

  it("a generated editor key is passphrase-protected and works", async () => {
    const generated = await generateEditorKey({
      name: "New Editor",
      passphrase: "long passphrase 1",
    });
    expect(generated.armoredPrivateKey).toContain("BEGIN PGP PRIVATE KEY BLOCK");
    expect(generated.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    const dir = await makeTempDir("generated-");
    const file = await writeKeyFile(dir, "new.asc", generated.armoredPublicKey);
    const ring = await loadEditorKeys([file]);
    expect(ring.editors[0]?.userIds).toEqual(["New Editor"]);
    const ciphertext = await encryptForEditors(ring, "hello");
    const unlocked = await unlockPrivateKey(generated.armoredPrivateKey, "long passphrase 1");
    expect(unlocked.fingerprint).toBe(generated.fingerprint);
    await expect(unlockPrivateKey(generated.armoredPrivateKey, "")).rejects.toBeInstanceOf(
      WrongPassphraseError,
    );
    const plain = await decryptWithPrivateKey(
      { armoredPrivateKey: generated.armoredPrivateKey, passphrase: "long passphrase 1" },
      ciphertext,
    );
    expect(decodePaddedText(plain)).toBe("hello");
  });

  it("formatFingerprint groups by four", () => {
    expect(formatFingerprint("abcd1234ef567890")).toBe("ABCD 1234 EF56 7890");
  });
});

describe("source reply keys", () => {
  const codename = "берёза-ключ-река-облако-звезда-поле-ветер";

  it("round trip: the source reads a reply with the codename, editors read it too", async () => {
    const { keyring, keys } = await makeTestEditorKeyring(1);
    const pair = await createReplyKeyPair(codename);
    const reply = "Спасибо. Мы прочитали ваш рассказ.";
    const ciphertext = await encryptForSourceAndEditors(keyring, pair.publicKey, reply);
    expect(ciphertext.length).toBe(
      (await encryptForSourceAndEditors(keyring, pair.publicKey, "ok")).length,
    );
    expect(await decryptForSource(pair.encryptedPrivateKey, codename, ciphertext)).toBe(reply);
    const editor = defined(keys[0]);
    const plain = await decryptAs(editor, ciphertext);
    expect(decodePaddedText(plain)).toBe(reply);
  });

  it("a wrong codename is a WrongPassphraseError", async () => {
    const { keyring } = await makeTestEditorKeyring(1);
    const pair = await createReplyKeyPair(codename);
    const ciphertext = await encryptForSourceAndEditors(keyring, pair.publicKey, "reply");
    await expect(
      decryptForSource(pair.encryptedPrivateKey, `${codename}x`, ciphertext),
    ).rejects.toBeInstanceOf(WrongPassphraseError);
  });

  it("stores neither the codename nor a precise time", async () => {
    const pair = await createReplyKeyPair(codename);
    const haystack = Buffer.concat([pair.publicKey, pair.encryptedPrivateKey]);
    expect(haystack.includes(Buffer.from(codename))).toBe(false);
    expect(haystack.includes(Buffer.from(codename, "utf16le"))).toBe(false);
    expect(haystack.includes(Buffer.from("source"))).toBe(true);
    // The key's creation time would date the submission: it is midnight UTC.
    expect((await keyCreationTime(pair.publicKey)).getTime() % 86_400_000).toBe(0);
  });

  it("refuses an empty codename", async () => {
    await expect(createReplyKeyPair("")).rejects.toThrow("codename");
  });
});
