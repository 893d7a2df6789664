// Loaded in a worker thread by the pool in index.ts (see ../workers.ts): the original bytes
// arrive copied, and only the disguised file, or why there is none, goes back.
import { CouldNotDecodeError, disguiseRecording, TooLongError } from "./disguise.js";

export type DisguiseOutcome = Uint8Array | "could-not-decode" | "too-long";

export async function handle(
  original: Uint8Array,
): Promise<{ result: DisguiseOutcome; transfer?: ArrayBuffer[] }> {
  try {
    const disguised = await disguiseRecording(original);
    return { result: disguised, transfer: [disguised.buffer as ArrayBuffer] };
  } catch (error) {
    if (error instanceof TooLongError) return { result: "too-long" };
    if (error instanceof CouldNotDecodeError) return { result: "could-not-decode" };
    throw error;
  }
}
