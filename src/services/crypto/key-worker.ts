// The worker thread that generates and unlocks source reply keys off the main thread.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * The OpenPGP S2K of a reply key (16 MiB of SHA-256 per key packet, two packets) is synchronous
 * in openpgp.js: on the main thread it held every other source's answer for tens of ms per
 * submit and per codename login. It runs in one worker thread instead, started on first use
 * (plain JavaScript, openpgp.js loaded from node_modules, so it works the same under tsx, the
 * compiled build and the tests). It only generates protected keys and unlocks them; the
 * unlocked key comes back to the caller, in memory, as openpgp.js would have held it anyway.
 */
const KEY_WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const { pathToFileURL } = require("node:url");
const loaded = import(pathToFileURL(workerData.openpgp).href);
parentPort.on("message", async ({ id, op, args }) => {
  try {
    const openpgp = await loaded;
    if (op === "generate") {
      const { publicKey, privateKey } = await openpgp.generateKey({
        type: "ecc",
        curve: "curve25519Legacy",
        userIDs: [{ name: args.userId }],
        passphrase: args.passphrase,
        date: new Date(args.date),
        format: "binary",
        config: args.config,
      });
      parentPort.postMessage({ id, result: { publicKey, privateKey } });
    } else {
      const locked = await openpgp.readPrivateKey({ binaryKey: args.key });
      const key = await openpgp.decryptKey({ privateKey: locked, passphrase: args.passphrase });
      parentPort.postMessage({ id, result: key.write() });
    }
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});`;

let keyWorker: Worker | undefined;
let nextCall = 0;
const pendingCalls = new Map<
  number,
  { resolve: (value: unknown) => void; reject: (error: Error) => void }
>();

function startKeyWorker(): Worker {
  const worker = new Worker(KEY_WORKER_CODE, {
    eval: true,
    workerData: { openpgp: createRequire(import.meta.url).resolve("openpgp") },
  });
  worker.on("message", (message: { id: number; result?: unknown; error?: string }) => {
    const call = pendingCalls.get(message.id);
    pendingCalls.delete(message.id);
    if (pendingCalls.size === 0) worker.unref(); // an idle worker never keeps the process alive
    if (message.error !== undefined) call?.reject(new Error(message.error));
    else call?.resolve(message.result);
  });
  const fail = (error: Error) => {
    keyWorker = undefined;
    for (const call of pendingCalls.values()) call.reject(error);
    pendingCalls.clear();
  };
  worker.on("error", fail);
  worker.on("exit", () => fail(new Error("the key worker stopped")));
  return worker;
}

export function keyWorkerCall(
  op: "generate" | "unlock",
  args: Record<string, unknown>,
): Promise<unknown> {
  keyWorker ??= startKeyWorker();
  const worker = keyWorker;
  const id = nextCall++;
  worker.ref(); // while a call is out, the process waits for it
  return new Promise((resolve, reject) => {
    pendingCalls.set(id, { resolve, reject });
    worker.postMessage({ id, op, args });
  });
}
