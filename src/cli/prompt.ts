// Reading secrets from the terminal (hidden) or, in scripts and tests, from stdin.
import { CliError } from "./command.js";

export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads one line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let answer = "";
    const wasRaw = input.isRaw;
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode(wasRaw);
      input.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003") return finish(new CliError("cancelled", 130)); // Ctrl-C
        if (char === "\u0004" && answer === "") return finish(new CliError("cancelled", 130));
        if (char === "\u001b") return; // arrow keys and other escape sequences: ignore the rest
        if (char === "\u007f" || char === "\b") answer = [...answer].slice(0, -1).join("");
        else if (char === "\u0015")
          answer = ""; // Ctrl-U
        else if (char >= " ") answer += char;
      }
    };
    input.setRawMode(true);
    input.setEncoding("utf8");
    input.on("data", onData);
    input.resume();
  });
}

/** One passphrase: asked on the terminal, or the first line of stdin. */
export async function readPassphrase(question: string): Promise<string> {
  if (process.stdin.isTTY) return promptHidden(question);
  const [line] = (await readAllStdin()).split(/\r?\n/);
  if (!line) throw new CliError("expected the passphrase on the first line of stdin");
  return line;
}
