// A worker module for the worker pool's tests: echoes, spins forever, or eats memory.
export async function handle(input: { op: "echo" | "spin" | "eat"; value?: number }) {
  if (input.op === "spin") for (;;);
  if (input.op === "eat") {
    const kept: number[][] = [];
    for (;;) kept.push(new Array(1_000_000).fill(1));
  }
  return {
    result: { value: input.value, threadId: (await import("node:worker_threads")).threadId },
  };
}
