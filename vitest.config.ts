import { defineConfig } from "vitest/config";

// In CI a JSON report is written too, so .ci/run can print one summary line over both databases.
const reportFile = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each file gets its own TMPDIR, removed with any gpg-agent it started (test/setup.ts).
    setupFiles: ["test/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: reportFile ? ["default", ["json", { outputFile: reportFile }]] : ["default"],
  },
});
