// A worker module in plain JavaScript, loaded as the compiled build loads its workers (no tsx).
import { threadId } from "node:worker_threads";

export async function handle(input) {
  return { result: { value: input.value, threadId } };
}
