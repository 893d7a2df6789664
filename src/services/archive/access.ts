// Who can read the stored testimonies, changed on an editor's own computer: grant every part the
// editor can open to a new editor's key, or revoke a departed editor's key from every part
// (`npm run editor -- grant / revoke`, src/cli/access-commands.ts). Only the recipient packets
// change (crypto/recipients.ts): no plaintext exists, the encrypted data stays byte for byte.

import type { PartHead, PartsRepository } from "../../storage/parts.repo.js";
import type { UnlockedPrivateKey } from "../crypto/decrypt.js";
import type { EditorKeyring } from "../crypto/editor-keys.js";
import {
  addRecipient,
  HostileValueError,
  keyIdsOfPrivateKey,
  parseRecipients,
  type Recipient,
  recipientKeyIdsInHead,
  recipientOfKey,
  removeRecipients,
} from "../crypto/recipients.js";

/** A stored value that grant or revoke refuses; says which part. Nothing was written. */
export class HostilePartError extends Error {
  override readonly name = "HostilePartError";
  constructor(
    readonly partId: string,
    reason: string,
  ) {
    super(`part ${partId}: ${reason}`);
  }
}

export interface AccessSummary {
  /** Parts in the store. */
  total: number;
  /** Parts now granted (or revoked). */
  changed: number;
  /** Parts that already were (grant: list the new key; revoke: did not list it). */
  unchanged: number;
  /** Parts the editor's key cannot open, by submission number (null: an interview in progress). */
  notYours: { partId: string; submissionNumber: number | null }[];
  /** Parts changed or deleted by someone else meanwhile (run again to finish them). */
  changedMeanwhile: number;
}

type Progress = (done: number, total: number) => void;

interface CheckedPart {
  part: PartHead;
  recipients: Recipient[] | null;
  keyIds: string[];
  firstChunk?: Uint8Array;
}

