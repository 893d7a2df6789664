// Configuration: parsed once from the environment (and an optional .env file) into a frozen object.
// The only module that reads process.env: the bot (parseConfig), the editor tool and the desk
// (parseEditorToolConfig: storage and keys, no token) and the entry points (readLaunchEnvironment).
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { z } from "zod";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

const HELP: Record<string, string> = {
  BOT_TOKEN:
    "BOT_TOKEN is required: create a bot with @BotFather in Telegram (/newbot) and copy the token it gives you",
  EDITOR_KEYS:
    'EDITOR_KEYS is required: each editor runs `npm run editor -- keygen --name "Name" --out keys` on their own computer and gives you the .public.asc file; list the files or their folder here',
};

/** Every default, in one place: the schemas apply them; tests and benchmarks start from them. */
export const DEFAULTS = {
  TELEGRAM_API_ROOT: "https://api.telegram.org",
  DATA_DIR: "./data",
  ADMIN_IDS: [] as number[],
  DEFAULT_LOCALE: "ru",
  PORT: 8080,
  LOG_LEVEL: "info",
  DRAFT_TTL_HOURS: 72,
  MAX_TEXT_LENGTH: 20_000,
  MAX_ATTACHMENTS: 30,
  VOICE_WORKERS: 1,
  MAX_SUBMISSIONS_PER_DAY: 3,
  CODENAME_ATTEMPTS_PER_HOUR: 5,
  FLOOD_MESSAGES_PER_MINUTE: 40,
  ADDITION_FILES_MAX: 20,
  ADDITION_MB_MAX: 200,
  ADDITION_MESSAGES_PER_DAY: 30,
  STORAGE_LIMIT_GB: 20,
  BROADCAST_RATE_PER_SECOND: 25,
  NOTIFY_WINDOW_MINUTES: 15,
} as const;

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const intFromString = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const telegramId = z
  .string()
  .trim()
  .regex(/^-?\d{1,20}$/, "expected a numeric Telegram id")
  .transform(Number);

const idList = z
  .string()
  .trim()
  .transform((v) => (v === "" ? [] : v.split(",").map((s) => s.trim())))
  .pipe(z.array(z.string().regex(/^\d{1,20}$/, "expected comma-separated numeric user ids")))
  .transform((ids) => ids.map(Number));

const pathList = z.string().transform((v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

/** Where the data is: the bot, the editor tool and the desk read the same two variables. */
const storageFields = {
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "expected postgres://user:password@host:port/database")
      .optional(),
  ),
  // Empty as unset, like the other optional variables.
  DATA_DIR: optionalString.transform((v) => v ?? DEFAULTS.DATA_DIR),
};

