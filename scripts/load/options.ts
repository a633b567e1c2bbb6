// The load test's command line: what each option means, its default, and the checks that run
// before anything starts, so that a run that cannot work (too many sockets for one process's
// 20,000 open files, several processes with nothing to join them) stops at once and says why.

/** The options of `npm run load -- …`. */
export interface LoadOptions {
  /** Connections to open and hold (`--connections`, default 10,000). */
  readonly connections: number;
  /** Duet server processes, the connections spread evenly over them (`--processes`, default 1). */
  readonly processes: number;
  /** Start a redis-server of the run's own and join the processes with `RedisBackplane` (`--redis`). */
  readonly redis: boolean;
  /** Load-generator processes (`--generators`, default: enough for at most 18,000 sockets each). */
  readonly generators: number;
  /** Print the result as JSON, and nothing else on stdout (`--json`). */
  readonly json: boolean;
  /**
   * The servers' memory allocator (`--jemalloc`: Debian's libjemalloc through LD_PRELOAD; default
   * glibc's malloc, which keeps memory freed after a peak of connections: see docs/scale.md).
   */
  readonly allocator: 'glibc' | 'jemalloc';
  /** Seconds the connections are held, all open, before the broadcast (`--hold`, default 3). */
  readonly holdSeconds: number;
  /** Seconds after which the whole run gives up and tears everything down (`--timeout`, default 600). */
  readonly timeoutSeconds: number;
}

/**
 * Sockets one generator holds at most. The hard limit here is 20,000 open files per process;
 * the rest is headroom for the process's own descriptors and sockets still closing.
 */
export const MAX_SOCKETS_PER_GENERATOR = 18_000;
/** Connections one server process holds at most (the same limit; its Redis connections are few). */
export const MAX_CONNECTIONS_PER_SERVER = 19_000;

export class LoadOptionsError extends Error {
  override name = 'LoadOptionsError';
}

const FLAGS = new Set(['--redis', '--json', '--jemalloc']);
const VALUED = new Set(['--connections', '--processes', '--generators', '--hold', '--timeout']);

function whole(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new LoadOptionsError(`${name} must be a whole number of at least ${min}, got '${text}'`);
  return value;
}

/** Reads `argv` (without node and the script); throws `LoadOptionsError` naming the first bad option. */
export function parseOptions(argv: readonly string[]): LoadOptions {
  const given = new Map<string, string | undefined>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (FLAGS.has(name)) given.set(name, undefined);
    else if (VALUED.has(name)) {
      if (i + 1 >= argv.length) throw new LoadOptionsError(`${name} needs a value`);
      given.set(name, argv[++i]);
    } else throw new LoadOptionsError(`unknown option '${name}' (known: ${[...VALUED, ...FLAGS].join(', ')})`);
  }
  const connections = whole('--connections', given.get('--connections'), 10_000, 1);
  const processes = whole('--processes', given.get('--processes'), 1, 1);
  const redis = given.has('--redis');
  const generators = whole('--generators', given.get('--generators'), Math.ceil(connections / MAX_SOCKETS_PER_GENERATOR), 1);
  const options: LoadOptions = {
    connections,
    processes,
    redis,
    generators,
    json: given.has('--json'),
    allocator: given.has('--jemalloc') ? 'jemalloc' : 'glibc',
    holdSeconds: whole('--hold', given.get('--hold'), 3, 0),
    timeoutSeconds: whole('--timeout', given.get('--timeout'), 600, 10),
  };
  if (processes > 1 && !redis) {
    throw new LoadOptionsError(`--processes ${processes} needs --redis: without a backplane, a broadcast reaches one process only`);
  }
  if (Math.ceil(connections / generators) > MAX_SOCKETS_PER_GENERATOR) {
    throw new LoadOptionsError(
      `--generators ${generators} would give each more than ${MAX_SOCKETS_PER_GENERATOR} sockets (20,000 open files per process): use at least ${Math.ceil(connections / MAX_SOCKETS_PER_GENERATOR)}`,
    );
  }
  if (Math.ceil(connections / processes) > MAX_CONNECTIONS_PER_SERVER) {
    throw new LoadOptionsError(
      `--processes ${processes} would give each server more than ${MAX_CONNECTIONS_PER_SERVER} connections (20,000 open files per process): use at least ${Math.ceil(connections / MAX_CONNECTIONS_PER_SERVER)}`,
    );
  }
  if (generators > connections) throw new LoadOptionsError(`--generators ${generators} is more than --connections ${connections}`);
  return options;
}
