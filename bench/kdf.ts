// The memory-hard derivation of a source's key from their Telegram id: what one new conversation
// costs the bot, and what a sweep of ids costs whoever seized the pepper.
import { createHmac, randomBytes } from "node:crypto";
import { deriveSourceKey, SOURCE_KDF } from "../src/services/sources/keys.js";

const SAMPLES = 20;
const SWEEP_IDS = 1e10;
const TELEGRAM_ID_SPACE = 2 ** 33;

export async function run(): Promise<void> {
  const pepper = randomBytes(32);
  // Baseline: the fast keyed hash it replaces (HMAC-SHA256), same ids.
  const hmacStart = performance.now();
  for (let i = 0; i < 100_000; i++) {
    createHmac("sha256", pepper)
      .update(`user:${7_000_000_000 + i}`)
      .digest();
  }
  const hmacMs = (performance.now() - hmacStart) / 100_000;

  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await deriveSourceKey(pepper, 7_000_000_000 + i);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(SAMPLES / 2)] as number;
  const coreYears = (ids: number, ms: number) => (ids * ms) / 1000 / 3600 / 24 / 365;
  const memory = (128 * SOURCE_KDF.N * SOURCE_KDF.r) / 1024 / 1024;

  console.log(
    `\nSource key derivation (scrypt N=2^${Math.log2(SOURCE_KDF.N)}, r=${SOURCE_KDF.r}, ${memory} MiB), ${SAMPLES} samples`,
  );
  console.log(
    "  what                                   time per id   ratio to HMAC   sweep of 10^10 ids   all ~2^33 ids",
  );
  console.log(
    `  HMAC-SHA256 (before)                   ${fmt(hmacMs)}   ${"1×".padEnd(13)}   ${years(coreYears(SWEEP_IDS, hmacMs))}   ${years(coreYears(TELEGRAM_ID_SPACE, hmacMs))}`,
  );
  console.log(
    `  scrypt, once per new conversation      ${fmt(median)}   ${`${Math.round(median / hmacMs).toLocaleString("en")}×`.padEnd(13)}   ${years(coreYears(SWEEP_IDS, median))}   ${years(coreYears(TELEGRAM_ID_SPACE, median))}`,
  );
  console.log(
    `  (the sweep also holds ${memory} MiB per parallel guess; confirming one known id costs one derivation)`,
  );
}

function fmt(ms: number): string {
  return `${ms < 1 ? ms.toFixed(4) : ms.toFixed(1)} ms`.padEnd(12);
}

function years(value: number): string {
  const text =
    value >= 1 ? `${value.toFixed(1)} core-years` : `${(value * 365 * 24).toFixed(2)} core-hours`;
  return text.padEnd(19);
}