export function createAccessService(deps: {
  parts: Pick<PartsRepository, "scan" | "countAll" | "firstChunk" | "rewriteRecipients">;
  onProgress?: Progress;
}) {
  /** Reads and checks one part (its list, its packets, its attachment's first chunk). */
  async function check(part: PartHead): Promise<CheckedPart> {
    try {
      const recipients = parseRecipients(part.recipients);
      const keyIds = recipientKeyIdsInHead(part.ciphertext);
      let firstChunk: Uint8Array | undefined;
      if (part.attachmentId) {
        firstChunk = await deps.parts.firstChunk(part.attachmentId);
        if (!firstChunk) throw new HostileValueError("its file body is missing");
        const bodyIds = recipientKeyIdsInHead(firstChunk);
        if (!sameSet(bodyIds, keyIds)) {
          throw new HostileValueError("its file body and its description have other recipients");
        }
      }
      const listed = recipients ?? [];
      if (listed.some((r) => !keyIds.includes(r.keyId))) {
        throw new HostileValueError("its recipient list names a key its packets do not");
      }
      return { part, recipients, keyIds, firstChunk };
    } catch (error) {
      if (error instanceof HostileValueError) throw new HostilePartError(part.id, error.message);
      throw error;
    }
  }

  /**
   * Every part checked before anything is written: a hostile value stops the whole run with
   * nothing changed. Calls `visit` with what it collected along the way.
   */
  async function preflight(visit?: (part: CheckedPart) => void): Promise<number> {
    let total = 0;
    for await (const page of deps.parts.scan()) {
      for (const part of page) {
        // Checked whether or not anyone visits (`visit?.(…)` would skip evaluating the check).
        const checked = await check(part);
        visit?.(checked);
        total++;
      }
    }
    return total;
  }

  async function walk(
    total: number,
    change: (part: CheckedPart) => Promise<"changed" | "unchanged" | "not-yours" | "meanwhile">,
  ): Promise<AccessSummary> {
    const summary: AccessSummary = {
      total,
      changed: 0,
      unchanged: 0,
      notYours: [],
      changedMeanwhile: 0,
    };
    let done = 0;
    for await (const page of deps.parts.scan()) {
      for (const part of page) {
        const outcome = await change(await check(part));
        if (outcome === "changed") summary.changed++;
        else if (outcome === "unchanged") summary.unchanged++;
        else if (outcome === "meanwhile") summary.changedMeanwhile++;
        else {
          summary.notYours.push({
            partId: part.id,
            submissionNumber: part.submissionNumber ?? null,
          });
        }
        done++;
        deps.onProgress?.(done, total);
      }
    }
    return summary;
  }

  /** The list as it will be stored: the old one, or (older parts) what the packets name. */
  function listOf(checked: CheckedPart, editor: UnlockedPrivateKey): Recipient[] {
    if (checked.recipients) return checked.recipients;
    const own = new Set(keyIdsOfPrivateKey(editor));
    return checked.keyIds.map((keyId) => ({
      fingerprint: own.has(keyId) ? editor.fingerprint : null,
      keyId,
    }));
  }

  return {
    /** Adds `to` (a keyring of one key) as a reader of every part `editor` can open. */
    async grant(editor: UnlockedPrivateKey, to: EditorKeyring): Promise<AccessSummary> {
      const added = recipientOfKey(to);
      const own = new Set(keyIdsOfPrivateKey(editor));
      const total = await preflight();
      return walk(total, async (checked) => {
        if (checked.keyIds.includes(added.keyId)) return "unchanged";
        if (!checked.keyIds.some((id) => own.has(id))) return "not-yours";
        const { part, firstChunk } = checked;
        const ciphertext = await addRecipient(editor, to, part.ciphertext);
        const newChunk = firstChunk ? await addRecipient(editor, to, firstChunk) : undefined;
        const recipients = [...listOf(checked, editor), added];
        const written = await deps.parts.rewriteRecipients(
          { ...part, firstChunk },
          { ciphertext, firstChunk: newChunk, recipients },
        );
        return written ? "changed" : "meanwhile";
      });
    },

    /**
     * Drops the recipient packets of the key with primary fingerprint `fingerprint` from every
     * part `editor` can open too (so none is left readable by nobody). The key ids to drop are
     * those the stored lists give for that fingerprint; `fingerprint` unknown to every list:
     * `keyIds` is empty and nothing is written.
     */
    async revoke(
      editor: UnlockedPrivateKey,
      fingerprint: string,
    ): Promise<AccessSummary & { keyIds: string[] }> {
      if (fingerprint === editor.fingerprint) {
        throw new Error("that is your own key; another editor revokes it");
      }
      const keyIds = new Set<string>();
      const total = await preflight((checked) => {
        for (const r of checked.recipients ?? []) {
          if (r.fingerprint === fingerprint) keyIds.add(r.keyId);
        }
      });
      const own = new Set(keyIdsOfPrivateKey(editor));
      for (const id of own) keyIds.delete(id);
      if (keyIds.size === 0) {
        return {
          total,
          changed: 0,
          unchanged: total,
          notYours: [],
          changedMeanwhile: 0,
          keyIds: [],
        };
      }
      const summary = await walk(total, async (checked) => {
        if (!checked.keyIds.some((id) => keyIds.has(id))) return "unchanged";
        if (!checked.keyIds.some((id) => own.has(id))) return "not-yours";
        const { part, firstChunk } = checked;
        const ciphertext = removeRecipients(part.ciphertext, keyIds);
        const newChunk = firstChunk ? removeRecipients(firstChunk, keyIds) : undefined;
        // Never "last" or null here: the editor's own packet stays, and one of the ids is there.
        if (!(ciphertext instanceof Uint8Array)) return "unchanged";
        if (newChunk !== undefined && !(newChunk instanceof Uint8Array)) return "unchanged";
        const recipients = listOf(checked, editor).filter((r) => !keyIds.has(r.keyId));
        const written = await deps.parts.rewriteRecipients(
          { ...part, firstChunk },
          { ciphertext, firstChunk: newChunk, recipients },
        );
        return written ? "changed" : "meanwhile";
      });
      return { ...summary, keyIds: [...keyIds] };
    },
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

export type AccessService = ReturnType<typeof createAccessService>;
