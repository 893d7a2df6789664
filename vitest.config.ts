import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { databaseTestFiles } from "./test/database-tests.js";

// In CI a JSON report is written too, so .ci/run can print one summary line over both databases.
const reportFile = process.env.VITEST_JSON_REPORT;
// The second CI run (TEST_DATABASE_URL: PostgreSQL) needs only the test files that use a database;
// the rest ran in the first one. test/database-tests.ts says which files those are.
const root = fileURLToPath(new URL(".", import.meta.url));
const include = process.env.TEST_DATABASE_URL ? databaseTestFiles(root) : ["test/**/*.test.ts"];

export default defineConfig({
  test: {
    include,
    // Each file gets its own TMPDIR, removed with any gpg-agent it started (test/setup.ts).
    setupFiles: ["test/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Each test file has its own database, ports and folders, so files run side by side. Most of
    // a file's time is spent waiting (on the bot, a child process, the database), so two workers
    // help even on one core; vitest's default (cores - 1) would run a 2-core machine serially.
    maxWorkers: Math.max(2, availableParallelism()),
    // postgres.js throws from a timer after a connection closed under it (porsager/postgres#1154,
    // #1208); the service guards it (storage/db.ts, guardDriverCallbacks) and the run goes on.
    // Vitest sees the uncaught error beside that guard: only this one is let pass.
    onUnhandledError: (error) =>
      !/at Immediate\.nextWrite \(\S*postgres[\\/](?:cjs[\\/])?src[\\/]connection\.js/.test(
        String(error.stack ?? ""),
      ),
    reporters: reportFile ? ["default", ["json", { outputFile: reportFile }]] : ["default"],
  },
});
