// Carries out what decide.ts decides about an event: encrypts answers, cleans or disguises files
// and streams them into the chunk store, submits, and hands back the part writes, which the draft
// store (draft-store.ts write()) commits with the sealed state in one transaction.
//
// Invariant 1 (encrypt on receipt) is reviewed in this file alone: every plaintext a decision
// carries (a text, a choice, a file's bytes and description) is encrypted here, in this handler's
// memory, before anything is written; the writes returned and the chunks stored hold ciphertext
// only, and the drafts returned hold counts, part ids and the choices that steer branching (sealed
// by the draft store), never a text or a file. Nothing here logs.

import { currentKeys, type EditorKeyring } from "../crypto/editor-keys.js";
import { encryptTextForEditors } from "../crypto/for-editors.js";
import { recipientsOf } from "../crypto/recipients.js";
import type { SubmissionReceipt } from "../submissions/submit.js";
import {
  createVoiceDisguiser,
  prepareVoice,
  VOICE_KINDS,
  type VoiceDisguiser,
  type VoiceLabel,
} from "../voice/index.js";
import {
  type AttachmentCleaning,
  type ChunkStore,
  FileTooBigError,
  prepareAttachment,
  storeEncryptedAttachment,
} from "./attachments.js";
import {
  type Command,
  type DecideContext,
  type DecidedView,
  type Decision,
  decide,
  type InterviewEvent,
  type InterviewView,
  start,
} from "./decide.js";
import type { Draft, InterviewLimits, PartWrite } from "./draft.js";
import type { Questionnaire } from "./questionnaire.js";

type Receipt = SubmissionReceipt & { submissionId: string };

export interface Outcome {
  /** The draft after the event; undefined once the interview has ended. */
  draft?: Draft;
  views: InterviewView[];
  /**
   * The part writes of this event (ciphertext only), to be saved with the draft in one
   * transaction. A draft whose writes are lost lists parts that do not exist: never drop them.
   */
  writes: PartWrite[];
  ended?: "submitted" | "cancelled" | "declined";
}

export interface InterviewRunnerDeps {
  questionnaire: Questionnaire;
  keyring: EditorKeyring;
  /** Where file bodies are stored, encrypted, as they arrive (their parts wait for the write). */
  parts: ChunkStore;
  /** Disguises recordings before encryption (in worker threads; one is made if not given). */
  voice?: VoiceDisguiser;
  limits: InterviewLimits;
  submit: (draft: Draft) => Promise<Receipt>;
  now?: () => Date;
}

/** What a stored file turned out to be: the label and cleaning the source is told about. */
interface StoredFile {
  voice?: VoiceLabel;
  cleaning?: AttachmentCleaning;
}

/** The results of a decision's commands, for the views that wait on them. */
interface Results {
  writes: PartWrite[];
  files: Map<string, StoredFile>;
  receipt?: Receipt;
}

