// Seeded fuzzing of the editors' side: a valid archive, mutated at least 1,000 ways per run
// (bit flips, header fields with re-computed checksums, names, sizes, truncation, repeated and
// dropped blocks, hostile manifest values). Each one either opens or fails with one of the tool's
// own errors, and nothing is ever written outside the output folder. The seed is printed; set
// FUZZ_SEED to replay a run.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArchiveError } from "../../src/services/archive/tar-header.js";
import { openArchive } from "../../src/services/archive/testimony.js";
import { writeTestimonyFolder } from "../../src/services/archive/testimony-folder.js";
import {
  DecryptionError,
  type UnlockedPrivateKey,
  unlockPrivateKey,
} from "../../src/services/crypto/decrypt.js";
import {
  filesBelow,
  fixChecksum,
  json,
  makeValidArchive,
  rawTar,
  type ValidArchive,
} from "../helpers/archives.js";
import { cleanupKeyFixtures, makeTestEditorKeyring, type TestKey } from "../helpers/keys.js";

const CASES = Number(process.env.FUZZ_CASES ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  return { next, int, pick };
}

type Random = ReturnType<typeof prng>;

const HOSTILE_STRINGS = [
  "../../../.config/autostart/evil.desktop",
  "/etc/cron.d/x",
  "..",
  "a/../../b",
  "x\0y",
  "C:\\Windows\\x",
  "~/.bashrc",
  "%2e%2e%2f",
  "\u202e",
  "é".repeat(70),
  "",
  "__proto__",
  "constructor",
];
const HOSTILE_VALUES: unknown[] = [
  ...HOSTILE_STRINGS,
  -1,
  0,
  1.5,
  1e300,
  Number.MAX_SAFE_INTEGER,
  null,
  true,
  [],
  {},
  { toString: "x" },
];
const HEADER_FIELDS = [
  [0, 100],
  [100, 8],
  [124, 12],
  [148, 8],
  [156, 1],
  [157, 100],
  [257, 8],
  [345, 155],
] as const;

/** A manifest with one value replaced by something hostile. */
function mutateManifest(valid: ValidArchive, random: Random): Buffer {
  const manifest = structuredClone(valid.manifest) as unknown as Record<string, unknown>;
  const parts = manifest.parts as Record<string, unknown>[];
  const value = random.pick(HOSTILE_VALUES);
  if (random.next() < 0.4) {
    const key = random.pick([
      "format",
      "submission",
      "questionnaireVersion",
      "locale",
      "status",
      "createdOn",
      "parts",
    ]);
    manifest[key] = value;
  } else {
    const part = random.pick(parts);
    const key = random.pick(["file", "questionId", "kind", "seq", "body"]);
    if (random.next() < 0.15) delete part[key];
    else part[key] = value;
  }
  const entries = valid.entries.map((e) => ({ name: e.name, data: e.data }));
  entries[0] = { name: "manifest.json", data: json(manifest) };
  return rawTar(entries);
}

