// Runs before each test file (vitest.config.ts, setupFiles). The file gets a temp folder of its
// own as TMPDIR, which os.tmpdir() reads and child processes inherit: files running side by side
// never see each other's temp files, and whatever a test forgets is removed with the folder,
// after the gpg-agents the file's GnuPG homes started.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { stopGpgAgents } from "./helpers/gpg-agents.js";

const systemTemp = tmpdir();
const folder = mkdtempSync(join(systemTemp, "testimony-test-"));
process.env.TMPDIR = folder;

afterAll(() => {
  stopGpgAgents();
  process.env.TMPDIR = systemTemp;
  rmSync(folder, { recursive: true, force: true });
});
