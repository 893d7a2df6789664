// Tables. Nothing here holds plaintext answers or Telegram identifiers: answers are OpenPGP
// ciphertext, users appear only as HMAC(pepper, id), and times are days.

import {
  boolean,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  unique,
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

/**
 * An interview in progress. Deleted at submit, cancel, /forget or expiry. UNLOGGED (migration
 * 0004): its lookup key and sealed state never reach the write-ahead log, so no WAL segment,
 * base backup or replica holds them; a crash of the database empties it.
 */
export const drafts = pgTable("drafts", {
  id: uuid("id").primaryKey().defaultRandom(),
  /**
   * A memory-hard derivation of the Telegram id (services/sources/keys.ts); the row, and so the
   * key, exists only while the interview is in progress.
   */
  userHash: text("user_hash").notNull().unique(),
  questionnaireVersion: integer("questionnaire_version").notNull(),
  locale: text("locale").notNull(),
  /** Only in drafts from before the position moved into the sealed state; null otherwise. */
  position: text("position"),
  /** Navigation state (position, branching choices, part ids), sealed with a per-source key. */
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
  /** Editors have not been told about it yet (notices go out in batches: DESIGN §7.4). */
  notified: boolean("notified").notNull().default(true),
  /** The source's additions since the editors were last told (a count, no content). */
  unnotifiedAdditions: integer("unnotified_additions").notNull().default(0),
  /** The editors' chat message that shows this submission, to refresh its counts. */
  noticeMessageId: integer("notice_message_id"),
});

/**
 * Every encrypted piece of a testimony: answers, attachment descriptions, follow-ups, replies.
 * Written to the (logged) table as it arrives, with no owner while the interview runs: the only
 * links to its draft are unlogged (the draft's sealed state and draft_parts). The submission
 * claims its parts at submit; parts no draft links are swept.
 */
export const parts = pgTable(
  "parts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    submissionId: uuid("submission_id").references(() => submissions.id, {
      onDelete: "cascade",
    }),
    /**
     * Only "followup", "reply" or "note", and in parts from before question ids moved inside the
     * ciphertext; null for answers.
     */
    questionId: text("question_id"),
    /** See PartKind: "text" | "choice" | "attachment" | "followup" | "reply" | "note" */
    kind: text("kind").notNull(),
    seq: integer("seq").notNull(),
    ciphertext: bytea("ciphertext").notNull(),
    /** For attachments: the encrypted file body lives in attachment_chunks. */
    attachmentId: uuid("attachment_id"),
    createdOn: date("created_on").notNull(),
    /**
     * Who can read it (the ciphertext and, for attachments, the file body): the editors' primary
     * fingerprints and the encryption subkey ids their packets name, `[{ fingerprint, keyId }]`.
     * Public key data only. Null in parts from before it was kept (their packets name key ids).
     */
    recipients: jsonb("recipients"),
  },
  (t) => [index("parts_submission_idx").on(t.submissionId)],
);

/**
 * Which parts belong to which draft, in order, while the interview runs. UNLOGGED like drafts:
 * the sealed state lists the parts too, but only the source's key opens it, and sweeping the
 * parts of an expired or crashed draft must not need that key. Goes with its draft (cascade).
 */
