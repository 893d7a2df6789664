// What an operator reads when PostgreSQL cannot be used: the cause in words, never the password.
import { describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage/db.js";
import { freePort } from "../helpers/bot-process.js";
import { usingPostgres } from "../helpers/db.js";

const message = (promise: Promise<unknown>) =>
  promise.then(
    () => "opened",
    (error: Error) => error.message,
  );

describe("PostgreSQL connection errors", () => {
  it.skipIf(!usingPostgres)("a database that does not exist is named", async () => {
    const url = new URL(process.env.TEST_DATABASE_URL as string);
    url.pathname = "/no_such_database_here";
    url.password = "secret-password-value";
    const text = await message(openStorage({ databaseUrl: url.toString() }));
    expect(text).toMatch(/^DATABASE_URL: database "no_such_database_here" does not exist on /);
    expect(text).not.toContain("secret-password-value");
  });

  it("nothing listening is said as such", async () => {
    const port = await freePort();
    const text = await message(
      openStorage({ databaseUrl: `postgres://someone:pw-value@127.0.0.1:${port}/x` }),
    );
    expect(text).toBe(
      `DATABASE_URL: nothing answers at 127.0.0.1:${port} (ECONNREFUSED); is PostgreSQL running there?`,
    );
  });
});
