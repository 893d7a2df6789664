// Start: config → logger → the service (editor keys → secrets → storage (+ migrations) → bot,
// polling or webhook; src/service.ts) → SIGTERM/SIGINT stop it in order.
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
import { KeySetError } from "./services/key-set.js";
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
  // `npm start` killed (its shell does not pass the signal on): stop as on SIGTERM; before the
  // service runs (e.g. while Telegram is unreachable) there is nothing to stop in order.
  let onParentGone: () => void = () => process.exit(1);
  whenParentGone(readLaunchEnvironment().startedByNpm, () => onParentGone());
  const service = await startService(config, logger);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    await service.stop();
    logger.info("stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  onParentGone = () => void shutdown("npm exited");
}

void main();
