import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  parseConfig,
  parseEditorToolConfig,
  readEnvironment,
  readLaunchEnvironment,
} from "../src/config.js";
import { runTsx } from "./helpers/run.js";

const TOKEN = "123456:AAE-secret_token_value_that_must_not_leak";
const valid = { BOT_TOKEN: TOKEN, EDITOR_KEYS: "keys/a.asc, keys/b.asc" };

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration", () => {
  it("applies the documented defaults", () => {
    const config = parseConfig(valid);
    expect(config).toMatchObject({
      TELEGRAM_API_ROOT: "https://api.telegram.org",
      DATA_DIR: "./data",
      DEFAULT_LOCALE: "ru",
      ADMIN_IDS: [],
      LOG_LEVEL: "info",
      PORT: 8080,
      EDITOR_KEYS: ["keys/a.asc", "keys/b.asc"],
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.EDITORS_CHAT_ID).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("parses ids and lists", () => {
    const config = parseConfig({ ...valid, ADMIN_IDS: "11, 22", EDITORS_CHAT_ID: "-1001234" });
    expect(config.ADMIN_IDS).toEqual([11, 22]);
    expect(config.EDITORS_CHAT_ID).toBe(-1001234);
  });

  it("takes a safer channel per language, unset when empty, and refuses a very long one", () => {
    const config = parseConfig({
      ...valid,
      SAFER_CHANNEL_TEXT_RU: " Signal: +1 555 0100 ",
      SAFER_CHANNEL_TEXT_EN: "",
    });
    expect(config.SAFER_CHANNEL_TEXT_RU).toBe("Signal: +1 555 0100");
    expect(config.SAFER_CHANNEL_TEXT_EN).toBeUndefined();
    expect(problemsOf({ ...valid, SAFER_CHANNEL_TEXT_EN: "x".repeat(501) })).toEqual([
      "SAFER_CHANNEL_TEXT_EN: expected at most 500 characters",
    ]);
  });

  it("takes the broadcast rate, 25 messages a second unless set", () => {
    expect(parseConfig(valid).BROADCAST_RATE_PER_SECOND).toBe(25);
    expect(
      parseConfig({ ...valid, BROADCAST_RATE_PER_SECOND: "20" }).BROADCAST_RATE_PER_SECOND,
    ).toBe(20);
    expect(problemsOf({ ...valid, BROADCAST_RATE_PER_SECOND: "0" })[0]).toMatch(
      /^BROADCAST_RATE_PER_SECOND: /,
    );
    expect(problemsOf({ ...valid, BROADCAST_RATE_PER_SECOND: "fast" })[0]).toBe(
      "BROADCAST_RATE_PER_SECOND: expected a whole number",
    );
  });

  it("explains how to get a missing BOT_TOKEN and EDITOR_KEYS", () => {
    const problems = problemsOf({});
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^BOT_TOKEN is required: .*@BotFather/);
    expect(problems[1]).toMatch(/^EDITOR_KEYS is required: .*npm run editor -- keygen/);
  });

  it("gives one line per problem naming the variable, never echoing values", () => {
    const problems = problemsOf({
      ...valid,
      BOT_TOKEN: "not a token but a secret",
      DATABASE_URL: "mysql://secretpass@db/x",
      ADMIN_IDS: "12,abc",
      DEFAULT_LOCALE: "de",
      PORT: "99999",
    });
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "BOT_TOKEN",
      "DATABASE_URL",
      "ADMIN_IDS",
      "DEFAULT_LOCALE",
      "PORT",
    ]);
    const all = problems.join("\n");
    expect(all).not.toContain("secret");
    expect(all).not.toContain("secretpass");
  });

  it("requires a webhook secret in webhook mode", () => {
    expect(problemsOf({ ...valid, WEBHOOK_URL: "https://bot.example.org/hook" })).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRET: required when WEBHOOK_URL is set/),
    ]);
    expect(problemsOf({ ...valid, WEBHOOK_URL: "http://bot.example.org/hook" })[0]).toMatch(
      /^WEBHOOK_URL: expected an https:\/\/ URL/,
    );
  });

  it("takes TELEGRAM_API_ROOT over https, or plain http only on a loopback address", () => {
    for (const root of [
      "https://api.telegram.org",
      "https://botapi.example.org:8443/root",
      "http://127.0.0.1:8081",
      "http://localhost:8081",
      "http://[::1]:8081",
    ]) {
      expect(problemsOf({ ...valid, TELEGRAM_API_ROOT: root }), root).toEqual([]);
    }
    for (const root of [
      "http://api.telegram.org",
      "http://10.0.0.5:8081",
      "http://localhost.example.org",
      "http://127.0.0.1.example.org",
      "ftp://127.0.0.1",
    ]) {
      expect(problemsOf({ ...valid, TELEGRAM_API_ROOT: root }), root).toEqual([
        expect.stringMatching(/^TELEGRAM_API_ROOT: expected an https:\/\/ URL/),
      ]);
    }
  });

  it("limits for additions and storage, with defaults", () => {
    expect(parseConfig(valid)).toMatchObject({
      ADDITION_FILES_MAX: 20,
      ADDITION_MB_MAX: 200,
      ADDITION_MESSAGES_PER_DAY: 30,
      STORAGE_LIMIT_GB: 20,
    });
    expect(parseConfig({ ...valid, STORAGE_LIMIT_GB: "0.5" }).STORAGE_LIMIT_GB).toBe(0.5);
    expect(problemsOf({ ...valid, STORAGE_LIMIT_GB: "0" })[0]).toMatch(/^STORAGE_LIMIT_GB: /);
    expect(problemsOf({ ...valid, STORAGE_LIMIT_GB: "lots" })[0]).toMatch(/^STORAGE_LIMIT_GB: /);
  });

  it("reads .env, with the real environment taking precedence", () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-env-"));
    const file = join(dir, ".env");
    writeFileSync(file, `BOT_TOKEN=${TOKEN}\nEDITOR_KEYS=from-file.asc\nLOG_LEVEL=debug\n`);
    const config = parseConfig(readEnvironment({ LOG_LEVEL: "warn" }, file));
    expect(config.EDITOR_KEYS).toEqual(["from-file.asc"]);
    expect(config.LOG_LEVEL).toBe("warn");
  });

  it("stops the start with exit code 1 and one line per problem", () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-start-"));
    const result = runTsx("src/main.ts", [], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, BOT_TOKEN: "x:secret-value" },
    });
    expect(result.status).toBe(1);
    const lines = String(result.stderr).trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^BOT_TOKEN: expected a token like/),
      expect.stringMatching(/^EDITOR_KEYS is required/),
    ]);
    expect(String(result.stderr)).not.toContain("secret-value");
  });
});

