// The mistakes `duet new` refuses before writing anything. Each is a `UsageError` (exit code 2)
// with a stable `code` to match on; the message says what to do instead.
import { UsageError } from '../command';

/** `duet new` without a `<dir>`. */
export class MissingDirectoryError extends UsageError {
  override readonly name: string = 'MissingDirectoryError';
  readonly code = 'DUET_ERR_MISSING_DIRECTORY';

  constructor() {
    super('a <dir> for the new project is needed, e.g. `duet new my-app`');
  }
}

/** The target exists and is a file, or a folder with something in it: nothing is overwritten. */
export class TargetNotEmptyError extends UsageError {
  override readonly name: string = 'TargetNotEmptyError';
  override readonly showUsage = false;
  readonly code = 'DUET_ERR_TARGET_NOT_EMPTY';

  constructor(
    /** The target as given on the command line. */
    readonly target: string,
    isFile: boolean,
  ) {
    super(
      `${target} ${isFile ? 'is a file' : 'already exists and is not empty'}; ` +
        'give the name of a new or empty folder (nothing was written)',
    );
  }
}

/** `--sample <name>` names no sample this CLI carries. */
export class UnknownSampleError extends UsageError {
  override readonly name: string = 'UnknownSampleError';
  override readonly showUsage = false;
  readonly code = 'DUET_ERR_UNKNOWN_SAMPLE';

  constructor(
    /** The name asked for. */
    readonly sample: string,
    /** The samples there are. */
    readonly known: readonly string[],
  ) {
    super(`unknown sample '${sample}'; the samples are: ${known.join(', ')} (\`duet samples\` describes them)`);
  }
}
