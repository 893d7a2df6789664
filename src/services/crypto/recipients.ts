// Who can read a stored part: the recipient list the parts table keeps beside the ciphertext, and
// the recipient packets (PKESK) at the head of the ciphertext itself. Granting and revoking change
// only those packets; the encrypted data packet after them stays byte for byte the same, and the
// plaintext never exists (services/archive/access.ts walks the parts).
import {
  decryptSessionKeys,
  encryptSessionKey,
  enums,
  Message,
  PacketList,
  PublicKeyEncryptedSessionKeyPacket,
} from "openpgp";
import { NotForThisKeyError, privateKeyOf, type UnlockedPrivateKey } from "./decrypt.js";
import { type EditorKeyring, formatFingerprint, keysOf } from "./editor-keys.js";
import { errorMessage, GPG22_CONFIG } from "./internal.js";

/** One reader of a part: an editor's primary fingerprint and the subkey its packet names. */
export interface Recipient {
  /** Null where only the packet's key id is known (parts stored before lists were kept). */
  fingerprint: string | null;
  keyId: string;
}

/** A stored value the bot never writes: refused before anything is changed. */
export class HostileValueError extends Error {
  override readonly name = "HostileValueError";
}

/** The recipients a message encrypted to `keyring` right now gets (read just before encrypting). */
export function recipientsOf(keyring: EditorKeyring): Recipient[] {
  return keyring.editors.map((e) => ({ fingerprint: e.fingerprint, keyId: e.encryptionKeyId }));
}

const FINGERPRINT = /^[0-9A-F]{40}$/;
const KEY_ID = /^[0-9A-F]{16}$/;
/** More recipients than any newsroom has editors: a list this long was not written by the bot. */
const MAX_RECIPIENTS = 100;

/** A stored recipient list, checked; null when the part predates them. */
export function parseRecipients(value: unknown): Recipient[] | null {
  if (value === null || value === undefined) return null;
  const bad = (why: string) => new HostileValueError(`the recipient list is malformed (${why})`);
  if (!Array.isArray(value)) throw bad("not a list");
  if (value.length > MAX_RECIPIENTS) throw bad(`${value.length} entries`);
  return value.map((entry: unknown) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw bad("an entry is not an object");
    }
    const { fingerprint, keyId, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw bad("unexpected fields");
    if (
      !(fingerprint === null || (typeof fingerprint === "string" && FINGERPRINT.test(fingerprint)))
    ) {
      throw bad("not a fingerprint");
    }
    if (typeof keyId !== "string" || !KEY_ID.test(keyId)) throw bad("not a key id");
    return { fingerprint, keyId };
  });
}

/** "ABCD 1234 …" per recipient, or the key id where the fingerprint is not known. */
export function describeRecipientList(recipients: readonly Recipient[]): string {
  return recipients
    .map((r) => (r.fingerprint ? formatFingerprint(r.fingerprint) : `key id ${r.keyId}`))
    .join("; ");
}

interface PacketRange {
  start: number;
  end: number;
  keyId: string;
}

/** Where the recipient packets of a ciphertext (or of its first stored chunk) are. */
interface Head {
  packets: PacketRange[];
  /** Where the encrypted data packet starts: nothing from here on ever changes. */
  dataStart: number;
}

const TAG = {
  pkesk: enums.packet.publicKeyEncryptedSessionKey,
  marker: enums.packet.marker,
  sed: enums.packet.symmetricallyEncryptedData,
  seipd: enums.packet.symEncryptedIntegrityProtectedData,
} as const;
/** A recipient packet is a few hundred bytes (RSA-4096: 524); anything far longer is not one. */
const MAX_PKESK_LENGTH = 4096;

/**
 * Reads the packet headers at the start of `bytes`: marker packets (attachment padding), then
 * recipient packets, up to the encrypted data packet. Throws HostileValueError for anything else.
 */
function readHead(bytes: Uint8Array): Head {
  const notOurs = (why: string) =>
    new HostileValueError(`the ciphertext is not an OpenPGP message the bot writes (${why})`);
  const packets: PacketRange[] = [];
  let offset = 0;
  for (;;) {
    const first = bytes[offset];
    if (first === undefined) throw notOurs("it ends before its encrypted data");
    if ((first & 0x80) === 0) throw notOurs("no packet header");
    const header = readPacketHeader(bytes, offset);
    if (header === null) throw notOurs("a packet header is cut short");
    const { tag, bodyStart, length } = header;
    if (tag === TAG.seipd || tag === TAG.sed) {
      if (packets.length === 0) throw notOurs("no recipient packet");
      return { packets, dataStart: offset };
    }
    if (length === null) throw notOurs("a packet of unknown length before the data");
    const end = bodyStart + length;
    if (tag === TAG.marker) {
      if (packets.length > 0) throw notOurs("a marker packet between recipient packets");
    } else if (tag === TAG.pkesk) {
      if (length > MAX_PKESK_LENGTH || end > bytes.length) throw notOurs("an oversized packet");
      if (bytes[bodyStart] !== 3) throw notOurs("a recipient packet of an unknown version");
      const keyId = Buffer.from(bytes.subarray(bodyStart + 1, bodyStart + 9))
        .toString("hex")
        .toUpperCase();
      packets.push({ start: offset, end, keyId });
    } else {
      throw notOurs(`an unexpected packet (tag ${tag})`);
    }
    offset = end;
  }
}

