// Drafts become submissions; codename receipts; what a source sees when they come back;
// follow-ups.
import { createHmac, randomBytes } from "node:crypto";
import type { DraftsRepository } from "../../storage/drafts.repo.js";
import type { PartsRepository } from "../../storage/parts.repo.js";
import type { SubmissionsRepository } from "../../storage/submissions.repo.js";
import { currentKeys, type EditorKeyring } from "../crypto/editor-keys.js";
import { encryptTextForEditors } from "../crypto/for-editors.js";
import { recipientsOf } from "../crypto/recipients.js";
import { createReplyKeyPair, decryptAllForSource } from "../crypto/reply-keys.js";
import { type AttachmentMeta, storeEncryptedAttachment } from "../interview/attachments.js";
import { type Draft, dayOf } from "../interview/draft.js";
import { ExpiringMap } from "../sources/limits.js";
import { createSlowWork, SLOW_WORK_CONCURRENCY, type SlowWork } from "../sources/slow-work.js";
import {
  type CodenameLocale,
  generateCodename,
  hashCodename,
  normaliseCodename,
} from "./codename.js";
import { createReadyReceipts, type MadeReceipt } from "./ready-receipts.js";

/**
 * Receipts kept ready per language: more than the sources who may send at the same moment (a
 * crowd's ~50 within seconds, all in one language). Each is a codename and two small keys in
 * memory; making 64 takes ~13 s of one core, spent only while no one waits for memory-hard work.
 */
export const RECEIPTS_AHEAD = 64;

/**
 * How long a login with a codename just issued skips its slow hash (the hash made at Send is
 * still in memory): a crowd that sends and then looks at its status at once would otherwise
 * queue one memory-hard hash per person again.
 */
export const JUST_ISSUED_MS = 15 * 60_000;

export const STATUSES = ["new", "in_review", "verified", "published", "rejected"] as const;
export type Status = (typeof STATUSES)[number];

export interface SubmissionReceipt {
  number: number;
  /** Shown once to the source, never stored. */
  codename: string;
  answers: number;
  attachments: number;
  questionnaireVersion: number;
  locale: string;
}

export interface SourceView {
  submissionId: string;
  status: string;
  createdOn: string;
  /** Editors' replies, decrypted with the codename, in memory only. */
  replies: string[];
  followUps: number;
  /** A short public note editors attached to the status, if any. */
  statusNote?: string;
}

