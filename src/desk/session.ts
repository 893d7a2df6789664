// The review desk's state: the unlocked key and the testimonies decrypted with it, in this
// process's memory only. Locking (or closing the desk) forgets both. Nothing here writes
// plaintext to disk except save(), which the editor asks for.
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import path from "node:path";
import { ArchiveError } from "../services/archive/tar-header.js";
import {
  openArchive,
  outlineTestimony,
  type Testimony,
  type TestimonyItem,
  type TestimonyOutline,
} from "../services/archive/testimony.js";
import { writeTestimonyFolder } from "../services/archive/testimony-folder.js";
import {
  DecryptionError,
  decryptWithUnlockedKey,
  NotForThisKeyError,
  privateKeyNeedsPassphrase,
  type UnlockedPrivateKey,
  unlockPrivateKey,
  WrongPassphraseError,
} from "../services/crypto/decrypt.js";
import { formatFingerprint } from "../services/crypto/editor-keys.js";
import type { Questionnaire } from "../services/interview/questionnaire.js";
import type { Locale } from "../services/locale.js";
import { isStatus } from "../services/submissions/editorial.js";
import type { DeskSource, DeskWork, InboxEntry } from "./sources.js";

/** Notes and replies: the same bound as an answer (MAX_TEXT_LENGTH's default). */
export const MAX_DESK_TEXT = 20_000;
/** Newest submissions tried when checking that a key fits (stops at the first that opens). */
const KEY_CHECK_SAMPLES = 20;
/** Decrypted testimonies kept for quick re-opening; older ones are decrypted again. */
const CACHE_ENTRIES = 12;
const CACHE_BYTES = 256 * 1024 * 1024;

/** A refusal the page can show: HTTP status, a message code (desk-error-<code>) and its values. */
export class DeskError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(code);
    this.name = "DeskError";
  }
}

export interface DeskState {
  unlocked: boolean;
  readOnly: boolean;
  source: "archives" | "database";
  archives?: number;
  problems: string[];
  /** The --key file's name: the page then asks only for the passphrase. */
  keyFile?: string;
  fingerprint?: string;
}

export interface DeskSessionOptions {
  source: DeskSource;
  questionnaire: Questionnaire;
  /** From --key: armored, still protected by its passphrase. */
  privateKey?: { armored: string; fileName: string };
  /** Forget the key after this long without a request (0: never). */
  idleLockMs?: number;
  now?: () => number;
}

