// The editors' key set the bot last started with: fingerprints, user ids, confirmed or not.
// Public data (services/crypto/key-set.ts decides what a change means).
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "./db.js";
import { editorKeys } from "./schema.js";

export interface StoredEditorKey {
  fingerprint: string;
  userIds: string[];
  confirmed: boolean;
  addedOn: string;
}

export function createEditorKeysRepository({ db }: { db: Db }) {
  return {
    async list(): Promise<StoredEditorKey[]> {
      const rows = await db.select().from(editorKeys).orderBy(editorKeys.fingerprint);
      return rows.map((row) => ({
        ...row,
        userIds: Array.isArray(row.userIds) ? row.userIds.map(String) : [],
      }));
    },

    /** Keys that appeared (ignored if another instance recorded them first). */
    async add(keys: StoredEditorKey[]): Promise<void> {
      if (keys.length === 0) return;
      await db.insert(editorKeys).values(keys).onConflictDoNothing();
    },

    async remove(fingerprints: string[]): Promise<void> {
      if (fingerprints.length === 0) return;
      await db.delete(editorKeys).where(inArray(editorKeys.fingerprint, fingerprints));
    },

    /** True when this call confirmed it (false: unknown, or confirmed already). */
    async confirm(fingerprint: string): Promise<boolean> {
      const rows = await db
        .update(editorKeys)
        .set({ confirmed: true })
        .where(and(eq(editorKeys.fingerprint, fingerprint), eq(editorKeys.confirmed, false)))
        .returning({ fingerprint: editorKeys.fingerprint });
      return rows.length > 0;
    },
  };
}

export type EditorKeysRepository = ReturnType<typeof createEditorKeysRepository>;
