// The shape of an editor-tool command and the two kinds of error it may end with.

export interface Command {
  /** One or more words, e.g. "keys check". */
  name: string;
  args: string;
  summary: string;
  /** More lines for `<command> --help`. */
  details: string[];
  run(argv: string[]): Promise<number>;
}

/** A mistake in how the tool was called: exit code 2 and a pointer to --help. */
export class UsageError extends Error {}

/** Something the user can fix; printed as one line, exit code 1 (or the given code). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
