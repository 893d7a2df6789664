// Grant over 1,000 stored parts, ten of them 19 MB attachments: time and peak memory of
// `editor grant` (the access service it runs), beside a read-only pass over the same parts (the
// baseline) and a second, idempotent run. Only recipient packets change, so neither time nor
// memory should follow the attachments' size.
import { randomBytes } from "node:crypto";
import { createAccessService } from "../src/services/archive/access.js";
import { unlockPrivateKey } from "../src/services/crypto/decrypt.js";
import { loadEditorKeys } from "../src/services/crypto/editor-keys.js";
import { encryptTextForEditors } from "../src/services/crypto/for-editors.js";
import { recipientsOf } from "../src/services/crypto/recipients.js";
import { storeEncryptedAttachment } from "../src/services/interview/attachments.js";
import { createPartsRepository } from "../src/storage/parts.repo.js";
import { createSubmissionsRepository } from "../src/storage/submissions.repo.js";
import {
  makeOpenpgpKey,
  makeTempDir,
  makeTestEditorKeyring,
  writeKeyFile,
} from "../test/helpers/keys.js";
import {
  benchStorage,
  collectGarbage,
  type DbKind,
  mb,
  ms,
  postgresAdminUrl,
  printTable,
  progress,
  progressDone,
  ratio,
  SKIPPED_NO_POSTGRES,
  startRssSampler,
} from "./lib.js";

const PARTS = 1000;
const ATTACHMENTS = 10;
const ATTACHMENT_SIZE = 19 * 1024 * 1024;

async function measure(kind: DbKind): Promise<string[][]> {
  const { keyring, keys } = await makeTestEditorKeyring(2);
  const newcomer = await makeOpenpgpKey("Newcomer");
  const dir = await makeTempDir("grant-bench-");
  const to = await loadEditorKeys([await writeKeyFile(dir, "new.asc", newcomer.armoredPublicKey)]);
  const editorKey = keys[0];
  if (!editorKey) throw new Error("no key");
  const editor = await unlockPrivateKey(editorKey.armoredPrivateKey, editorKey.passphrase);
  const storage = await benchStorage(kind);
  const sampler = await startRssSampler(10);
  try {
    const parts = createPartsRepository({ db: storage.db });
    const day = new Date().toISOString().slice(0, 10);
    const submission = await createSubmissionsRepository({ db: storage.db }).create({
      questionnaireVersion: 1,
      locale: "ru",
      createdOn: day,
      codenameHash: randomBytes(16).toString("hex"),
      replyPublicKey: new Uint8Array(1),
      replyPrivateKey: new Uint8Array(1),
    });
    const owner = { submissionId: submission.id };
    const recipients = recipientsOf(keyring);
    for (let i = 0; i < PARTS - ATTACHMENTS; i++) {
      if (i % 100 === 0) progress(`grant (${kind}): storing text part ${i}`);
      const ciphertext = await encryptTextForEditors(
        keyring,
        `Ответ ${i}: ${"подробности ".repeat(60)}`,
      );
      await parts.add(owner, { kind: "answer", ciphertext, createdOn: day, recipients });
    }
    for (let i = 0; i < ATTACHMENTS; i++) {
      progress(`grant (${kind}): storing attachment ${i + 1} of ${ATTACHMENTS}`);
      const piece = randomBytes(1024 * 1024);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= ATTACHMENT_SIZE) return controller.close();
          const n = Math.min(piece.length, ATTACHMENT_SIZE - sent);
          controller.enqueue(piece.subarray(0, n));
          sent += n;
        },
      });
      const attachmentId = await storeEncryptedAttachment(parts, keyring, body);
      const ciphertext = await encryptTextForEditors(keyring, JSON.stringify({ kind: "document" }));
      await parts.add(owner, {
        kind: "attachment",
        ciphertext,
        attachmentId,
        createdOn: day,
        recipients,
      });
    }

    const access = createAccessService({ parts });
    const timed = async (what: string, run: () => Promise<unknown>) => {
      progress(`grant (${kind}): ${what}`);
      collectGarbage();
      const base = process.memoryUsage.rss();
      sampler.start();
      const started = performance.now();
      const result = await run();
      const elapsed = performance.now() - started;
      const { peak } = await sampler.stop();
      return { elapsed, extra: Math.max(0, peak - base), result };
    };
    const read = await timed("read-only pass", async () => {
      let n = 0;
      for await (const page of parts.scan()) {
        for (const part of page) if (part.attachmentId) await parts.firstChunk(part.attachmentId);
        n += page.length;
      }
      return n;
    });
    const grant = await timed("grant", () => access.grant(editor, to));
    const again = await timed("grant again", () => access.grant(editor, to));
    progressDone();
    const summary = grant.result as { changed: number };
    const row = (what: string, r: { elapsed: number; extra: number }) => [
      kind,
      what,
      ms(r.elapsed),
      ratio(r.elapsed, read.elapsed),
      mb(r.extra),
    ];
    if (summary.changed !== PARTS) throw new Error(`granted ${summary.changed} of ${PARTS}`);
    return [
      row("read-only pass (baseline)", read),
      row(`grant (${summary.changed} parts)`, grant),
      row("grant again (all skipped)", again),
    ];
  } finally {
    await sampler.close();
    await storage.close();
  }
}

export async function run(): Promise<void> {
  const rows = await measure("pglite");
  if (postgresAdminUrl()) rows.push(...(await measure("postgres")));
  printTable({
    title: `Grant to a new key: ${PARTS} parts, ${ATTACHMENTS} of them ${ATTACHMENT_SIZE / 1024 / 1024} MB attachments`,
    headers: ["database", "step", "time", "× baseline", "peak RSS above start"],
    rows,
    notes: [
      "goal: grant under 60 s, memory independent of attachment size (only each file's first 256 KiB chunk is read)",
      ...(postgresAdminUrl() ? [] : [SKIPPED_NO_POSTGRES]),
    ],
  });
}