describe("the editor tool's configuration", () => {
  it("needs no token and no keys, with the bot's storage defaults", () => {
    const config = parseEditorToolConfig({});
    expect(config).toEqual({ DATA_DIR: parseConfig(valid).DATA_DIR, EDITOR_KEYS: [] });
    expect(parseEditorToolConfig({ EDITOR_KEYS: " a.asc, ,keys " }).EDITOR_KEYS).toEqual([
      "a.asc",
      "keys",
    ]);
  });

  it("checks DATABASE_URL as the bot does, without echoing it", () => {
    const error = (() => {
      try {
        parseEditorToolConfig({ DATABASE_URL: "mysql://secretpass@db/x" });
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.problems).toEqual([expect.stringMatching(/^DATABASE_URL: expected postgres:/)]);
    expect(error?.message).not.toContain("secretpass");
  });
});

describe("the launch environment", () => {
  it("says whether npm started the process, whether there is a display, and BOT_TOKEN", () => {
    expect(readLaunchEnvironment({})).toEqual({
      startedByNpm: false,
      hasDisplay: false,
      botToken: undefined,
    });
    expect(
      readLaunchEnvironment({
        npm_lifecycle_event: "demo",
        WAYLAND_DISPLAY: "wayland-0",
        BOT_TOKEN: "t",
      }),
    ).toEqual({ startedByNpm: true, hasDisplay: true, botToken: "t" });
  });
});
