// Captures everything a logger writes, as one string, for "nothing leaked" assertions.
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/logger.js";

export function captureLogs(level = "trace"): { logger: Logger; output: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ level, destination });
  return { logger, output: () => chunks.join("") };
}
