// The PostgreSQL run includes only the test files that use a database (test/database-tests.ts):
// a mistake in that rule would drop tests from it silently, so the rule is checked here.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allTestFiles, databaseTestFiles } from "./database-tests.js";
import { PROJECT_ROOT } from "./helpers/run.js";

describe("the test files of the PostgreSQL run", () => {
  const fixture = mkdtempSync(join(tmpdir(), "tb-db-tests-"));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(fixture, path)), { recursive: true });
    writeFileSync(join(fixture, path), text);
  };

  it("are those that import test/helpers/db.ts, directly or through other test files", () => {
    write("test/helpers/db.ts", "export const usingPostgres = false;\n");
    write("test/helpers/harness.ts", 'import {\n  usingPostgres,\n} from "./db.js";\n');
    write("test/helpers/scan.ts", 'import type { TestStorage } from "./db.js";\n');
    write("test/e2e/through-harness.test.ts", 'import { x } from "../helpers/harness.js";\n');
    write("test/direct.test.ts", 'import { usingPostgres } from "./helpers/db.js";\n');
    // Split, so this file's own text does not read as a dynamic import of the helper.
    write("test/later.test.ts", `const db = await ${"import"}("./helpers/db.js");\n`);
    write("test/types-only.test.ts", 'import type { TestStorage } from "./helpers/db.js";\n');
    write("test/scan-only.test.ts", 'import { scan } from "./helpers/scan.js";\n');
    write("test/none.test.ts", 'import { describe } from "vitest";\n');
    expect(databaseTestFiles(fixture)).toEqual([
      "test/direct.test.ts",
      "test/e2e/through-harness.test.ts",
      "test/later.test.ts",
    ]);
    expect(allTestFiles(fixture)).toHaveLength(6);
  });

  it("include every test file that starts a bot, opens a test database or reads TEST_DATABASE_URL", () => {
    const selected = new Set(databaseTestFiles(PROJECT_ROOT));
    const self = "test/database-tests.test.ts";
    const usesDatabase = (file: string) =>
      /\b(startTestBot|createTestStorage|openTestDatabase|usingPostgres|TEST_DATABASE_URL)\b/.test(
        readFileSync(join(PROJECT_ROOT, file), "utf8"),
      );
    const users = allTestFiles(PROJECT_ROOT).filter((f) => f !== self && usesDatabase(f));
    expect(users.length).toBeGreaterThan(20);
    expect(users.filter((file) => !selected.has(file))).toEqual([]);
  });
});