/** RFC 4880 §4.2; `length` null for a partial or indeterminate length. Null if cut short. */
function readPacketHeader(
  bytes: Uint8Array,
  offset: number,
): { tag: number; bodyStart: number; length: number | null } | null {
  const first = bytes[offset] as number;
  const at = (i: number) => bytes[offset + i];
  if ((first & 0x40) !== 0) {
    const tag = first & 0x3f;
    const l0 = at(1);
    if (l0 === undefined) return null;
    if (l0 < 192) return { tag, bodyStart: offset + 2, length: l0 };
    if (l0 < 224) {
      const l1 = at(2);
      if (l1 === undefined) return null;
      return { tag, bodyStart: offset + 3, length: ((l0 - 192) << 8) + l1 + 192 };
    }
    if (l0 === 255) {
      if (offset + 6 > bytes.length) return null;
      return { tag, bodyStart: offset + 6, length: readUint32(bytes, offset + 2) };
    }
    return { tag, bodyStart: offset + 2, length: null }; // partial body length
  }
  const tag = (first >> 2) & 0x0f;
  const type = first & 0x03;
  if (type === 3) return { tag, bodyStart: offset + 1, length: null };
  const size = [1, 2, 4][type] as number;
  if (offset + 1 + size > bytes.length) return null;
  let length = 0;
  for (let i = 0; i < size; i++) length = length * 256 + (at(1 + i) as number);
  return { tag, bodyStart: offset + 1 + size, length };
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] as number) * 2 ** 24 +
      ((bytes[offset + 1] as number) << 16) +
      ((bytes[offset + 2] as number) << 8) +
      (bytes[offset + 3] as number)) >>>
    0
  );
}

/** The key ids the recipient packets at the head of `bytes` name; HostileValueError if none. */
export function recipientKeyIdsInHead(bytes: Uint8Array): string[] {
  return readHead(bytes).packets.map((p) => p.keyId);
}

/** The ids of every subkey of an editor's private key (what a packet for it would name). */
export function keyIdsOfPrivateKey(editor: UnlockedPrivateKey): string[] {
  return privateKeyOf(editor)
    .getKeys()
    .map((k) => k.getKeyID().toHex().toUpperCase());
}

/**
 * Adds a recipient packet for the one key of `to` to the head of `bytes` (a whole ciphertext, or
 * the first stored chunk of an attachment): the session key is decrypted with the editor's key
 * and encrypted again to the new key. Everything from the encrypted data packet on is unchanged.
 * NotForThisKeyError when no packet is for the editor's key.
 */
export async function addRecipient(
  editor: UnlockedPrivateKey,
  to: EditorKeyring,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  const head = readHead(bytes);
  const key = privateKeyOf(editor);
  const ours = new Set(keyIdsOfPrivateKey(editor));
  const mine = head.packets.filter((p) => ours.has(p.keyId));
  if (mine.length === 0) {
    throw new NotForThisKeyError(
      editor.fingerprint,
      head.packets.map((p) => p.keyId),
    );
  }
  let sessionKey: Awaited<ReturnType<typeof decryptSessionKeys>>[number] | undefined;
  try {
    const packets = await PacketList.fromBinary(
      Buffer.concat(mine.map((p) => bytes.subarray(p.start, p.end))),
      // openpgp.js looks packet classes up by tag in a plain object (its types say Map).
      { [TAG.pkesk]: PublicKeyEncryptedSessionKeyPacket } as unknown as Map<enums.packet, object>,
    );
    [sessionKey] = await decryptSessionKeys({ message: new Message(packets), decryptionKeys: key });
  } catch (error) {
    throw new HostileValueError(
      `the recipient packet for your key could not be opened (${errorMessage(error)})`,
    );
  }
  if (!sessionKey || sessionKey.algorithm === null) {
    throw new HostileValueError("the recipient packet for your key holds no session key");
  }
  const extra = await encryptSessionKey({
    data: sessionKey.data,
    algorithm: sessionKey.algorithm as Parameters<typeof encryptSessionKey>[0]["algorithm"],
    encryptionKeys: [...keysOf(to)],
    format: "binary",
    config: GPG22_CONFIG,
  });
  return Buffer.concat([bytes.subarray(0, head.dataStart), extra, bytes.subarray(head.dataStart)]);
}

/**
 * Drops the recipient packets that name any of `keyIds`. Null when there is none; "last" when
 * nothing else would remain (the part would be readable by nobody).
 */
export function removeRecipients(
  bytes: Uint8Array,
  keyIds: ReadonlySet<string>,
): Uint8Array | null | "last" {
  const head = readHead(bytes);
  const dropped = head.packets.filter((p) => keyIds.has(p.keyId));
  if (dropped.length === 0) return null;
  if (dropped.length === head.packets.length) return "last";
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const packet of dropped) {
    pieces.push(bytes.subarray(from, packet.start));
    from = packet.end;
  }
  pieces.push(bytes.subarray(from));
  return Buffer.concat(pieces);
}

/** What a recipient packet names for the one key of a keyring (the new editor's). */
export function recipientOfKey(keyring: EditorKeyring): Recipient {
  const [editor] = keyring.editors;
  if (!editor || keyring.editors.length !== 1) throw new Error("expected a keyring of one key");
  return { fingerprint: editor.fingerprint, keyId: editor.encryptionKeyId };
}
