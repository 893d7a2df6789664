// Which failures pass (the update is handled again) and which do not (logged, done with), and
// what the log says about them: the code and the class, never the message.
import { DrizzleQueryError } from "drizzle-orm/errors";
import { BotError, GrammyError, HttpError } from "grammy";
import { describe, expect, it } from "vitest";
import { classify } from "../src/faults.js";
import { describeError } from "../src/logger.js";
import { isDriverCallbackError } from "../src/storage/db.js";

const withCode = (code: string, message = "boom") => Object.assign(new Error(message), { code });
const grammyError = (error_code: number, retry_after?: number) =>
  new GrammyError(
    "Call to 'sendMessage' failed!",
    {
      ok: false,
      error_code,
      description: "x",
      ...(retry_after ? { parameters: { retry_after } } : {}),
    },
    "sendMessage",
    { chat_id: 1, text: "secret answer" },
  );

describe("fault classes", () => {
  it.each([
    ["ECONNREFUSED"],
    ["ECONNRESET"],
    ["EPIPE"],
    ["ETIMEDOUT"],
    ["CONNECTION_CLOSED"],
    ["57P01"],
    ["57P03"],
    ["53300"],
    ["08006"],
  ])("a database that went away (%s) is transient and unreachable", (code) => {
    expect(classify(withCode(code))).toMatchObject({
      class: "transient",
      source: "database",
      code,
      unreachable: true,
    });
  });

  it.each([["40001"], ["40P01"], ["55P03"]])(
    "a conflict or lock timeout (%s) is transient, the database reachable",
    (code) => {
      const fault = classify(withCode(code));
      expect(fault).toMatchObject({ class: "transient", source: "database", code });
      expect(fault.unreachable).toBeUndefined();
    },
  );

  it("a draft another instance is still storing is transient, nobody unreachable", () => {
    const fault = classify(withCode("DRAFT_NOT_STORED_YET"));
    expect(fault).toMatchObject({ class: "transient", code: "DRAFT_NOT_STORED_YET" });
    expect(fault.source).toBeUndefined();
    expect(fault.unreachable).toBeUndefined();
  });

  it("looks through drizzle's and grammY's wrappers", () => {
    const query = new DrizzleQueryError("select 1", [], withCode("57P01"));
    expect(classify(query)).toMatchObject({ class: "transient", code: "57P01" });
    const network = new HttpError("Network request failed", withCode("ECONNREFUSED"));
    expect(classify(network)).toMatchObject({ class: "transient", source: "telegram" });
    expect(classify(new HttpError("fetch failed", new TypeError("x")))).toMatchObject({
      class: "transient",
      source: "telegram",
    });
  });

  it("a Bot API 5xx or 429 is transient; a 400 or 403 is not", () => {
    expect(classify(grammyError(500))).toMatchObject({ class: "transient", code: "500" });
    expect(classify(grammyError(429, 3))).toMatchObject({ class: "transient", retryAfter: 3 });
    expect(classify(grammyError(400)).class).toBe("permanent");
    expect(classify(grammyError(403)).class).toBe("permanent");
  });

  it("a full disk is its own class; a bug or bad input is permanent", () => {
    expect(classify(withCode("ENOSPC")).class).toBe("disk-full");
    expect(classify(withCode("53100")).class).toBe("disk-full");
    expect(classify(new TypeError("Cannot read properties of undefined")).class).toBe("permanent");
    expect(classify(withCode("23505")).class).toBe("permanent");
  });

  it("logs the code and the class, not the message or the query's parameters", () => {
    const query = new DrizzleQueryError(
      "insert into drafts",
      ["secret answer"],
      withCode("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.5:5432"),
    );
    const described = describeError(query);
    expect(described).toMatchObject({ code: "ECONNREFUSED", class: "transient" });
    expect(JSON.stringify(described)).not.toContain("secret answer");
    expect(JSON.stringify(described)).not.toContain("10.0.0.5");
    const wrapped = new BotError(grammyError(502), {} as never);
    expect(describeError(wrapped)).toMatchObject({ code: "502", class: "transient" });
    expect(JSON.stringify(describeError(grammyError(502)))).not.toContain("secret answer");
  });

  it("knows postgres.js's uncatchable write on a closed connection, and nothing else", () => {
    const driver = new TypeError("Cannot read properties of null (reading 'write')");
    driver.stack = `TypeError: ${driver.message}
    at Immediate.nextWrite (/app/node_modules/postgres/src/connection.js:255:22)
    at process.processImmediate (node:internal/timers:483:21)`;
    expect(isDriverCallbackError(driver)).toBe(true);
    const ours = new TypeError("Cannot read properties of null (reading 'write')");
    expect(isDriverCallbackError(ours)).toBe(false);
  });
});