export const draftParts = pgTable(
  "draft_parts",
  {
    partId: uuid("part_id")
      .primaryKey()
      .references(() => parts.id, { onDelete: "cascade" }),
    draftId: uuid("draft_id")
      .notNull()
      .references(() => drafts.id, { onDelete: "cascade" }),
    /** The part's place in the draft; becomes parts.seq when the submission claims it. */
    seq: integer("seq").notNull(),
  },
  (t) => [index("draft_parts_draft_idx").on(t.draftId)],
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

/** What editors and admins did: action, submission number, day, actor as a hash. No content. */
export const audit = pgTable("audit", {
  id: serial("id").primaryKey(),
  action: text("action").notNull(),
  submissionNumber: integer("submission_number"),
  /** e.g. the new status, a guidance version, counts. Never content. */
  detail: text("detail"),
  actorHash: text("actor_hash"),
  day: date("day").notNull(),
});

/**
 * People who opted in to guidance broadcasts: the chat id sealed with the server key, an HMAC
 * for de-duplication, the locale. Never linked to drafts or submissions.
 */
export const subscribers = pgTable("subscribers", {
  id: uuid("id").primaryKey().defaultRandom(),
  chatHash: text("chat_hash").notNull().unique(),
  sealedChatId: bytea("sealed_chat_id").notNull(),
  locale: text("locale").notNull(),
});

/** Guidance texts written by admins, per locale, every version kept. Public information. */
export const guidance = pgTable(
  "guidance",
  {
    id: serial("id").primaryKey(),
    locale: text("locale").notNull(),
    version: integer("version").notNull(),
    text: text("text").notNull(),
    /** Telegram message entities (formatting) of the text. */
    entities: jsonb("entities").notNull().default([]),
    createdOn: date("created_on").notNull(),
  },
  (t) => [unique("guidance_locale_version").on(t.locale, t.version)],
);

/** A broadcast job: what to send per locale, and its progress. */
export const broadcasts = pgTable("broadcasts", {
  id: serial("id").primaryKey(),
  /** "running" | "done" | "cancelled" */
  status: text("status").notNull().default("running"),
  /** Per locale: { text, entities }. */
  messages: jsonb("messages").notNull(),
  /** The admin chat and message that show progress. */
  progressChatId: text("progress_chat_id"),
  progressMessageId: integer("progress_message_id"),
  /** A 429 pauses the whole job until then. */
  pausedUntil: timestamp("paused_until", { withTimezone: true }),
  sent: integer("sent").notNull().default(0),
  failed: integer("failed").notNull().default(0),
  unsubscribed: integer("unsubscribed").notNull().default(0),
  total: integer("total").notNull().default(0),
  createdOn: date("created_on").notNull(),
});

/** One row per subscriber of a running broadcast; deleted when the broadcast ends. */
export const deliveries = pgTable(
  "deliveries",
  {
    id: serial("id").primaryKey(),
    broadcastId: integer("broadcast_id")
      .notNull()
      .references(() => broadcasts.id, { onDelete: "cascade" }),
    subscriberId: uuid("subscriber_id").notNull(),
    /** "pending" | "sending" | "sent" | "failed" */
    state: text("state").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** Not before this time (back-off), and the lease of an instance that took the row. */
    notBefore: timestamp("not_before", { withTimezone: true }),
  },
  (t) => [
    index("deliveries_pending_idx").on(t.broadcastId, t.state),
    unique("deliveries_once").on(t.broadcastId, t.subscriberId),
  ],
);

/**
 * One instance at a time handles a source's update (several instances share one PostgreSQL):
 * a lease, taken while the update is loaded, handled and saved, deleted right after. UNLOGGED
 * (migration 0003): nothing of it reaches the write-ahead log, and a crash empties it.
 */
export const sourceLocks = pgTable("source_locks", {
  /** A memory-hard derivation of the source's id (services/sources/keys.ts). */
  key: text("key").primaryKey(),
  /** A random token of the acquisition, so only its holder releases or renews it. */
  holder: text("holder").notNull(),
  until: timestamp("until", { withTimezone: true }).notNull(),
});

/**
 * Abuse limits shared by the instances (flood, wrong codenames): a count per source and purpose
 * in a window that starts with the first hit. UNLOGGED like source_locks; a row goes once its
 * window is over (swept every minute, and reset in place by the next hit).
 */
export const rateLimits = pgTable("rate_limits", {
  /** A memory-hard derivation of the source's id, distinct per purpose (source-keys.ts). */
  key: text("key").primaryKey(),
  count: integer("count").notNull(),
  /** Whole seconds: the row says no more about when than its window needs. */
  windowEnds: timestamp("window_ends", { withTimezone: true }).notNull(),
});

/**
 * The editors' key set the bot last started with (public data). A key that appeared since stays
 * unconfirmed, and receives nothing, until an editor confirms it in the editors' chat.
 */
export const editorKeys = pgTable("editor_keys", {
  fingerprint: text("fingerprint").primaryKey(),
  /** The key's user ids (names and addresses of editors), as the key file gives them. */
  userIds: jsonb("user_ids").notNull().default([]),
  confirmed: boolean("confirmed").notNull(),
  addedOn: date("added_on").notNull(),
});

export const schema = {
  drafts,
  submissions,
  parts,
  draftParts,
  attachmentChunks,
  audit,
  subscribers,
  guidance,
  broadcasts,
  deliveries,
  sourceLocks,
  rateLimits,
  editorKeys,
};
