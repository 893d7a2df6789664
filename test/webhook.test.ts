// Webhook mode answers Telegram quickly: an update whose handling takes long (a download, an
// export) is answered "200" early and goes on, so Telegram does not deliver it again.
import { Bot } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { afterAll, describe, expect, it } from "vitest";
import type { createBot } from "../src/bot/index.js";
import { startWebhookServer, WEBHOOK_ANSWER_MS } from "../src/service.js";
import { freePort } from "./helpers/bot-process.js";

describe("webhook", () => {
  const servers: { close: () => void }[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });

  it("answers 200 while a long handler is still running, and counts it until it ends", async () => {
    const bot = new Bot("123456:webhook-test-token", {
      // Only what a handler could look at; getMe is never called.
      botInfo: {
        id: 123456,
        is_bot: true,
        first_name: "Test",
        username: "test_bot",
      } as UserFromGetMe,
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handled = 0;
    bot.on("message", async () => {
      await gate;
      handled++;
    });
    const port = await freePort();
    const secret = "webhook_test_secret_123";
    const webhook = await startWebhookServer(
      bot as unknown as ReturnType<typeof createBot>,
      port,
      secret,
    );
    servers.push(webhook.server);
    const update = {
      update_id: 1,
      message: {
        message_id: 1,
        date: 0,
        chat: { id: 5, type: "private", first_name: "A" },
        from: { id: 5, is_bot: false, first_name: "A" },
        text: "hello",
      },
    };
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
      body: JSON.stringify(update),
    });
    expect(response.status).toBe(200);
    expect(handled).toBe(0);
    expect(webhook.inFlight()).toBe(1);
    release();
    for (let i = 0; i < 100 && webhook.inFlight() > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(handled).toBe(1);
    expect(webhook.inFlight()).toBe(0);
    // Well under the time after which Telegram gives up on a request and sends it again.
    expect(WEBHOOK_ANSWER_MS).toBeLessThan(10_000);
  });
});
