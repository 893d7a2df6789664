// Tables. Nothing here holds plaintext answers or Telegram identifiers: answers are OpenPGP
// ciphertext, users appear only as HMAC(pepper, id), and times are days.

import {
  customType,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  serial,
  text,
  uuid,
} from "drizzle-orm/pg-core";

/** One bytea type for both drivers: postgres-js gives Buffer, PGlite gives Uint8Array. */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  fromDriver: (value) => {
    if (typeof value === "string") {
      // Text form "\x…" if a driver ever hands it over undecoded.
      return new Uint8Array(Buffer.from((value as string).replace(/^\\x/, ""), "hex"));
    }
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  },
});

/** Per-user settings, keyed by HMAC(pepper, Telegram user id). */
export const preferences = pgTable("preferences", {
  userHash: text("user_hash").primaryKey(),
  locale: text("locale").notNull(),
});

/** An interview in progress. Deleted at submit, cancel, /forget or expiry. */
export const drafts = pgTable("drafts", {
  id: uuid("id").primaryKey().defaultRandom(),
  userHash: text("user_hash").notNull().unique(),
  questionnaireVersion: integer("questionnaire_version").notNull(),
  locale: text("locale").notNull(),
  /** Question id the source is on, or a step name such as "review". */
  position: text("position").notNull(),
  /** Navigation state (branching choices, message ids to wipe), sealed with a per-user key. */
  sealedState: bytea("sealed_state").notNull(),
  createdOn: date("created_on").notNull(),
  expiresOn: date("expires_on").notNull(),
});

export const submissions = pgTable("submissions", {
  id: uuid("id").primaryKey().defaultRandom(),
  /** Short number editors talk about ("#12"). */
  number: serial("number").notNull().unique(),
  questionnaireVersion: integer("questionnaire_version").notNull(),
  locale: text("locale").notNull(),
  status: text("status").notNull().default("new"),
  /** Optional short public note editors attach to a status; OpenPGP-sealed for the source. */
  statusNote: bytea("status_note"),
  createdOn: date("created_on").notNull(),
  /** scrypt(codename) for lookup; the codename itself is never stored. */
  codenameHash: text("codename_hash").notNull().unique(),
  replyPublicKey: bytea("reply_public_key").notNull(),
  /** The reply private key, protected with the codename as passphrase. */
  replyPrivateKey: bytea("reply_private_key").notNull(),
});

/**
 * Every encrypted piece of a testimony: answers, attachment descriptions, follow-ups, replies.
 * A part belongs to a draft while the interview runs and to a submission afterwards.
 */
export const parts = pgTable(
  "parts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    draftId: uuid("draft_id").references(() => drafts.id, { onDelete: "cascade" }),
    submissionId: uuid("submission_id").references(() => submissions.id, {
      onDelete: "cascade",
    }),
    questionId: text("question_id").notNull(),
    /** "answer" | "attachment" | "followup" | "reply" */
    kind: text("kind").notNull(),
    seq: integer("seq").notNull(),
    ciphertext: bytea("ciphertext").notNull(),
    /** For attachments: the encrypted file body lives in attachment_chunks. */
    attachmentId: uuid("attachment_id"),
    createdOn: date("created_on").notNull(),
  },
  (t) => [index("parts_draft_idx").on(t.draftId), index("parts_submission_idx").on(t.submissionId)],
);

/** Encrypted file bodies, stored in chunks so a 20 MB file never sits in one row or one buffer. */
export const attachmentChunks = pgTable(
  "attachment_chunks",
  {
    attachmentId: uuid("attachment_id").notNull(),
    seq: integer("seq").notNull(),
    data: bytea("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.attachmentId, t.seq] })],
);

export const schema = { preferences, drafts, submissions, parts, attachmentChunks };
