// Guidance texts per locale; every version is kept, numbered 1, 2, 3… within its locale.
import { and, desc, eq, max } from "drizzle-orm";
import type { Db } from "./db.js";
import { guidance } from "./schema.js";

export type GuidanceRow = typeof guidance.$inferSelect;

/** PostgreSQL's unique_violation: two admins published the same version number at once. */
const UNIQUE_VIOLATION = "23505";

export function createGuidanceRepository({ db }: { db: Db }) {
  const latest = async (locale: string): Promise<GuidanceRow | undefined> => {
    const rows = await db
      .select()
      .from(guidance)
      .where(eq(guidance.locale, locale))
      .orderBy(desc(guidance.version))
      .limit(1);
    return rows[0];
  };

  return {
    /** Stores a new version (the previous highest + 1) and returns it. */
    async publish(values: Omit<GuidanceRow, "id" | "version">): Promise<GuidanceRow> {
      for (let attempt = 0; ; attempt++) {
        try {
          return await db.transaction(async (tx) => {
            const [top] = await tx
              .select({ version: max(guidance.version) })
              .from(guidance)
              .where(eq(guidance.locale, values.locale));
            const version = (top?.version ?? 0) + 1;
            const [row] = await tx
              .insert(guidance)
              .values({ ...values, version })
              .returning();
            if (!row) throw new Error("guidance insert returned nothing");
            return row;
          });
        } catch (error) {
          if (attempt >= 3 || !isUniqueViolation(error)) throw error;
        }
      }
    },
    latest,
    async find(locale: string, version: number): Promise<GuidanceRow | undefined> {
      const rows = await db
        .select()
        .from(guidance)
        .where(and(eq(guidance.locale, locale), eq(guidance.version, version)));
      return rows[0];
    },
  };
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === UNIQUE_VIOLATION) return true;
  }
  return false;
}

export type GuidanceRepository = ReturnType<typeof createGuidanceRepository>;
