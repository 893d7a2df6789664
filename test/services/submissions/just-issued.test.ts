// A codename typed right after it was issued opens its submission without a second memory-hard
// hash: the one made at Send is still in memory, under a tag keyed in memory (never the codename).
// A wrong one, a later one and one after a restart cost the hash as ever.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlowWork, type SlowWork } from "../../../src/services/sources/slow-work.js";
import {
  createSubmissionsService,
  JUST_ISSUED_MS,
} from "../../../src/services/submissions/submit.js";
import { startTestBot, type TestBot } from "../../helpers/harness.js";
import { driveInterview } from "../../helpers/interview-driver.js";

describe("a codename just issued", () => {
  let bot: TestBot;
  let clock = new Date("2026-05-04T10:00:00Z");
  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(() => bot.stop());

  /** A submissions service on the bot's storage whose slow jobs are counted. */
  const countingService = () => {
    const queue = createSlowWork({ concurrency: 1 });
    const counted = { jobs: 0 };
    const slowWork: SlowWork = {
      run: (job) => {
        counted.jobs++;
        return queue.run(job);
      },
      get running() {
        return queue.running;
      },
      get waiting() {
        return queue.waiting;
      },
    };
    const { drafts, parts, submissions } = bot.app.repositories;
    const service = createSubmissionsService({
      drafts,
      parts,
      submissions,
      keyring: bot.keyring,
      pepper: bot.secrets.pepper,
      slowWork,
      receiptsAhead: 0,
      now: () => clock,
    });
    return { service, counted };
  };

  it("opens its submission with no slow hash for 15 minutes; a wrong one, a later one and a restart pay it", async () => {
    const user = bot.api.user({ id: 7_710_001, first_name: "Глеб", language_code: "ru" });
    await driveInterview(bot.api, user, { texts: ["Рассказ"], stopAtReview: true });
    await bot.idle();
    const draft = await bot.app.services.interview.find(user.id);
    if (!draft) throw new Error("no draft");

    const { service, counted } = countingService();
    const receipt = await service.submit(draft);
    expect(counted.jobs).toBe(1); // the receipt, made at Send

    const typed = `  ${receipt.codename.toUpperCase()} `;
    expect((await service.openWithCodename(typed))?.submissionId).toBe(receipt.submissionId);
    expect(counted.jobs).toBe(1);

    expect(await service.openWithCodename("ветер ложка окно мост свеча сосна")).toBeUndefined();
    expect(counted.jobs).toBe(2);

    const restarted = countingService();
    expect((await restarted.service.openWithCodename(receipt.codename))?.submissionId).toBe(
      receipt.submissionId,
    );
    expect(restarted.counted.jobs).toBe(1);

    clock = new Date(clock.getTime() + JUST_ISSUED_MS + 1);
    expect((await service.openWithCodename(receipt.codename))?.submissionId).toBe(
      receipt.submissionId,
    );
    expect(counted.jobs).toBe(3);
    service.stop();
    restarted.service.stop();
  });
});
