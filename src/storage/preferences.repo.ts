import { eq } from "drizzle-orm";
import type { Db } from "./db.js";
import { preferences } from "./schema.js";

export function createPreferencesRepository({ db }: { db: Db }) {
  return {
    async findLocale(userHash: string): Promise<string | undefined> {
      const rows = await db
        .select({ locale: preferences.locale })
        .from(preferences)
        .where(eq(preferences.userHash, userHash));
      return rows[0]?.locale;
    },
    async saveLocale(userHash: string, locale: string): Promise<void> {
      await db
        .insert(preferences)
        .values({ userHash, locale })
        .onConflictDoUpdate({ target: preferences.userHash, set: { locale } });
    },
    async forget(userHash: string): Promise<void> {
      await db.delete(preferences).where(eq(preferences.userHash, userHash));
    },
  };
}

export type PreferencesRepository = ReturnType<typeof createPreferencesRepository>;
