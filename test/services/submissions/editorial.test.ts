// Retention and the rendering of decrypted testimonies.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderMarkdown, type Testimony } from "../../../src/services/archive/testimony.js";
import {
  DEFAULT_QUESTIONNAIRE_PATH,
  loadQuestionnaire,
} from "../../../src/services/interview/questionnaire.js";
import { manifestOf } from "../../helpers/archives.js";
import { startTestBot, type TestBot } from "../../helpers/harness.js";
import { driveInterview } from "../../helpers/interview-driver.js";

describe("retention", () => {
  let bot: TestBot;
  let clock = new Date("2026-03-01T12:00:00Z");
  beforeAll(async () => {
    bot = await startTestBot({ now: () => clock });
  });
  afterAll(() => bot.stop());

  it("purges published and rejected submissions older than RETENTION_DAYS, and nothing else", async () => {
    for (const id of [8201, 8202, 8203]) {
      const user = bot.api.user({ id, first_name: "S", language_code: "ru" });
      await driveInterview(bot.api, user, { texts: ["ответ"], file: Buffer.from("file") });
    }
    const editorial = bot.app.services.editorial;
    await editorial.setStatus(1, "published", "editor");
    await editorial.setStatus(2, "rejected", "editor");
    await editorial.setStatus(3, "in_review", "editor");

    clock = new Date("2026-03-20T12:00:00Z");
    expect(await editorial.purgeExpired(30)).toEqual([]);

    clock = new Date("2026-04-05T12:00:00Z");
    expect((await editorial.purgeExpired(30)).sort()).toEqual([1, 2]);
    expect((await editorial.list()).map((s) => s.number)).toEqual([3]);
    const rows = async (query: string) => {
      const result = await bot.storage.db.execute(sql.raw(query));
      return Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
    };
    // Only submission 3's parts and file bodies are left.
    const left = await rows("select distinct submission_id from parts");
    expect(left).toHaveLength(1);
    const chunks = await rows(
      "select count(*)::int as n from attachment_chunks where attachment_id not in (select attachment_id from parts where attachment_id is not null)",
    );
    expect(Number((chunks[0] as { n: number }).n)).toBe(0);
    const audit = await rows(
      "select action, submission_number from audit where action = 'retention-purge' order by submission_number",
    );
    expect(audit).toEqual([
      { action: "retention-purge", submission_number: 1 },
      { action: "retention-purge", submission_number: 2 },
    ]);
  });
});

describe("testimony.md", () => {
  const testimony: Testimony = {
    // Written with the shipped questionnaire, so its skipped questions can be told apart.
    manifest: manifestOf({
      questionnaireVersion: loadQuestionnaire(DEFAULT_QUESTIONNAIRE_PATH).version,
    }),
    items: [
      { questionId: "consent", kind: "choice", text: "yes" },
      { questionId: "role", kind: "choice", text: "other" },
      { questionId: "role_other", kind: "text", text: "Связист\nвторая строка" },
      { questionId: "followup", kind: "followup", text: "Дополнение" },
    ],
  };

  it("puts every shown question in order, translates choices, marks skipped ones", () => {
    const markdown = renderMarkdown(testimony, "en");
    expect(markdown).toContain("# Testimony #7");
    expect(markdown).toContain("## How did you serve?\n\n- Other");
    expect(markdown).toContain("```text\nСвязист\nвторая строка\n```");
    const branch = markdown.indexOf("## Which branch did you serve in?");
    expect(markdown.slice(branch, branch + 80)).toContain("_skipped_");
    expect(markdown).toContain("## Additions from the source\n\n```text\nДополнение");
    // Questions of branches not taken are not listed at all.
    expect(markdown).not.toContain("Tell us how it happened");
  });
});