export function createSubmissionsService(deps: {
  drafts: DraftsRepository;
  parts: PartsRepository;
  submissions: SubmissionsRepository;
  keyring: EditorKeyring;
  pepper: Uint8Array;
  /**
   * A draft went away: its dead row versions go now, the rest is scheduled (the scrubber's
   * drafts(); tests may leave it out).
   */
  scrubDrafts?: () => Promise<void>;
  /** Something for the editors' next notice (a submission or an addition). */
  onNews?: () => void;
  /**
   * Where the memory-hard work runs (share one with every other slow derivation). Per submit:
   * 1 scrypt + 2 S2K (the reply key's two packets); per codename login: 1 scrypt, plus 2 S2K
   * only if there are replies or a status note to open.
   */
  slowWork?: SlowWork;
  /**
   * Whether no source key is being derived now: receipts are made ahead only then (with the
   * slow-work queue idle too), so they never hold a core someone waits for.
   */
  derivationsIdle?: () => boolean;
  /** Receipts made ahead and kept ready per language (0: each is made at Send). */
  receiptsAhead?: number;
  onError?: (error: unknown) => void;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const slowWork = deps.slowWork ?? createSlowWork({ concurrency: SLOW_WORK_CONCURRENCY });
  const receiptsAhead = deps.receiptsAhead ?? RECEIPTS_AHEAD;
  // The reply key is dated by the real clock's day (crypto/internal.ts startOfDay).
  const keyDay = () => dayOf(new Date());
  const localeOf = (locale: string): CodenameLocale => (locale === "en" ? "en" : "ru");
  /**
   * Codenames issued in the last JUST_ISSUED_MS, as a tag keyed with a key of this process's
   * memory only, each with its slow hash (the one stored with the submission). Never the
   * codename itself, never written; a restart forgets them. A codename typed that is not among
   * them (a wrong guess included) costs the slow hash as ever.
   */
  const tagKey = randomBytes(32);
  const tagOf = (codename: string) =>
    createHmac("sha256", tagKey).update(normaliseCodename(codename)).digest("base64url");
  const justIssued = new ExpiringMap<string>(JUST_ISSUED_MS, () => now().getTime());
  /** At Send, with nothing ready: scrypt on the threadpool and the key's S2K in its worker at once. */
  const makeNow = async (locale: CodenameLocale): Promise<MadeReceipt> => {
    const codename = generateCodename(locale);
    const [codenameHash, replyKey] = await slowWork.run(() =>
      Promise.all([hashCodename(deps.pepper, codename), createReplyKeyPair(codename)]),
    );
    return { codename, codenameHash, replyKey, day: keyDay() };
  };
  const readyReceipts = createReadyReceipts({
    // Ahead of time, one after the other: one core at a time, the other stays with the event loop.
    make: (locale) =>
      slowWork.run(async () => {
        const codename = generateCodename(locale);
        const codenameHash = await hashCodename(deps.pepper, codename);
        const replyKey = await createReplyKeyPair(codename);
        return { codename, codenameHash, replyKey, day: keyDay() };
      }),
    idle: () =>
      slowWork.running === 0 && slowWork.waiting === 0 && (deps.derivationsIdle?.() ?? true),
    max: receiptsAhead,
    today: keyDay,
    onError: deps.onError,
  });

  return {
    /** An interview began: its receipt is made ahead, while the slow work is idle. */
    expectSubmission(locale: string): void {
      if (receiptsAhead > 0) readyReceipts.expect(localeOf(locale));
    },

    /** Receipts made ahead and not handed out yet. */
    get receiptsReady(): number {
      return readyReceipts.ready;
    },

    /** Makes no more receipts ahead, and forgets the ones made and the codenames just issued. */
    stop(): void {
      readyReceipts.stop();
      justIssued.clear();
    },

    /** Turns the draft into a submission no longer linked to the user, and makes its receipt. */
    async submit(draft: Draft): Promise<SubmissionReceipt & { submissionId: string }> {
      const locale = localeOf(draft.locale);
      const { codename, codenameHash, replyKey } =
        readyReceipts.take(locale) ?? (await makeNow(locale));
      const partRows = await deps.parts.listForDraft(draft.id);
      const createdOn = dayOf(now());
      // Logged: the submission row and its parts' new owner. The row holds no trace of the
      // draft; its commit time stays in the write-ahead log until the next rotation
      // (Storage.scrub, within seconds of the ending).
      const row = await deps.drafts.transaction(async (tx) => {
        const created = await deps.submissions.create(
          {
            // Editors hear of it with the next batch of notices, not at the source's click.
            notified: false,
            questionnaireVersion: draft.questionnaireVersion,
            locale: draft.locale,
            createdOn,
            codenameHash,
            replyPublicKey: replyKey.publicKey,
            replyPrivateKey: replyKey.encryptedPrivateKey,
          },
          tx,
        );
        await deps.parts.claimForSubmission(draft.id, { id: created.id, createdOn }, tx);
        await deps.drafts.delete(draft.id, tx);
        return created;
      });
      // The draft's dead row versions go before the source is told it was sent (and a whole
      // scrub, with the log's rotation, follows within seconds).
      await deps.scrubDrafts?.();
      deps.onNews?.();
      justIssued.set(tagOf(codename), codenameHash);
      return {
        submissionId: row.id,
        number: row.number,
        codename,
        answers: partRows.filter((p) => p.kind !== "attachment").length,
        attachments: partRows.filter((p) => p.kind === "attachment").length,
        questionnaireVersion: row.questionnaireVersion,
        locale: row.locale,
      };
    },

    /** The submission a codename opens, or undefined. Replies are decrypted here, in memory. */
    async openWithCodename(typed: string): Promise<SourceView | undefined> {
      const codename = normaliseCodename(typed);
      const hash =
        justIssued.get(tagOf(codename)) ??
        (await slowWork.run(() => hashCodename(deps.pepper, codename)));
      const row = await deps.submissions.findByCodenameHash(hash);
      if (!row) return undefined;
      const sealed = (await deps.parts.listForSubmission(row.id, ["reply"])).map(
        (part) => part.ciphertext,
      );
      if (row.statusNote) sealed.push(row.statusNote);
      // The reply key is unlocked once for all of them, and only if there is something to open.
      const opened =
        sealed.length === 0
          ? []
          : await slowWork.run(() => decryptAllForSource(row.replyPrivateKey, codename, sealed));
      const replies = row.statusNote ? opened.slice(0, -1) : opened;
      const followUps = (await deps.parts.listForSubmission(row.id, ["followup"])).length;
      return {
        submissionId: row.id,
        status: row.status,
        createdOn: row.createdOn,
        replies,
        followUps,
        statusNote: row.statusNote ? opened.at(-1) : undefined,
      };
    },

    /** A source adds to their testimony later: encrypted for editors like any answer. */
    async addFollowUp(submissionId: string, text: string): Promise<void> {
      const keys = currentKeys(deps.keyring);
      const ciphertext = await encryptTextForEditors(keys, text);
      await deps.parts.add(
        { submissionId },
        {
          questionId: "followup",
          kind: "followup",
          ciphertext,
          createdOn: dayOf(now()),
          recipients: recipientsOf(keys),
        },
      );
      await deps.submissions.countAddition(submissionId);
      deps.onNews?.();
    },

    async addFollowUpAttachment(
      submissionId: string,
      meta: AttachmentMeta,
      body: ReadableStream<Uint8Array>,
    ): Promise<void> {
      const keys = currentKeys(deps.keyring);
      const attachmentId = await storeEncryptedAttachment(deps.parts, keys, body);
      const description = await encryptTextForEditors(keys, JSON.stringify(meta));
      await deps.parts.add(
        { submissionId },
        {
          questionId: "followup",
          kind: "attachment",
          ciphertext: description,
          attachmentId,
          createdOn: dayOf(now()),
          recipients: recipientsOf(keys),
        },
      );
      await deps.submissions.countAddition(submissionId);
      deps.onNews?.();
    },

    findByNumber: (number: number) => deps.submissions.findByNumber(number),
  };
}

export type SubmissionsService = ReturnType<typeof createSubmissionsService>;
