// How much is stored: in all (the storage limit) and added to one submission through its
// codename (per-testimony limits). Counted from the rows themselves, so no counter, and nothing
// that says who, is kept anywhere.
import { and, count, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { attachmentChunks, parts } from "./schema.js";

/** The question id follow-ups are stored under (see submissions.addFollowUp). */
const FOLLOWUP = "followup";

export function createUsageRepository({ db }: { db: Db }) {
  return {
    /** Bytes of ciphertext stored: attachment bodies and every part. */
    async totalBytes(): Promise<number> {
      const [chunks] = await db
        .select({ n: sql<string>`coalesce(sum(octet_length(${attachmentChunks.data})), 0)` })
        .from(attachmentChunks);
      const [rows] = await db
        .select({ n: sql<string>`coalesce(sum(octet_length(${parts.ciphertext})), 0)` })
        .from(parts);
      return Number(chunks?.n ?? 0) + Number(rows?.n ?? 0);
    },

    /** What the source added to a submission: files and their bytes in all, messages on `day`. */
    async additions(
      submissionId: string,
      day: string,
    ): Promise<{ files: number; bytes: number; messagesToday: number }> {
      const ofSubmission = and(
        eq(parts.submissionId, submissionId),
        eq(parts.questionId, FOLLOWUP),
      );
      const [files] = await db
        .select({ n: count() })
        .from(parts)
        .where(and(ofSubmission, isNotNull(parts.attachmentId)));
      const [today] = await db
        .select({ n: count() })
        .from(parts)
        .where(and(ofSubmission, eq(parts.createdOn, day)));
      const attachmentIds = db
        .select({ id: parts.attachmentId })
        .from(parts)
        .where(and(ofSubmission, isNotNull(parts.attachmentId)));
      const [bytes] = await db
        .select({ n: sql<string>`coalesce(sum(octet_length(${attachmentChunks.data})), 0)` })
        .from(attachmentChunks)
        .where(inArray(attachmentChunks.attachmentId, attachmentIds));
      return {
        files: Number(files?.n ?? 0),
        bytes: Number(bytes?.n ?? 0),
        messagesToday: Number(today?.n ?? 0),
      };
    },
  };
}

export type UsageRepository = ReturnType<typeof createUsageRepository>;
