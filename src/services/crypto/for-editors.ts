// Encryption to the editors' keys (text, bytes, streams), in a form GnuPG 2.2 reads: v4
// packets, an explicit AES-256 session key, no compression, coarse packet dates.
import { createMessage, encrypt, type PublicKey, type SessionKey } from "openpgp";
import { type EditorKeyring, keysOf } from "./editor-keys.js";
import { GPG22_CONFIG, startOfDay } from "./internal.js";
import { padText } from "./padding.js";

/** Text is padded (see padText); bytes are encrypted as they are. Returns binary OpenPGP. */
export async function encryptForEditors(
  keyring: EditorKeyring,
  data: string | Uint8Array,
): Promise<Uint8Array> {
  return typeof data === "string"
    ? encryptTextForEditors(keyring, data)
    : encryptBytesForEditors(keyring, data);
}

/**
 * `label` says what the part is (e.g. "choice:role"). It travels inside the encryption, as the
 * literal data packet's file name, so question ids never sit beside the ciphertext (DESIGN §3.5).
 */
export async function encryptTextForEditors(
  keyring: EditorKeyring,
  text: string,
  label?: string,
): Promise<Uint8Array> {
  return encryptBytes(keysOf(keyring), padText(text), label);
}

export async function encryptBytesForEditors(
  keyring: EditorKeyring,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  return encryptBytes(keysOf(keyring), bytes);
}

/** A web ReadableStream, which in Node is also async-iterable (`for await`). */
export type CiphertextStream = ReadableStream<Uint8Array> & AsyncIterable<Uint8Array>;

/**
 * Encrypts a stream (e.g. a downloaded attachment) chunk by chunk, so the plaintext and the
 * ciphertext are never both held whole. Nothing is read before the result is read.
 */
export function encryptStreamForEditors(
  keyring: EditorKeyring,
  input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): CiphertextStream {
  const keys = keysOf(keyring);
  const source = input instanceof ReadableStream ? input : iterableToStream(input);
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const output = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= (await encryptStream(keys, source)).getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await (reader ? reader.cancel(reason) : source.cancel(reason));
      },
    },
    { highWaterMark: 0 },
  );
  // Node's ReadableStream is async-iterable; the DOM lib types only say so with DOM.AsyncIterable.
  return output as CiphertextStream;
}

function iterableToStream(
  iterable: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): ReadableStream<Uint8Array> {
  const iterator = (async function* () {
    yield* iterable;
  })();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await iterator.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A fresh AES-256 session key passed explicitly: without one, openpgp.js picks SEIPDv2 (AEAD)
 * whenever every recipient key advertises it, and GnuPG 2.2 cannot read that.
 */
function freshSessionKey(): SessionKey {
  return { data: crypto.getRandomValues(new Uint8Array(32)), algorithm: "aes256" };
}

export async function encryptBytes(
  keys: readonly PublicKey[],
  bytes: Uint8Array,
  label?: string,
): Promise<Uint8Array> {
  const message = await createMessage({
    binary: bytes,
    format: "binary",
    date: startOfDay(),
    ...(label ? { filename: checkedLabel(label) } : {}),
  });
  return encrypt({
    message,
    encryptionKeys: [...keys],
    sessionKey: freshSessionKey(),
    format: "binary",
    config: GPG22_CONFIG,
  });
}

async function encryptStream(
  keys: readonly PublicKey[],
  source: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const message = await createMessage({ binary: source, format: "binary", date: startOfDay() });
  const encrypted: ReadableStream<Uint8Array> = await encrypt({
    message,
    encryptionKeys: [...keys],
    sessionKey: freshSessionKey(),
    format: "binary",
    config: GPG22_CONFIG,
  });
  return encrypted;
}

/** What a part label may look like: "<kind>:<question id>". */
export const LABEL_PATTERN = /^[a-z]{1,32}:[a-z0-9_]{1,64}$/;

function checkedLabel(label: string): string {
  if (!LABEL_PATTERN.test(label)) throw new Error(`not a part label: ${JSON.stringify(label)}`);
  return label;
}