export function createInterviewRunner(deps: InterviewRunnerDeps) {
  const now = deps.now ?? (() => new Date());
  const disguiser = deps.voice ?? createVoiceDisguiser({ workers: 1 });
  const context = (): DecideContext => ({
    questionnaire: deps.questionnaire,
    limits: deps.limits,
    now: now(),
    newId: () => crypto.randomUUID(),
  });

  /** A new interview at its first question (nothing is stored until it is written). */
  function begin(locale: string): Outcome {
    const { draft, views } = start(locale, context());
    return { draft, views: complete(views, { writes: [], files: new Map() }), writes: [] };
  }

  /** One event: decided, then carried out. The draft given is not changed. */
  async function handle(current: Draft, event: InterviewEvent, locale?: string): Promise<Outcome> {
    const given = locale ? { ...current, locale } : current;
    const decision = decide(given, event, context());
    let results: Results;
    try {
      results = await carryOut(decision);
    } catch (error) {
      // A file too big to download is found only when it is opened: the decision goes whole,
      // and the source is asked for a smaller file as if nothing had been tried.
      if (!(error instanceof FileTooBigError)) throw error;
      return { draft: given, views: [{ type: "problem", problem: "file-too-big" }], writes: [] };
    }
    const views = complete(decision.views, results);
    const { writes } = results;
    if (decision.ended) return { views, writes, ended: decision.ended };
    return { draft: decision.draft, views, writes };
  }

  /** The commands in order; the writes come out in the same order (a drop before its new part). */
  async function carryOut(decision: Decision): Promise<Results> {
    const results: Results = { writes: [], files: new Map() };
    for (const command of decision.commands) {
      switch (command.type) {
        case "drop-parts":
          results.writes.push({ op: "delete", ids: command.ids });
          break;
        case "encrypt-answer":
          results.writes.push(await encryptAnswer(command));
          break;
        case "store-file": {
          const { write, ...stored } = await storeFile(command);
          results.writes.push(write);
          results.files.set(command.partId, stored);
          break;
        }
        case "submit":
          results.receipt = await deps.submit(decision.draft);
          break;
      }
    }
    return results;
  }

  async function encryptAnswer(
    command: Extract<Command, { type: "encrypt-answer" }>,
  ): Promise<PartWrite> {
    const keys = currentKeys(deps.keyring);
    // The label travels inside the encryption: the question id never sits beside the ciphertext.
    const label = `${command.label}:${command.questionId}`;
    const ciphertext = await encryptTextForEditors(keys, command.text, label);
    const recipients = recipientsOf(keys);
    return { op: "add", id: command.partId, kind: "answer", ciphertext, recipients };
  }

  /**
   * Streams the file into the encryptor and the chunk store (the plaintext is never whole in
   * memory, never on disk); hidden data goes first unless the question asks for originals.
   * The description (kind, name, type, size) is a part of its own.
   */
  async function storeFile(
    command: Extract<Command, { type: "store-file" }>,
  ): Promise<StoredFile & { write: PartWrite }> {
    const { file } = command;
    // Recordings: the voice is disguised unless the source chose to keep it (voice/index.ts).
    // What is not disguised goes on to metadata cleaning like any file (an audio file's tags).
    const voice = VOICE_KINDS.has(file.meta.kind)
      ? await prepareVoice(await file.open(), file.meta, {
          keepReal: command.keepRealVoice,
          disguiser,
        })
      : undefined;
    const { body, meta } = voice?.meta.voice.disguised
      ? voice
      : await prepareAttachment(voice?.body ?? (await file.open()), voice?.meta ?? file.meta, {
          keepOriginal: command.keepOriginal,
        });
    // The body and its description go to the same keys, which the part then lists.
    const keys = currentKeys(deps.keyring);
    const attachmentId = await storeEncryptedAttachment(deps.parts, keys, body);
    const ciphertext = await encryptTextForEditors(
      keys,
      JSON.stringify(meta),
      `attachment:${command.questionId}`,
    );
    const recipients = recipientsOf(keys);
    return {
      write: {
        op: "add",
        id: command.partId,
        kind: "attachment",
        ciphertext,
        attachmentId,
        recipients,
      },
      voice: meta.voice,
      cleaning: meta.cleaning,
    };
  }

  return { questionnaire: deps.questionnaire, start: begin, handle };
}

/** The decision's views, those waiting on a command filled in from its result. */
function complete(views: DecidedView[], results: Results): InterviewView[] {
  const stored = (partId: string) => {
    const file = results.files.get(partId);
    if (!file) throw new Error("a view waits on a file that was not stored");
    return file;
  };
  return views.map((view): InterviewView => {
    switch (view.type) {
      case "file-saved": {
        const { partId, ...saved } = view;
        return { ...saved, type: "saved", cleaning: stored(partId).cleaning };
      }
      case "voice-stored": {
        const { partId, ...voice } = view;
        const label = stored(partId).voice;
        if (!label) throw new Error("a recording was stored without its voice label");
        return { ...voice, type: "voice", label };
      }
      case "receipt":
        if (!results.receipt) throw new Error("a receipt without a submission");
        return { type: "submitted", receipt: results.receipt };
      default:
        return view;
    }
  });
}

export type InterviewRunner = ReturnType<typeof createInterviewRunner>;
