// 1. Encrypting for 3 editor keys: the service (openpgp.js, in process) against `gpg --encrypt`
// of the same bytes to the same keys, in the same run. Median of several runs.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { EditorKeyring } from "../src/services/crypto/editor-keys.js";
import {
  encryptBytesForEditors,
  encryptStreamForEditors,
} from "../src/services/crypto/for-editors.js";
import { GpgHome, makeTestEditorKeyring, type TestKey } from "../test/helpers/keys.js";
import { median, ms, printTable, progress, progressDone, ratio } from "./lib.js";

const KB = 1024;
const MB = 1024 * KB;

async function time(runs: number, work: () => Promise<unknown>): Promise<number> {
  await work(); // warm-up, not counted
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** `gpg --encrypt` to the keys, data on stdin, ciphertext read from stdout (discarded). */
function gpgEncrypt(home: GpgHome, fingerprints: string[], data: Uint8Array, extra: string[]) {
  return new Promise<number>((resolve, reject) => {
    const args = ["--homedir", home.dir, "--batch", "--no-tty", "--trust-model", "always"];
    for (const fpr of fingerprints) args.push("--recipient", fpr);
    const child = spawn("gpg", [...args, ...extra, "--encrypt"], {
      env: { ...process.env, GNUPGHOME: home.dir, LC_ALL: "C" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let bytes = 0;
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && bytes > data.length) resolve(bytes);
      else reject(new Error(`gpg --encrypt failed (${code}): ${stderr}`));
    });
    child.stdin.end(data);
  });
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

async function* chunked(data: Uint8Array, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

export async function run(): Promise<void> {
  const { keyring, keys } = await makeTestEditorKeyring(3);
  const home = await GpgHome.create();
  for (const key of keys) home.importKey(key.armoredPublicKey);
  const fingerprints = keys.map((k: TestKey) => k.fingerprint);

  const cases = [
    { name: "1 KB", data: randomBytes(KB), runs: 25 },
    { name: "20 MB", data: randomBytes(20 * MB), runs: 5 },
  ];
  const rows: string[][] = [];
  for (const { name, data, runs } of cases) {
    progress(`encryption ${name}: service`);
    const bytes = await time(runs, () => encryptBytesForEditors(keyring, data));
    const stream = await time(runs, () =>
      drain(encryptStreamForEditors(keyring as EditorKeyring, chunked(data, 64 * KB))),
    );
    progress(`encryption ${name}: gpg`);
    const gpg = await time(runs, () => gpgEncrypt(home, fingerprints, data, []));
    const gpgPlain = await time(runs, () =>
      gpgEncrypt(home, fingerprints, data, ["--compress-algo", "none"]),
    );
    rows.push(
      [
        name,
        "service, bytes",
        ms(bytes),
        ms(gpg),
        ratio(bytes, gpg),
        ms(gpgPlain),
        ratio(bytes, gpgPlain),
      ],
      [
        name,
        "service, stream",
        ms(stream),
        ms(gpg),
        ratio(stream, gpg),
        ms(gpgPlain),
        ratio(stream, gpgPlain),
      ],
    );
  }
  progressDone();
  home.stopAgent();
  printTable({
    title: "1. Encryption for 3 editor keys (random data; median of 25 runs at 1 KB, 5 at 20 MB)",
    headers: ["size", "how", "time", "gpg", "ratio", "gpg -z0", "ratio"],
    rows,
    notes: [
      "service: encryptBytesForEditors / encryptStreamForEditors (64 KB input chunks), in process",
      "gpg: `gpg --encrypt --trust-model always -r ×3`, a process per run (start-up included);",
      "gpg -z0: the same without compression (the service does not compress: like-for-like work)",
    ],
  });
}
