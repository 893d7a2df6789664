// Loaded in a worker thread by cleaner.ts: cleans one file and hands the result back without a
// copy (the result's buffer is transferred).
import { stripMetadataPieces } from "./index.js";

export async function handle(input: { bytes: Uint8Array }) {
  const { pieces, ...rest } = await stripMetadataPieces(input.bytes);
  const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const single = pieces.length === 1 ? (pieces[0] as Uint8Array) : undefined;
  let bytes: Uint8Array;
  if (single && single.byteOffset === 0 && single.byteLength === single.buffer.byteLength) {
    bytes = single; // unchanged, or changed in place (MP4): send it back as it is
  } else {
    bytes = new Uint8Array(length);
    let offset = 0;
    for (const piece of pieces) {
      bytes.set(piece, offset);
      offset += piece.length;
    }
  }
  return { result: { ...rest, bytes }, transfer: [bytes.buffer] };
}