/** One mutation of the archive's bytes. */
function mutateBytes(valid: ValidArchive, random: Random): Buffer {
  const bytes = Buffer.from(valid.bytes);
  const headers: number[] = [];
  for (let offset = 0, i = 0; i < valid.entries.length; i++) {
    headers.push(offset);
    const size = valid.entries[i]?.data.length ?? 0;
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  const header = random.pick(headers);
  switch (random.int(8)) {
    case 0: {
      // A few random bytes anywhere.
      for (let i = random.int(8) + 1; i > 0; i--) bytes[random.int(bytes.length)] = random.int(256);
      return bytes;
    }
    case 1: {
      // A header field overwritten with something hostile, checksum made right again.
      const [offset, length] = random.pick(HEADER_FIELDS);
      const text = Buffer.from(
        random.pick([...HOSTILE_STRINGS, "77777777777", "2", "5", "L", "x", "-1"]),
      );
      bytes.fill(0, header + offset, header + offset + length);
      text.copy(bytes, header + offset, 0, Math.min(length, text.length));
      if (random.next() < 0.8) fixChecksum(bytes.subarray(header, header + 512));
      return bytes;
    }
    case 2: {
      // A lying size, checksum right.
      const size = random.pick([0, 1, 511, 513, 10 ** 6, 2 ** 26 + 1, 2 ** 33 - 1]);
      bytes.write(`${size.toString(8).padStart(11, "0")}\0`, header + 124, 12, "latin1");
      fixChecksum(bytes.subarray(header, header + 512));
      return bytes;
    }
    case 3:
      return bytes.subarray(0, random.int(bytes.length));
    case 4: {
      // A block repeated or dropped.
      const block = random.int(Math.floor(bytes.length / 512)) * 512;
      const piece = bytes.subarray(block, block + 512);
      return random.next() < 0.5
        ? Buffer.concat([bytes.subarray(0, block), piece, bytes.subarray(block)])
        : Buffer.concat([bytes.subarray(0, block), bytes.subarray(block + 512)]);
    }
    case 5:
      return Buffer.concat([bytes, Buffer.from(random.pick(HOSTILE_STRINGS) || "x")]);
    case 6: {
      // Entries swapped, renamed or repeated.
      const entries = valid.entries.map((e) => ({
        name: e.name as string | Uint8Array,
        data: e.data,
      }));
      type Entry = (typeof entries)[number];
      const i = random.int(entries.length);
      const j = random.int(entries.length);
      const [first, second] = [entries[i] as Entry, entries[j] as Entry];
      const how = random.int(3);
      if (how === 0) [entries[i], entries[j]] = [second, first];
      if (how === 1) first.name = random.pick(HOSTILE_STRINGS);
      if (how === 2) entries.splice(i, 0, second);
      return rawTar(entries.map((e) => ({ name: e.name, data: e.data })));
    }
    default: {
      // Bytes flipped inside an encrypted part (OpenPGP must refuse it, not misread it).
      const at = header + 512 + random.int(100);
      bytes[at] = (bytes[at] ?? 0) ^ (1 << random.int(8));
      return bytes;
    }
  }
}

describe("archives fuzzed", () => {
  let key: TestKey;
  let unlocked: UnlockedPrivateKey;
  let valid: ValidArchive;
  let root: string;

  beforeAll(async () => {
    const made = await makeTestEditorKeyring(1);
    key = made.keys[0] as TestKey;
    unlocked = await unlockPrivateKey(key.armoredPrivateKey, key.passphrase);
    valid = await makeValidArchive(made.keyring);
    root = mkdtempSync(join(tmpdir(), "tb-fuzz-"));
  });
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    await cleanupKeyFixtures();
  });

  it(`opens or refuses ${CASES} mutations cleanly, writing only inside the output folder`, async () => {
    console.log(`archive fuzz seed: ${SEED} (replay with FUZZ_SEED=${SEED})`);
    const random = prng(SEED);
    const out = join(root, "home", "out");
    mkdirSync(out, { recursive: true });
    const outcomes = { opened: 0, refused: 0 };
    for (let i = 0; i < CASES; i++) {
      const bytes =
        random.next() < 0.3 ? mutateManifest(valid, random) : mutateBytes(valid, random);
      try {
        const testimony = await openArchive(bytes, unlocked);
        await writeTestimonyFolder(testimony, out, "en");
        outcomes.opened++;
      } catch (error) {
        if (!(error instanceof ArchiveError || error instanceof DecryptionError)) {
          throw new Error(
            `seed ${SEED}, case ${i}: unexpected ${(error as Error)?.stack ?? error}`,
          );
        }
        outcomes.refused++;
      }
    }
    console.log(`archive fuzz: ${outcomes.opened} opened, ${outcomes.refused} refused`);
    expect(outcomes.refused).toBeGreaterThan(CASES / 2);
    const outside = filesBelow(root).filter((file) => !file.startsWith("home/out/submission-"));
    expect(outside, `seed ${SEED}`).toEqual([]);
    for (const file of filesBelow(out)) {
      expect(file, `seed ${SEED}`).toMatch(
        /^submission-\d+\/(testimony\.md|meta\.json|attachments\/\d\d-[a-z0-9_]+-[a-z0-9_]+\.[a-z0-9]+)$/,
      );
    }
  }, 300_000);
});
