// Invariant 4: what the server encrypts, every editor can decrypt with GnuPG 2.2.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkEditorKeyPaths,
  type EditorKeyring,
  loadEditorKeys,
} from "../../../src/services/crypto/editor-keys.js";
import { encryptForEditors } from "../../../src/services/crypto/for-editors.js";
import { generateEditorKey } from "../../../src/services/crypto/keygen.js";
import { decodePaddedText, paddedAttachmentSize } from "../../../src/services/crypto/padding.js";
import { storeEncryptedAttachment } from "../../../src/services/interview/attachments.js";
import {
  cleanupKeyFixtures,
  decryptAs,
  defined,
  encryptInChunks,
  GpgHome,
  makeOpenpgpKey,
  makeTempDir,
  writeKeyFile,
} from "../../helpers/keys.js";

interface Editor {
  home: GpgHome;
  fingerprint: string;
  passphrase?: string;
}

const FIVE_MB = 5 * 1024 * 1024;

describe("GnuPG 2.2 decrypts what the service encrypts", () => {
  let editors: Editor[];
  let keyring: EditorKeyring;
  const binary = new Uint8Array(randomBytes(FIVE_MB));

  beforeAll(async () => {
    const dir = await makeTempDir("gpg-editors-");
    editors = [];
    // Two editors with keys made by gpg itself.
    for (const name of ["Gpg Editor One", "Gpg Editor Two"]) {
      const home = await GpgHome.create();
      const fingerprint = home.generateKey(name);
      await writeKeyFile(dir, `${fingerprint}.asc`, home.exportPublicKey(fingerprint));
      editors.push({ home, fingerprint });
    }
    // One editor with a key from `npm run editor -- keygen`, imported into gpg.
    const passphrase = "a long enough passphrase";
    const generated = await generateEditorKey({ name: "Tool Editor", passphrase });
    const home = await GpgHome.create();
    home.importKey(generated.armoredPrivateKey, passphrase);
    await writeKeyFile(dir, "tool-editor.asc", generated.armoredPublicKey);
    editors.push({ home, fingerprint: generated.fingerprint, passphrase });

    keyring = await loadEditorKeys([dir]);
    expect([...keyring.fingerprints].sort()).toEqual(editors.map((e) => e.fingerprint).sort());
  });

  afterAll(cleanupKeyFixtures);

  function decryptWithGpg(editor: Editor, ciphertext: Uint8Array): Buffer {
    const result = editor.home.decrypt(ciphertext, editor.passphrase);
    expect(result.stderr).not.toMatch(/WARNING|no valid OpenPGP data/);
    expect(result.status, result.stderr).toBe(0);
    return result.stdout;
  }

  it("text answers: every editor gets exactly the text back", async () => {
    const text = "Меня зовут ... Я ушёл из части 14 марта.\n\tСтрока с табом и «кавычками» 🙂";
    const ciphertext = await encryptForEditors(keyring, text);
    for (const editor of editors) {
      const plain = decryptWithGpg(editor, ciphertext);
      expect(plain.length % 512).toBe(0);
      expect(decodePaddedText(plain)).toBe(text);
    }
  });

  it("a 5 MB binary: every editor gets identical bytes", async () => {
    const ciphertext = await encryptForEditors(keyring, binary);
    for (const editor of editors) {
      expect(decryptWithGpg(editor, ciphertext).equals(binary)).toBe(true);
    }
  });

  it("a streamed 5 MB binary: every editor gets identical bytes", async () => {
    const { ciphertext, outputChunks } = await encryptInChunks(keyring, binary, 100_000);
    expect(outputChunks).toBeGreaterThan(1);
    for (const editor of editors) {
      expect(decryptWithGpg(editor, ciphertext).equals(binary)).toBe(true);
    }
  });

  it("a stored attachment is padded to its size bucket and still decrypts to the exact file", async () => {
    const chunks: { seq: number; data: Uint8Array }[] = [];
    const store = {
      writeChunk: async (_id: string, seq: number, data: Uint8Array) => {
        chunks.push({ seq, data });
      },
      deleteAttachments: async () => {},
    } as unknown as Parameters<typeof storeEncryptedAttachment>[0];
    const file = new Uint8Array(randomBytes(300_001));
    await storeEncryptedAttachment(store, keyring, new Blob([file]).stream());
    const stored = Buffer.concat(chunks.sort((a, b) => a.seq - b.seq).map((c) => c.data));
    // The stored size is a bucket, not the file's size plus a constant.
    expect(stored.length).toBe(paddedAttachmentSize(stored.length));
    expect(stored.length).toBeGreaterThan(300_001 + 1000);
    expect(stored.length).toBeLessThanOrEqual(Math.ceil(300_001 * 1.125) + 2048);
    for (const editor of editors) {
      expect(Buffer.compare(decryptWithGpg(editor, stored), Buffer.from(file))).toBe(0);
    }
  });

  it("stays SEIPD v1 even when every recipient key advertises AEAD (SEIPDv2) support", async () => {
    const aeadKey = await makeOpenpgpKey("AEAD Editor", { config: { aeadProtect: true } });
    const dir = await makeTempDir("aead-");
    const ring = await loadEditorKeys([
      await writeKeyFile(dir, "aead.asc", aeadKey.armoredPublicKey),
    ]);
    const ciphertext = await encryptForEditors(ring, "still readable by gpg 2.2");
    // A home without the key: gpg lists the outer packets without decrypting.
    const packets = (await GpgHome.create()).listPackets(ciphertext);
    expect(packets).toMatch(/^:pubkey enc packet: version 3/m);
    expect(packets).toMatch(/^:encrypted data packet:\n\s+length: \S+\n\s+mdc_method: 2$/m);
    expect(packets).not.toMatch(/aead/i);
    expect(decodePaddedText(await decryptAs(aeadKey, ciphertext))).toBe(
      "still readable by gpg 2.2",
    );
  });

  it("the server refuses gpg keys that expired or cannot encrypt", async () => {
    const home = await GpgHome.create();
    const dir = await makeTempDir("gpg-bad-");
    const expired = home.generateKey("Old Editor", { expire: "1y", fakedTime: "20200101T000000" });
    const signOnly = home.generateKey("Signer", { algo: "ed25519", usage: "sign" });
    const expiredFile = await writeKeyFile(dir, "old.asc", home.exportPublicKey(expired));
    const signOnlyFile = await writeKeyFile(dir, "signer.asc", home.exportPublicKey(signOnly));
    const results = await checkEditorKeyPaths([expiredFile, signOnlyFile]);
    expect(results.map((r) => (r.ok ? "ok" : r.error.message))).toEqual([
      expect.stringContaining(`${expiredFile} expired on 2020-12-31`),
      expect.stringContaining(`${signOnlyFile} has no encryption subkey that is valid now`),
    ]);
  });

  it("packets are v3 PKESK + SEIPD v1 with MDC, AES-256, uncompressed: no AEAD", async () => {
    const whole = await encryptForEditors(keyring, "packet check");
    const streamed = await encryptInChunks(keyring, new Uint8Array(randomBytes(10)), 4);
    for (const ciphertext of [whole, streamed.ciphertext]) {
      const editor = defined(editors[0]);
      const packets = editor.home.listPackets(ciphertext, editor.passphrase);
      expect(packets.match(/^:pubkey enc packet: version 3/gm)).toHaveLength(3);
      expect(packets).toMatch(/^:encrypted data packet:\n\s+length: \S+\n\s+mdc_method: 2$/m);
      expect(packets).toMatch(/^:literal data packet:/m);
      expect(packets).not.toMatch(/aead|compressed packet|version [56]/i);
      // gpg 2.2 names the cipher it used when decrypting: 9 is AES-256.
      const verbose = editor.home.run(["-v", "--decrypt"], ciphertext);
      expect(verbose.stderr).toMatch(/AES256|cipher algo 9/);
    }
  });
});
