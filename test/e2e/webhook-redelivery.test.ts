// Webhook mode: an update that fails because the database is away is answered with an error
// status, so Telegram delivers it again; the second delivery stores it, once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shownTwice } from "../helpers/bursts.js";
import { type Cluster, startCluster } from "../helpers/cluster.js";
import { LABELS } from "../helpers/interview-driver.js";
import { questionIdOf } from "../helpers/steps.js";

const RU = LABELS.ru;
const SAVED = /Сообщений: (\d+), файлов: (\d+)/;

describe("webhook mode, the database away for a moment", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ instances: 1, maxConnections: 1 });
  });
  afterAll(() => cluster?.stop());

  it("answers 503, Telegram delivers the update again, and it is stored once", async () => {
    const { api } = cluster;
    const user = api.user({ id: 9_295_001, first_name: "Источник", language_code: "ru" });
    const asked = (id: string) =>
      api.waitFor(() => user.botMessages().find((m) => questionIdOf(m) === id), 30_000, id);
    await user.command("start");
    await api.waitFor(() => user.botMessages().length > 0, 30_000, "briefing");
    await user.press(RU.begin);
    await asked("consent");
    await user.press(RU.consent);
    await asked("role");
    await user.press("Другое");
    await asked("role_other");

    const interview = cluster.instances[0]?.app.services.interview;
    if (!interview) throw new Error("no instance");
    const write = interview.write;
    let failures = 0;
    interview.write = async (...args) => {
      if (failures++ === 0) {
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
          code: "ECONNREFUSED",
        });
      }
      return write(...args);
    };
    const before = api.deliveries().length;
    try {
      await user.send("Ответ, который переживёт сбой");
      await api.waitFor(() => SAVED.exec(user.lastBotMessage()?.text ?? "")?.[1] === "1", 30_000);
    } finally {
      interview.write = write;
    }
    const statuses = api
      .deliveries()
      .slice(before)
      .map((d) => d.status);
    expect(statuses).toEqual([503, 200]);
    await user.send("Второй ответ");
    await api.waitFor(() => SAVED.exec(user.lastBotMessage()?.text ?? "")?.[1] === "2", 30_000);
    expect(shownTwice(user)).toEqual([]);
    expect(cluster.logs().join("\n")).toContain("database unreachable: ECONNREFUSED (retrying)");
  });
});
