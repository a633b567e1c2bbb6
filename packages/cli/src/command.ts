// What every `duet` command is: a name, a line for `duet --help`, its own usage, and a run
// that returns an exit code. A new command is one file under commands/ plus a line in main.ts.

/** Where a command writes, and the directory its relative paths start from. */
export interface CliIo {
  readonly cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** One `duet <name>` command. */
export interface Command {
  readonly name: string;
  /** One line for `duet --help`. */
  readonly summary: string;
  /** The full help of `duet <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves with the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/**
 * A mistake in how the command was called (unknown option, missing entry, nothing to do):
 * reported with the command's usage and exit code 2.
 */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
  readonly exitCode = 2;
  /** Whether the command's usage follows the message; false when the call was right but its target is not. */
  readonly showUsage: boolean = true;
}

/** Runs an argument parser (node's `parseArgs`), turning what it throws into a `UsageError`. */
export function parsingArguments<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
