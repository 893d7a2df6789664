// The alarm on a changed editors' key set (DESIGN §3.12). At start the bot compares EDITOR_KEYS
// with the set it last started with: a removed key is said, an added one is said and receives
// nothing until an editor confirms it in the editors' chat (bot/features/editor-keys.ts).
// Confirmations go to the audit table. The very first start trusts the set it is given.

import type { AuditRepository } from "../../storage/audit.repo.js";
import type { EditorKeysRepository } from "../../storage/editor-keys.repo.js";
import type { EditorKeyInfo, LiveKeyring } from "./editor-keys.js";

/** Refuses a start where no key would be left to encrypt to. */
export class KeySetError extends Error {
  override readonly name = "KeySetError";
}

export interface KeySetChange {
  added: { fingerprint: string; userIds: string[] }[];
  removed: { fingerprint: string; userIds: string[] }[];
  /** Added now or earlier, still waiting for an editor's confirmation. */
  pending: { fingerprint: string; userIds: string[] }[];
}

export interface KeyListEntry {
  fingerprint: string;
  userIds: readonly string[];
  confirmed: boolean;
}

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function createKeySetService(deps: {
  repo: EditorKeysRepository;
  audit: Pick<AuditRepository, "record">;
  live: LiveKeyring;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const all = deps.live.all.editors;
  const info = (e: EditorKeyInfo) => ({ fingerprint: e.fingerprint, userIds: [...e.userIds] });
  let confirmed = new Set<string>();

  /** Puts in use the keys of EDITOR_KEYS that the stored set has confirmed. */
  async function refresh(): Promise<void> {
    const stored = await deps.repo.list();
    confirmed = new Set(stored.filter((k) => k.confirmed).map((k) => k.fingerprint));
    deps.live.use(all.filter((e) => confirmed.has(e.fingerprint)).map((e) => e.fingerprint));
  }

  return {
    /**
     * Compares EDITOR_KEYS with the stored set and records the new one; the keys in use are then
     * the confirmed ones. Throws KeySetError when none of them is confirmed.
     */
    async reconcile(): Promise<KeySetChange> {
      const stored = await deps.repo.list();
      const day = dayOf(now());
      if (stored.length === 0) {
        // First start: the set the operator installed is the trusted one.
        await deps.repo.add(all.map((e) => ({ ...info(e), confirmed: true, addedOn: day })));
        await refresh();
        return { added: [], removed: [], pending: [] };
      }
      const given = new Set(all.map((e) => e.fingerprint));
      const known = new Set(stored.map((k) => k.fingerprint));
      const removed = stored.filter((k) => !given.has(k.fingerprint));
      const added = all.filter((e) => !known.has(e.fingerprint));
      // Checked before anything is written: a refused start leaves the stored set as it was.
      if (!stored.some((k) => k.confirmed && given.has(k.fingerprint))) {
        throw new KeySetError(
          "EDITOR_KEYS: none of these keys was confirmed by the editors, so testimonies would " +
            "reach nobody they trust; keep at least one key of the set the bot last started " +
            "with until an editor confirms the new ones in the editors' chat",
        );
      }
      await deps.repo.remove(removed.map((k) => k.fingerprint));
      await deps.repo.add(added.map((e) => ({ ...info(e), confirmed: false, addedOn: day })));
      await refresh();
      return {
        added: added.map(info),
        removed: removed.map((k) => ({ fingerprint: k.fingerprint, userIds: k.userIds })),
        pending: all.filter((e) => !confirmed.has(e.fingerprint)).map(info),
      };
    },

    /** Another instance may have confirmed a key: picks that up (called every minute). */
    refresh,

    /**
     * An editor confirms an added key: from now on new answers are encrypted to it too. Logged
     * in the audit table with the editor's hash and the day.
     */
    async confirm(
      fingerprint: string,
      actorHash: string,
    ): Promise<"confirmed" | "already" | "unknown"> {
      if (!all.some((e) => e.fingerprint === fingerprint)) return "unknown";
      if (!(await deps.repo.confirm(fingerprint))) {
        await refresh();
        return confirmed.has(fingerprint) ? "already" : "unknown";
      }
      await deps.audit.record({
        action: "key-confirmed",
        submissionNumber: null,
        detail: fingerprint,
        actorHash,
        day: dayOf(now()),
      });
      await refresh();
      return "confirmed";
    },

    /** Every key of EDITOR_KEYS and whether it is in use (for /keys). */
    list(): KeyListEntry[] {
      return all.map((e) => ({
        fingerprint: e.fingerprint,
        userIds: e.userIds,
        confirmed: confirmed.has(e.fingerprint),
      }));
    },
  };
}

export type KeySetService = ReturnType<typeof createKeySetService>;
