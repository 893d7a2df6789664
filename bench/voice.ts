// 13. Voice disguise: a 1-minute and a 10-minute voice note (speech-like audio made here), each
// disguised in its worker: time and peak extra memory, with ratios to decoding it alone and to
// storing the original (encrypting it into the chunk store) in the same run. Then the p99 of
// other sources' ordinary steps (20 sources typing answers) without and with recordings being
// disguised meanwhile. Goals: real-time factor ≤ 0.1, < 100 MB extra for 10 minutes, p99 ≤ 2×.
import { OggOpusDecoder } from "ogg-opus-decoder";
import { storeEncryptedAttachment } from "../src/services/interview/attachments.js";
import { createVoiceDisguiser } from "../src/services/voice/index.js";
import { OggOpusWriter } from "../src/services/voice/ogg-opus.js";
import { makeTestEditorKeyring } from "../test/helpers/keys.js";
import { vowel } from "../test/services/voice/speech.js";
import {
  benchStorage,
  collectGarbage,
  goal,
  mb,
  ms,
  percentile,
  printTable,
  progress,
  progressDone,
  ratio,
  sleep,
  startInProcessBot,
  startRssSampler,
  walkTo,
} from "./lib.js";

const RTF_GOAL = 0.1;
const EXTRA_GOAL = 100 * 1024 * 1024;
const SOURCES = 20;
const STEPS = 12;

/** `minutes` of speech-like audio: 10 s of vowels at two pitches, repeated, as Telegram's Ogg/Opus. */
function voiceNote(minutes: number): Uint8Array {
  const pieces = [
    vowel({ seconds: 5, f0: 115, formants: [750, 1200, 2500] }),
    vowel({ seconds: 5, f0: 140, formants: [400, 2100, 2800] }),
  ];
  const writer = new OggOpusWriter(48_000);
  for (let s = 0; s < minutes * 60; s += 10) for (const piece of pieces) writer.push(piece);
  return writer.finish();
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function measured<T>(
  sampler: Awaited<ReturnType<typeof startRssSampler>>,
  work: () => Promise<T>,
): Promise<{ time: number; extra: number }> {
  await sleep(100);
  collectGarbage();
  await sleep(100);
  const before = process.memoryUsage.rss();
  sampler.start();
  const started = performance.now();
  await work();
  const time = performance.now() - started;
  const { peak } = await sampler.stop();
  return { time, extra: Math.max(0, peak - before) };
}

async function decodeOnly(bytes: Uint8Array): Promise<void> {
  const decoder = new OggOpusDecoder();
  await decoder.ready;
  for (let offset = 0; offset < bytes.length; offset += 32 * 1024) {
    await decoder.decode(bytes.subarray(offset, offset + 32 * 1024));
  }
  decoder.free();
}

async function singleNotes(): Promise<string[][]> {
  const { keyring } = await makeTestEditorKeyring(3);
  const chunks = { writeChunk: async () => {}, deleteAttachments: async () => {} };
  const disguiser = createVoiceDisguiser({ workers: 1 });
  const sampler = await startRssSampler(10);
  const rows: string[][] = [];
  try {
    await disguiser.disguise(voiceNote(0.1)); // the worker and its WebAssembly, started once
    for (const minutes of [1, 10]) {
      progress(`voice: making a ${minutes}-minute note`);
      const note = voiceNote(minutes);
      progress(`voice: ${minutes} min: storing the original`);
      const store = await measured(sampler, () =>
        storeEncryptedAttachment(chunks, keyring, streamOf(note)),
      );
      progress(`voice: ${minutes} min: decoding alone`);
      const decode = await measured(sampler, () => decodeOnly(note));
      progress(`voice: ${minutes} min: disguising`);
      const disguise = await measured(sampler, async () => {
        const result = await disguiser.disguise(note);
        if (typeof result === "string") throw new Error(`not disguised: ${result}`);
      });
      const rtf = disguise.time / (minutes * 60_000);
      rows.push([
        `${minutes} min (${mb(note.length)})`,
        ms(store.time),
        ms(decode.time),
        ms(disguise.time),
        ratio(disguise.time, decode.time),
        ratio(disguise.time, store.time),
        rtf.toFixed(3),
        `${mb(store.extra)} / ${mb(decode.extra)} / ${mb(disguise.extra)}`,
        goal(rtf <= RTF_GOAL, "RTF ≤ 0.1"),
        minutes === 10 ? goal(disguise.extra < EXTRA_GOAL, "< 100 MB extra") : "",
      ]);
    }
  } finally {
    await sampler.close();
    await disguiser.close();
  }
  return rows;
}

/** p99 of 20 sources' typed answers (send → the bot's saved note), with or without voice load. */
async function ordinarySteps(withVoice: boolean): Promise<{ p99: number; disguised: number }> {
  const { keyring } = await makeTestEditorKeyring(3);
  const storage = await benchStorage("pglite");
  const bot = await startInProcessBot({ storage, keyring });
  const samples: number[] = [];
  let disguised = 0;
  try {
    const users = Array.from({ length: SOURCES }, (_, i) =>
      bot.api.user({ id: 740_000 + i, first_name: `Source ${i}`, language_code: "ru" }),
    );
    const speaker = bot.api.user({ id: 749_999, first_name: "Speaker", language_code: "ru" });
    for (const user of [...users, speaker]) await walkTo(user, "story");
    const note = voiceNote(1);
    let typing = true;
    const speaking = (async () => {
      while (withVoice && typing && disguised < 9) {
        await speaker.sendVoice(note, { duration: 60 });
        const count = ++disguised;
        await bot.api.waitFor(
          () => speaker.botMessages().some((m) => m.text?.includes(`файлов: ${count}`)),
          120_000,
          "voice saved",
        );
      }
    })();
    if (withVoice) await sleep(500); // the first recording is in its worker
    await Promise.all(
      users.map(async (user, u) => {
        for (let step = 1; step <= STEPS; step++) {
          await sleep(200 + Math.random() * 600);
          const sent = performance.now();
          await user.send(`Ответ ${u}.${step}`);
          await bot.api.waitFor(
            () => user.botMessages().some((m) => m.text?.includes(`Сообщений: ${step},`)),
            120_000,
            "saved note",
          );
          samples.push(performance.now() - sent);
        }
      }),
    );
    typing = false;
    await speaking;
  } finally {
    await bot.stop();
    await storage.close();
  }
  return { p99: percentile(samples, 99), disguised };
}

export async function run(): Promise<void> {
  const rows = await singleNotes();
  progress("voice: 20 sources typing, no recordings");
  const quiet = await ordinarySteps(false);
  progress("voice: 20 sources typing while recordings are disguised");
  const loaded = await ordinarySteps(true);
  progressDone();
  printTable({
    title: "13. Voice disguise of one note (1 worker, 3 editor keys; extra = peak RSS growth)",
    headers: [
      "note",
      "store original",
      "decode alone",
      "disguise",
      "÷ decode",
      "÷ store",
      "RTF",
      "extra: store / decode / disguise",
      "speed",
      "memory",
    ],
    rows,
  });
  printTable({
    title: `13b. Other sources' ordinary steps: ${SOURCES} sources typing, p99 (PGlite)`,
    headers: ["without recordings", "with recordings being disguised", "ratio", "goal"],
    rows: [
      [
        ms(quiet.p99),
        `${ms(loaded.p99)} (${loaded.disguised} one-minute notes)`,
        ratio(loaded.p99, quiet.p99),
        goal(loaded.p99 <= 2 * quiet.p99, "≤ 2×"),
      ],
    ],
  });
}
