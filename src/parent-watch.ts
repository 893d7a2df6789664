// Lets an entry point stop when npm, which started it, is gone. npm passes SIGINT and SIGTERM on
// to the script (whose `exec` makes node the one that gets them), but a SIGKILL cannot be passed
// on at all: node would be left running (the demo with its temporary folder).
// An orphan is adopted by another process, so a change of parent is the sign to stop.
import { readFileSync } from "node:fs";

/** How often the parent is checked: a stop follows a dead npm within about this long. */
export const PARENT_CHECK_MS = 500;

/**
 * Calls `onGone` once when this process's parent changes. Only when started by npm (`byNpm`: see
 * readLaunchEnvironment in config.ts): a bot started by a shell with `&` must survive that shell.
 * Returns stop().
 */
export function whenParentGone(byNpm: boolean, onGone: () => void): () => void {
  if (!byNpm) return () => {};
  const parent = process.ppid;
  // npm → sh → node (a script without `exec`): a SIGKILL to npm leaves the shell waiting for us,
  // so on Linux the shell's own parent (npm) is watched too. With `exec` npm is the parent, and
  // its parent (the user's shell) may come and go. Elsewhere only a change of parent is seen.
  const grandparent = isShell(parent) ? parentOf(parent) : undefined;
  const timer = setInterval(() => {
    if (
      process.ppid === parent &&
      (grandparent === undefined || parentOf(parent) === grandparent)
    ) {
      return;
    }
    clearInterval(timer);
    onGone();
  }, PARENT_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Whether `pid` is a shell (/proc on Linux; false where it cannot be told). */
function isShell(pid: number): boolean {
  try {
    return /^(sh|dash|bash|ash|zsh)$/.test(readFileSync(`/proc/${pid}/comm`, "utf8").trim());
  } catch {
    return false;
  }
}

/** The parent of `pid` from /proc (Linux), or undefined where there is no /proc or it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (command) state ppid …": the command may hold spaces and parentheses.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}
