// GnuPG homes the tests make: gpg starts an agent for each, and an agent outlives the test unless
// told to stop. test/setup.ts stops those left running when a test file ends.
import { spawnSync } from "node:child_process";

const homes = new Set<string>();

export function trackGpgHome(dir: string): void {
  homes.add(dir);
}

/** Stops the agent (and any other GnuPG daemon) of one home. */
export function stopGpgAgent(dir: string): void {
  spawnSync("gpgconf", ["--homedir", dir, "--kill", "all"], {
    env: { ...process.env, GNUPGHOME: dir },
  });
  homes.delete(dir);
}

export function stopGpgAgents(): void {
  for (const dir of [...homes]) stopGpgAgent(dir);
}
