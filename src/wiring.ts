// The part of the composition root that the editor tool and the review desk share with the bot:
// storage opened from the configuration, and the editors' services built on it. app.ts builds the
// bot's editors' chat from these; the editor tool and the desk call them directly, so all three
// read and change submissions the same way. Nothing here loads grammY.
import type { EditorToolConfig } from "./config.js";
import type { EditorKeyring } from "./services/crypto/editor-keys.js";
import { createEditorialService } from "./services/submissions/editorial.js";
import { createExportService } from "./services/submissions/export.js";
import { createAuditRepository } from "./storage/audit.repo.js";
import { type Db, openStorage, type Storage } from "./storage/db.js";
import { createPartsRepository } from "./storage/parts.repo.js";
import { createSubmissionsRepository } from "./storage/submissions.repo.js";

/** The bot's database (DATABASE_URL, else the embedded one in DATA_DIR), migrated. */
export function openConfiguredStorage(
  config: Pick<EditorToolConfig, "DATABASE_URL" | "DATA_DIR">,
  onDriverError?: (error: unknown) => void,
): Promise<Storage> {
  return openStorage({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, onDriverError });
}

/**
 * Submissions as encrypted archives, as the editors' chat exports them. `keyring` (optional) lets
 * the manifest say whose keys each part is for.
 */
export function createArchiveServices(options: { db: Db; keyring?: EditorKeyring }) {
  const submissions = createSubmissionsRepository({ db: options.db });
  const parts = createPartsRepository({ db: options.db });
  return {
    submissions,
    parts,
    exporter: createExportService({ parts, keyring: options.keyring }),
  };
}

/**
 * What editors do with submissions (list with counts, statuses, notes, replies, purge): notes and
 * replies are encrypted to the editors' public keys in `keyring`.
 */
export function createEditorServices(options: {
  db: Db;
  keyring: EditorKeyring;
  now?: () => Date;
}) {
  const archives = createArchiveServices(options);
  const audit = createAuditRepository({ db: options.db });
  const editorial = createEditorialService({
    db: options.db,
    submissions: archives.submissions,
    parts: archives.parts,
    audit,
    keyring: options.keyring,
    now: options.now,
  });
  return { ...archives, audit, editorial };
}