export function createDeskSession(options: DeskSessionOptions) {
  const { source, questionnaire } = options;
  const now = options.now ?? Date.now;
  let key: UnlockedPrivateKey | undefined;
  let lastActivity = now();
  // Promise per submission, so two requests for one testimony decrypt it once. Map order = age.
  const cache = new Map<number, { testimony: Promise<Testimony>; bytes: number }>();

  const lock = () => {
    key = undefined;
    cache.clear();
  };

  const requireKey = (): UnlockedPrivateKey => {
    if (!key) throw new DeskError(401, "locked");
    return key;
  };

  const requireWork = (): DeskWork => {
    if (!source.work) throw new DeskError(403, "read-only");
    return source.work;
  };

  /** The editor as the audit table knows them: a hash of the key, never a name. */
  const actorHash = () =>
    createHash("sha256").update(`desk:${requireKey().fingerprint}`).digest("hex");

  async function checkKeyFits(candidate: UnlockedPrivateKey): Promise<void> {
    const newest = (await source.list()).sort((a, b) => b.number - a.number);
    let refusal: NotForThisKeyError | undefined;
    for (const entry of newest.slice(0, KEY_CHECK_SAMPLES)) {
      const sample = await source.samplePart(entry.number);
      if (!sample) continue;
      try {
        await decryptWithUnlockedKey(candidate, sample);
        return;
      } catch (error) {
        if (error instanceof NotForThisKeyError) refusal ??= error;
        // A damaged part says nothing about the key: try the next one.
      }
    }
    if (refusal) throw notForKey(refusal);
  }

  async function decrypt(number: number, unlocked: UnlockedPrivateKey): Promise<Testimony> {
    const archive = await source.archive(number);
    if (!archive) throw new DeskError(404, "not-found", { number });
    try {
      return await openArchive(archive, unlocked);
    } catch (error) {
      if (error instanceof NotForThisKeyError) throw notForKey(error);
      if (error instanceof ArchiveError || error instanceof DecryptionError) {
        throw new DeskError(422, "damaged", { reason: error.message });
      }
      throw error;
    }
  }

  async function testimony(number: number): Promise<Testimony> {
    const unlocked = requireKey();
    const cached = cache.get(number);
    if (cached) {
      cache.delete(number);
      cache.set(number, cached);
      return cached.testimony;
    }
    const entry = { testimony: decrypt(number, unlocked), bytes: 0 };
    cache.set(number, entry);
    try {
      const opened = await entry.testimony;
      entry.bytes = opened.items.reduce(
        (sum, item) => sum + (item.attachment?.bytes.length ?? 0),
        0,
      );
    } catch (error) {
      cache.delete(number);
      throw error;
    }
    trimCache();
    return entry.testimony;
  }

  function trimCache() {
    let total = [...cache.values()].reduce((sum, entry) => sum + entry.bytes, 0);
    for (const [number, entry] of cache) {
      if (cache.size <= 1 || (cache.size <= CACHE_ENTRIES && total <= CACHE_BYTES)) break;
      cache.delete(number);
      total -= entry.bytes;
    }
  }

  function checkedText(text: unknown): string {
    const value = typeof text === "string" ? text.trim() : "";
    if (!value) throw new DeskError(400, "empty");
    if (value.length > MAX_DESK_TEXT) throw new DeskError(400, "too-long", { max: MAX_DESK_TEXT });
    return value;
  }

  return {
    /** Forgets the key if the desk was idle longer than idleLockMs (checked often). */
    expireIfIdle() {
      if (key && options.idleLockMs && now() - lastActivity > options.idleLockMs) lock();
    },

    /** Every request the page makes counts as activity. */
    touch() {
      this.expireIfIdle();
      lastActivity = now();
    },

    state(): DeskState {
      return {
        unlocked: key !== undefined,
        readOnly: source.work === undefined,
        source: source.kind,
        archives: source.archives,
        problems: source.problems,
        keyFile: options.privateKey?.fileName,
        fingerprint: key ? formatFingerprint(key.fingerprint) : undefined,
      };
    },

    /** `armored`: the key file read by the page, or undefined to use --key. */
    async unlock(armored: unknown, passphrase: unknown): Promise<DeskState> {
      const keyText =
        typeof armored === "string" && armored ? armored : options.privateKey?.armored;
      if (!keyText) throw new DeskError(400, "no-key");
      if (typeof passphrase !== "string") throw new DeskError(400, "no-passphrase");
      let candidate: UnlockedPrivateKey;
      try {
        // A key kept without a passphrase opens with none; a protected one needs it.
        if (passphrase === "" && (await privateKeyNeedsPassphrase(keyText))) {
          throw new DeskError(400, "no-passphrase");
        }
        candidate = await unlockPrivateKey(keyText, passphrase);
      } catch (error) {
        if (error instanceof WrongPassphraseError) throw new DeskError(401, "wrong-passphrase");
        if (error instanceof DecryptionError) throw new DeskError(400, "not-a-key");
        throw error;
      }
      await checkKeyFits(candidate);
      lock();
      key = candidate;
      return this.state();
    },

    lock,

    async inbox(): Promise<InboxEntry[]> {
      requireKey();
      return (await source.list()).sort((a, b) => b.number - a.number);
    },

    async outline(number: number, locale: Locale): Promise<TestimonyOutline> {
      return outlineTestimony(await testimony(number), locale, questionnaire);
    },

    testimony,

    /** An attachment by its index among the testimony's items. */
    async attachment(number: number, index: number): Promise<TestimonyItem> {
      const item = (await testimony(number)).items[index];
      if (!item?.attachment) throw new DeskError(404, "not-found", { number });
      return item;
    },

    async setStatus(number: number, status: unknown): Promise<void> {
      const work = requireWork();
      if (!isStatus(status)) throw new DeskError(400, "other", { reason: "unknown status" });
      if (!(await work.setStatus(number, status, actorHash()))) {
        throw new DeskError(404, "not-found", { number });
      }
      const cached = cache.get(number);
      if (cached) {
        const opened = await cached.testimony.catch(() => undefined);
        if (opened) opened.manifest.status = status;
      }
    },

    async addNote(number: number, text: unknown): Promise<void> {
      const work = requireWork();
      const note = checkedText(text);
      if (!(await work.addNote(number, note, actorHash()))) {
        throw new DeskError(404, "not-found", { number });
      }
      cache.delete(number); // opened again with the new part on the next view
    },

    async reply(number: number, text: unknown): Promise<{ noticeRequested: boolean }> {
      const work = requireWork();
      const reply = checkedText(text);
      const result = await work.reply(number, reply, actorHash());
      if (!result.stored) throw new DeskError(404, "not-found", { number });
      cache.delete(number);
      return { noticeRequested: result.noticeRequested };
    },

    /** Writes submission-N/ (testimony.md, attachments/, meta.json) as plaintext: on request only. */
    async save(number: number, folder: unknown, locale: Locale): Promise<string> {
      const opened = await testimony(number);
      const target = resolveFolder(folder);
      try {
        return await writeTestimonyFolder(opened, target, locale);
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new DeskError(400, "save", { folder: target, reason });
      }
    },

    async close(): Promise<void> {
      lock();
      await source.close();
    },
  };
}

export type DeskSession = ReturnType<typeof createDeskSession>;

function notForKey(error: NotForThisKeyError): DeskError {
  return new DeskError(403, "not-for-key", {
    fingerprint: formatFingerprint(error.fingerprint),
    // Primary fingerprints (as /keys prints them) when the archive's manifest names them.
    recipients:
      error.recipientFingerprints.length > 0
        ? error.recipientFingerprints.map(formatFingerprint).join("; ")
        : error.recipientKeyIds.join(", "),
  });
}

/** "~/x" and absolute paths; a relative path would depend on where the desk was started. */
function resolveFolder(folder: unknown): string {
  if (typeof folder !== "string" || folder.trim() === "") throw new DeskError(400, "folder");
  const trimmed = folder.trim();
  const expanded =
    trimmed === "~" || trimmed.startsWith("~/") ? path.join(homedir(), trimmed.slice(1)) : trimmed;
  if (!path.isAbsolute(expanded)) throw new DeskError(400, "folder");
  return path.normalize(expanded);
}