const schema = z
  .object({
    BOT_TOKEN: z
      .string({ error: HELP.BOT_TOKEN })
      .trim()
      .min(1, HELP.BOT_TOKEN)
      .regex(/^\d+:[A-Za-z0-9_-]+$/, "expected a token like 123456:ABC-DEF… from @BotFather"),
    TELEGRAM_API_ROOT: z.url().default(DEFAULTS.TELEGRAM_API_ROOT),
    ...storageFields,
    EDITOR_KEYS: z
      .string({ error: HELP.EDITOR_KEYS })
      .pipe(pathList)
      .pipe(z.array(z.string()).min(1, HELP.EDITOR_KEYS)),
    EDITORS_CHAT_ID: optionalString.pipe(telegramId.optional()),
    ADMIN_IDS: idList.default(() => [...DEFAULTS.ADMIN_IDS]),
    DEFAULT_LOCALE: z.enum(["ru", "en"]).default(DEFAULTS.DEFAULT_LOCALE),
    /** The editors' chat speaks one language, whoever presses a button there; unset: DEFAULT_LOCALE. */
    EDITORS_LOCALE: optionalString.pipe(z.enum(["ru", "en"]).optional()),
    WEBHOOK_URL: optionalString.pipe(
      z.url().startsWith("https://", "expected an https:// URL").optional(),
    ),
    WEBHOOK_SECRET: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{16,256}$/, "expected 16-256 characters of A-Z, a-z, 0-9, _ or -")
        .optional(),
    ),
    PORT: intFromString(1, 65535).default(DEFAULTS.PORT),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default(DEFAULTS.LOG_LEVEL),
    DRAFT_TTL_HOURS: intFromString(1, 24 * 30).default(DEFAULTS.DRAFT_TTL_HOURS),
    MAX_TEXT_LENGTH: intFromString(100, 100_000).default(DEFAULTS.MAX_TEXT_LENGTH),
    MAX_ATTACHMENTS: intFromString(1, 200).default(DEFAULTS.MAX_ATTACHMENTS),
    VOICE_WORKERS: intFromString(1, 16).default(DEFAULTS.VOICE_WORKERS),
    MAX_SUBMISSIONS_PER_DAY: intFromString(1, 100).default(DEFAULTS.MAX_SUBMISSIONS_PER_DAY),
    CODENAME_ATTEMPTS_PER_HOUR: intFromString(1, 100).default(DEFAULTS.CODENAME_ATTEMPTS_PER_HOUR),
    FLOOD_MESSAGES_PER_MINUTE: intFromString(5, 1000).default(DEFAULTS.FLOOD_MESSAGES_PER_MINUTE),
    // Additions through a codename, per testimony (files and megabytes in all, messages a day).
    ADDITION_FILES_MAX: intFromString(1, 1000).default(DEFAULTS.ADDITION_FILES_MAX),
    ADDITION_MB_MAX: intFromString(1, 100_000).default(DEFAULTS.ADDITION_MB_MAX),
    ADDITION_MESSAGES_PER_DAY: intFromString(1, 10_000).default(DEFAULTS.ADDITION_MESSAGES_PER_DAY),
    // Ciphertext stored in all; files are refused beyond it, editors are told at 80%.
    STORAGE_LIMIT_GB: z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, "expected a number of gigabytes, e.g. 20 or 0.5")
      .transform(Number)
      .pipe(z.number().positive("expected more than 0"))
      .default(DEFAULTS.STORAGE_LIMIT_GB),
    // Unset: keep submissions until editors purge them.
    RETENTION_DAYS: optionalString.pipe(intFromString(1, 36_500).optional()),
    // Telegram allows about 30 messages a second in all; paid broadcasts up to 1000.
    BROADCAST_RATE_PER_SECOND: intFromString(1, 1000).default(DEFAULTS.BROADCAST_RATE_PER_SECOND),
    PEPPER: optionalString.pipe(
      z
        .string()
        .regex(/^[0-9a-f]{64}$/, "expected 64 hex characters (32 bytes)")
        .optional(),
    ),
    SERVER_KEY: optionalString.pipe(
      z
        .string()
        .regex(/^[0-9a-f]{64}$/, "expected 64 hex characters (32 bytes)")
        .optional(),
    ),
    // Secrets off the data disk: files (e.g. docker secrets), or a folder outside DATA_DIR.
    PEPPER_FILE: optionalString,
    SERVER_KEY_FILE: optionalString,
    SECRETS_DIR: optionalString,
    // Where the briefing and /privacy point the most exposed sources (an onion address, a Signal
    // number, a SecureDrop instance), per language; unset: no such line.
    SAFER_CHANNEL_TEXT_RU: optionalString.pipe(
      z.string().max(500, "expected at most 500 characters").optional(),
    ),
    SAFER_CHANNEL_TEXT_EN: optionalString.pipe(
      z.string().max(500, "expected at most 500 characters").optional(),
    ),
    // Editors' notices go out once per window (plus jitter); 0 sends each one at once.
    NOTIFY_WINDOW_MINUTES: z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, "expected minutes, e.g. 15 (0 sends each notice at once)")
      .transform(Number)
      .pipe(
        z
          .number()
          .min(0)
          .max(24 * 60),
      )
      .default(DEFAULTS.NOTIFY_WINDOW_MINUTES),
  })
  .superRefine((env, ctx) => {
    if (env.PEPPER && env.PEPPER_FILE) {
      ctx.addIssue({
        code: "custom",
        path: ["PEPPER_FILE"],
        message: "give PEPPER or PEPPER_FILE, not both",
      });
    }
    if (env.SERVER_KEY && env.SERVER_KEY_FILE) {
      ctx.addIssue({
        code: "custom",
        path: ["SERVER_KEY_FILE"],
        message: "give SERVER_KEY or SERVER_KEY_FILE, not both",
      });
    }
    // The bot token travels in every request to the API root: plain http only on this machine.
    const root = new URL(env.TELEGRAM_API_ROOT);
    if (root.protocol !== "https:" && !(root.protocol === "http:" && isLoopback(root.hostname))) {
      ctx.addIssue({
        code: "custom",
        path: ["TELEGRAM_API_ROOT"],
        message:
          "expected an https:// URL (http:// only for a loopback address such as http://127.0.0.1:8081)",
      });
    }
    if (env.WEBHOOK_URL && !env.WEBHOOK_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["WEBHOOK_SECRET"],
        message:
          "required when WEBHOOK_URL is set (Telegram sends it back so forged updates are refused)",
      });
    }
  });

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

export type Config = Readonly<z.output<typeof schema>>;

/** Reads `.env` (if present) under the real environment: the environment wins. */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  envFile = ".env",
): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, "utf8")) : {};
  return { ...fromFile, ...env };
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  return parseWith(schema, env);
}

/**
 * The editor tool and the review desk: where the data is and the editors' public keys, with the
 * bot's variables and defaults; no token, and EDITOR_KEYS may be empty (reading needs no keys).
 */
const editorToolSchema = z.object({
  ...storageFields,
  EDITOR_KEYS: pathList.default(() => []),
});

export type EditorToolConfig = Readonly<z.output<typeof editorToolSchema>>;

export function parseEditorToolConfig(env: Record<string, string | undefined>): EditorToolConfig {
  return parseWith(editorToolSchema, env);
}

function parseWith<T extends z.ZodType>(
  schema: T,
  env: Record<string, string | undefined>,
): Readonly<z.output<T>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    // One line per problem, naming the variable; values are never echoed (they may be secrets).
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "configuration");
      return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new ConfigError([...new Set(problems)]);
  }
  return Object.freeze(result.data);
}

/** What the entry points read of the environment as it is, beside the configuration. */
export interface LaunchEnvironment {
  /** npm started this process (npm_lifecycle_event): stop when npm is gone (parent-watch.ts). */
  startedByNpm: boolean;
  /** A desktop session (DISPLAY or WAYLAND_DISPLAY) where the editor tool may open a browser. */
  hasDisplay: boolean;
  /** BOT_TOKEN as set in the environment (never .env): the demo refuses to run beside one. */
  botToken: string | undefined;
}

export function readLaunchEnvironment(env: NodeJS.ProcessEnv = process.env): LaunchEnvironment {
  return {
    startedByNpm: Boolean(env.npm_lifecycle_event),
    hasDisplay: Boolean(env.DISPLAY || env.WAYLAND_DISPLAY),
    botToken: env.BOT_TOKEN,
  };
}
