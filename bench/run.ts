// `npm run bench` runs every benchmark in order; `npm run bench -- latency attachments` runs some.
// Each prints a table of figures and ratios to baselines measured in the same run. PostgreSQL
// variants run when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set.
import { availableParallelism, loadavg } from "node:os";
import { cleanupKeyFixtures } from "../test/helpers/keys.js";
import { postgresAdminUrl } from "./lib.js";

const BENCHMARKS: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  encryption: () => import("./encryption.js"),
  kdf: () => import("./kdf.js"),
  "cold-start": () => import("./cold-start.js"),
  latency: () => import("./latency.js"),
  attachments: () => import("./attachments.js"),
  metadata: () => import("./metadata.js"),
  voice: () => import("./voice.js"),
  "cleaning-bomb": () => import("./cleaning-bomb.js"),
  "open-interviews": () => import("./open-interviews.js"),
  export: () => import("./export.js"),
  grant: () => import("./grant.js"),
  broadcast: () => import("./broadcast.js"),
  desk: () => import("./desk.js"),
  demo: () => import("./demo.js"),
  "multi-instance": () => import("./multi-instance.js"),
  faults: () => import("./faults.js"),
  admission: () => import("./admission.js"),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((arg) => arg !== "--");
  const unknown = wanted.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`unknown benchmark: ${unknown.join(", ")}`);
    console.error(`choose from: ${Object.keys(BENCHMARKS).join(", ")}`);
    process.exit(2);
  }
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHMARKS);
  const pg = postgresAdminUrl();
  console.log(
    `testimony-bot benchmarks — node ${process.version}, ${process.platform}/${process.arch}, ` +
      `${availableParallelism()} CPUs, load average ${loadavg()[0]?.toFixed(1)} at start; ` +
      `PostgreSQL: ${pg ? new URL(pg).host : "not set (PGlite only)"}`,
  );
  try {
    for (const name of names) {
      const load = BENCHMARKS[name] as (typeof BENCHMARKS)[string];
      const started = performance.now();
      await (await load()).run();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`  (${name}: ${seconds} s; load average now ${loadavg()[0]?.toFixed(1)})`);
    }
  } finally {
    await cleanupKeyFixtures();
  }
}

await main();
process.exit(0);
