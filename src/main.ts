// Start: config → logger → the service (editor keys → secrets → storage (+ migrations) → bot,
// polling or webhook; src/service.ts) → SIGTERM/SIGINT (to the bot, or to `npm start`, which
// passes them on) stop it in order.
import { TokenRejectedError } from "./bot/telegram-check.js";
import {
  type Config,
  ConfigError,
  parseConfig,
  readEnvironment,
  readLaunchEnvironment,
} from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import { whenParentGone } from "./parent-watch.js";
import { startService } from "./service.js";
import { KeyError } from "./services/crypto/editor-keys.js";
import { KeySetError } from "./services/crypto/key-set.js";
import { StorageError } from "./storage/db.js";

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.LOG_LEVEL });
  try {
    await start(config, logger);
  } catch (error) {
    if (
      error instanceof KeyError ||
      error instanceof KeySetError ||
      error instanceof StorageError ||
      error instanceof TokenRejectedError
    ) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    logger.fatal({ err: error }, "start failed");
    process.exit(1);
  }
}

function loadConfigOrExit(): Config {
  try {
    return parseConfig(readEnvironment());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}

async function start(config: Config, logger: Logger): Promise<void> {
  // Until the service runs (e.g. while Telegram is unreachable) there is nothing to stop in
  // order: a signal, or `npm start` killed, ends the process with one line.
  let stop: (why: string) => void = (why) => {
    logger.info({ signal: why }, "stopped");
    process.exit(0);
  };
  // `on`, not `once`: Ctrl-C in a terminal reaches the bot twice (from the terminal, and passed
  // on by npm), and a second SIGINT must not cut the clean stop short.
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // `npm start` killed so that it cannot pass the signal on (SIGKILL): stop as on SIGTERM.
  whenParentGone(readLaunchEnvironment().startedByNpm, () => stop("npm exited"));
  const service = await startService(config, logger);
  let stopping = false;
  stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: why }, "stopping");
    await service.stop();
    logger.info("stopped");
    process.exit(0);
  };
}

void main();
