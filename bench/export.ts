// Issue 5: export + decrypt of a submission with 20 answers and 3 × 10 MB attachments — time and
// peak memory of each step. Reference: gpg decrypting the same three file bodies in the same run.
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { openArchive } from "../src/services/archive/testimony.js";
import { unlockPrivateKey } from "../src/services/crypto/decrypt.js";
import { createInterviewService } from "../src/services/interview/draft-store.js";
import {
  DEFAULT_QUESTIONNAIRE_PATH,
  loadQuestionnaire,
} from "../src/services/interview/questionnaire.js";
import { createSealer } from "../src/services/sources/sealing.js";
import { createExportService } from "../src/services/submissions/export.js";
import { createSubmissionsService } from "../src/services/submissions/submit.js";
import { createDraftsRepository } from "../src/storage/drafts.repo.js";
import { createPartsRepository } from "../src/storage/parts.repo.js";
import { createSubmissionsRepository } from "../src/storage/submissions.repo.js";
import { createEngineDriver, type EngineStep, file, text } from "../test/helpers/engine.js";
import { GpgHome, makeTestEditorKeyring } from "../test/helpers/keys.js";
import { readTar } from "../test/helpers/tar.js";
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
  SKIPPED_NO_POSTGRES,
  startRssSampler,
  tempDir,
} from "./lib.js";

const ANSWERS = 20;
const FILES = 3;
const FILE_SIZE = 10 * 1024 * 1024;

async function measure(kind: DbKind) {
  const { keyring, keys } = await makeTestEditorKeyring(3);
  const storage = await benchStorage(kind);
  const sampler = await startRssSampler(10);
  try {
    const db = storage.db;
    const drafts = createDraftsRepository({ db });
    const parts = createPartsRepository({ db });
    const pepper = randomBytes(32);
    const interview = createInterviewService({
      drafts,
      parts,
      keyring,
      sealer: createSealer(randomBytes(32)),
      pepper,
      questionnaire: loadQuestionnaire(DEFAULT_QUESTIONNAIRE_PATH),
      limits: { draftTtlHours: 72, maxTextLength: 100_000, maxAttachmentsPerSubmission: 30 },
    });
    const submissions = createSubmissionsService({
      drafts,
      parts,
      submissions: createSubmissionsRepository({ db }),
      keyring,
      pepper,
    });
    progress(`export (${kind}): building the submission`);
    const steps: EngineStep[] = [];
    for (let i = 0; i < ANSWERS; i++) {
      steps.push(text("story", `Ответ номер ${i}: ${"подробности ".repeat(40)}`));
    }
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < FILES; i++) {
      const body = randomBytes(FILE_SIZE);
      bodies.push(body);
      steps.push(file("materials", { kind: "document", fileName: `f${i}.bin` }, body));
    }
    const draft = await createEngineDriver(interview, 1).run(steps);
    await submissions.submit(draft);
    const [row] = await createSubmissionsRepository({ db }).list();
    if (!row) throw new Error("no submission");

    progress(`export (${kind}): export`);
    collectGarbage();
    const exportBefore = process.memoryUsage.rss();
    sampler.start();
    let started = performance.now();
    const chunks: Uint8Array[] = [];
    for await (const chunk of createExportService({ parts }).archive(row)) chunks.push(chunk);
    const archive = Buffer.concat(chunks);
    const exportTime = performance.now() - started;
    const exportPeak = (await sampler.stop()).peak - exportBefore;

    progress(`export (${kind}): decrypt`);
    const key = keys[0];
    if (!key) throw new Error("no key");
    const unlocked = await unlockPrivateKey(key.armoredPrivateKey, key.passphrase);
    chunks.length = 0;
    collectGarbage();
    const decryptBefore = process.memoryUsage.rss();
    sampler.start();
    started = performance.now();
    const testimony = await openArchive(archive, unlocked);
    const decryptTime = performance.now() - started;
    const decryptPeak = (await sampler.stop()).peak - decryptBefore;
    const files = testimony.items.filter((item) => item.attachment);
    if (
      files.length !== FILES ||
      !files.every((f, i) => Buffer.from(f.attachment?.bytes ?? []).equals(bodies[i] as Uint8Array))
    ) {
      throw new Error("decrypted files differ");
    }

    progress(`export (${kind}): gpg reference`);
    const gpg = await GpgHome.create();
    gpg.importKey(key.armoredPrivateKey, key.passphrase);
    const dir = await tempDir("export-bench");
    const entries = readTar(archive).filter((e) => e.name.endsWith(".body.pgp"));
    started = performance.now();
    for (const [i, entry] of entries.entries()) {
      const file = join(dir.path, `${i}.pgp`);
      await writeFile(file, entry.data);
      gpg.ok([
        "--batch",
        "--yes",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        key.passphrase,
        "--output",
        `${file}.out`,
        "--decrypt",
        file,
      ]);
    }
    const gpgTime = performance.now() - started;
    await dir.remove();
    progressDone();
    return { size: archive.length, exportTime, exportPeak, decryptTime, decryptPeak, gpgTime };
  } finally {
    await sampler.close();
    await storage.close();
  }
}

export async function run(): Promise<void> {
  const rows: string[][] = [];
  for (const kind of ["pglite", "postgres"] as DbKind[]) {
    if (kind === "postgres" && !postgresAdminUrl()) {
      rows.push([kind, SKIPPED_NO_POSTGRES, "", "", "", "", ""]);
      continue;
    }
    const r = await measure(kind);
    rows.push([
      kind,
      mb(r.size),
      ms(r.exportTime),
      mb(r.exportPeak),
      ms(r.decryptTime),
      mb(r.decryptPeak),
      ms(r.gpgTime),
    ]);
  }
  printTable({
    title: `Export + decrypt: ${ANSWERS} answers, ${FILES} × ${FILE_SIZE / 1024 / 1024} MB files`,
    headers: [
      "db",
      "archive",
      "export",
      "export peak RSS +",
      "decrypt (tool)",
      "decrypt peak RSS +",
      "gpg, 3 bodies",
    ],
    rows,
    notes: [
      "export: database → tar stream (server side); decrypt: tar → every part decrypted in memory (editor's side)",
      "peak RSS growth sampled every 10 ms from a worker thread; gpg is the same three bodies decrypted by gpg 2.2 as a reference",
    ],
  });
}
