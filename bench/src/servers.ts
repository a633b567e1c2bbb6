// The servers under test. Each is its own process on its own port; adding one is adding an
// entry here and naming it in a scenario (scenarios.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const BENCH_ROOT = path.join(REPO_ROOT, 'bench');

export interface ServerDefinition {
  id: string;
  /** How tables and the chart name it. */
  label: string;
  /** The entry file, from the repository root. */
  entry: string;
  /**
   * `ts`: run with ts-node (transpile only, at start); `esm`: a plain ES module; `bun`: run by
   * Bun (the repository's devDependency, scripts/bun-path.js), without the Node harness.
   */
  runtime: 'ts' | 'esm' | 'bun';
  /** The tsconfig ts-node uses for a `ts` entry. */
  tsProject?: string;
  /** Let ws load the native `bufferutil` (from the bench's own dependencies). */
  bufferutil?: boolean;
  /** Why the server cannot run now (checked at run time), or undefined when it can. */
  unavailable?: () => string | undefined;
  /** The checkout the entry is run from (`--against`); this repository when absent. */
  root?: string;
  /** Environment of the server process (e.g. `DEFLATE`: see servers/deflate.ts). */
  env?: Record<string, string>;
}

const BENCH_TSCONFIG = 'bench/tsconfig.json';

function nestUnavailable(): string | undefined {
  return existsSync(path.join(BENCH_ROOT, 'node_modules/@nestjs/platform-ws/package.json'))
    ? undefined
    : "the bench's dependencies are not installed (npm ci --prefix bench)";
}

/** Whether @duet/opentelemetry is built. */
function opentelemetryBuilt(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return typeof require(path.join(REPO_ROOT, 'packages/opentelemetry')).openTelemetryModule === 'function';
  } catch {
    return false;
  }
}

/** Whether the built @duet/websocket exports `name` (features land in Duet as issues close). */
export function duetExports(name: string): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const duet = require(path.join(REPO_ROOT, 'packages/websocket')) as Record<string, unknown>;
    return typeof duet[name] === 'function';
  } catch {
    return false;
  }
}

const SERVER_LIST: ServerDefinition[] = [
  {
    id: 'raw-ws-bytes',
    label: 'raw ws (bytes echo)',
    entry: 'bench/servers/raw-ws-echo-bytes.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
  },
  {
    id: 'raw-ws-string',
    label: 'raw ws (string echo)',
    entry: 'bench/servers/raw-ws-echo-string.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
  },
  {
    id: 'duet-echo',
    label: 'Duet samples/echo',
    entry: 'samples/echo/main.ts',
    runtime: 'ts',
    tsProject: 'samples/tsconfig.json',
  },
  {
    id: 'duet-echo-resume',
    label: 'Duet echo with resume',
    entry: 'bench/servers/duet-echo-resume.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
  },
  {
    id: 'raw-ws-string-bufferutil',
    label: 'raw ws (string echo) + bufferutil',
    entry: 'bench/servers/raw-ws-echo-string.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
    bufferutil: true,
    unavailable: bufferutilUnavailable,
  },
  {
    id: 'duet-echo-bufferutil',
    label: 'Duet samples/echo + bufferutil',
    entry: 'samples/echo/main.ts',
    runtime: 'ts',
    tsProject: 'samples/tsconfig.json',
    bufferutil: true,
    unavailable: bufferutilUnavailable,
  },
  {
    id: 'raw-bun',
    label: 'raw Bun.serve (string echo)',
    entry: 'bench/servers/raw-bun-echo.ts',
    runtime: 'bun',
    unavailable: bunUnavailable,
  },
  {
    id: 'duet-echo-bun',
    label: 'Duet samples/echo on Bun (native engine)',
    entry: 'samples/echo/main.ts',
    runtime: 'bun',
    unavailable: bunUnavailable,
  },
  {
    id: 'raw-bun-json',
    label: 'raw Bun.serve (hand-routed JSON)',
    entry: 'bench/servers/raw-bun-json.ts',
    runtime: 'bun',
    unavailable: bunUnavailable,
  },
  {
    id: 'duet-json-bun',
    label: 'Duet @OnMessage on Bun (native engine)',
    entry: 'bench/servers/duet-json.ts',
    runtime: 'bun',
    unavailable: bunUnavailable,
  },
  {
    id: 'raw-bun-broadcast',
    label: 'raw Bun.serve (server.publish)',
    entry: 'bench/servers/raw-bun-broadcast.ts',
    runtime: 'bun',
    unavailable: bunUnavailable,
  },
  {
    id: 'duet-broadcast-bun',
    label: 'Duet on Bun (registry.broadcast)',
    entry: 'bench/servers/duet-broadcast.ts',
    runtime: 'bun',
    unavailable: bunUnavailable,
  },
  {
    id: 'raw-ws-json',
    label: 'raw ws (hand-routed JSON)',
    entry: 'bench/servers/raw-ws-json.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
  },
  {
    id: 'duet-json',
    label: 'Duet @OnMessage',
    entry: 'bench/servers/duet-json.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
    unavailable: () => (duetExports('OnMessage') ? undefined : 'not available yet: @duet/websocket does not export OnMessage (issue 5)'),
  },
  {
    id: 'duet-json-intercepted',
    label: 'Duet @OnMessage + 1 interceptor',
    entry: 'bench/servers/duet-json-intercepted.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
    unavailable: () => (duetExports('UseInterceptors') ? undefined : 'not available: @duet/websocket has no interceptors (issue 18)'),
  },
  {
    id: 'duet-json-traced',
    label: 'Duet @OnMessage + OpenTelemetry',
    entry: 'bench/servers/duet-json-traced.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
    unavailable: () => (opentelemetryBuilt() ? undefined : 'not available: @duet/opentelemetry is not built (issue 18)'),
  },
  {
    id: 'nest-json',
    label: 'NestJS @SubscribeMessage',
    entry: 'bench/servers/nest-json.mjs',
    runtime: 'esm',
    unavailable: nestUnavailable,
  },
  {
    id: 'raw-ws-broadcast',
    label: 'raw ws (send loop)',
    entry: 'bench/servers/raw-ws-broadcast.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
  },
  {
    id: 'duet-broadcast',
    label: 'Duet (registry.broadcast)',
    entry: 'bench/servers/duet-broadcast.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
  },
  // permessage-deflate: the same settings on both sides (servers/deflate.ts), ws's defaults
  // otherwise; `-nct` adds server no context takeover.
  ...['', '-nct'].flatMap((suffix): ServerDefinition[] => {
    const env = { DEFLATE: suffix === '' ? 'on' : 'no-context-takeover' };
    const nct = suffix === '' ? '' : ', no context takeover';
    return [
      { id: `raw-ws-broadcast-deflate${suffix}`, label: `raw ws (send loop, deflate${nct})`, entry: 'bench/servers/raw-ws-broadcast.ts', runtime: 'ts', tsProject: BENCH_TSCONFIG, env },
      { id: `duet-broadcast-deflate${suffix}`, label: `Duet (registry.broadcast, compression${nct})`, entry: 'bench/servers/duet-broadcast.ts', runtime: 'ts', tsProject: BENCH_TSCONFIG, env },
    ];
  }),
  {
    id: 'raw-ws-json-deflate',
    label: 'raw ws (hand-routed JSON, deflate)',
    entry: 'bench/servers/raw-ws-json.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
    env: { DEFLATE: 'on' },
  },
  {
    id: 'duet-json-deflate',
    label: 'Duet @OnMessage (compression)',
    entry: 'bench/servers/duet-json.ts',
    runtime: 'ts',
    tsProject: BENCH_TSCONFIG,
    env: { DEFLATE: 'on' },
  },
];

/** The Bun binary of the repository's devDependency, or undefined. */
export function bunBinary(): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { locateBun } = require(path.join(REPO_ROOT, 'scripts/bun-path.js')) as { locateBun(): string | undefined };
  return locateBun();
}

function bunUnavailable(): string | undefined {
  return bunBinary() === undefined ? 'no working Bun binary (node scripts/bun-path.js says what is missing)' : undefined;
}

function bufferutilUnavailable(): string | undefined {
  return existsSync(path.join(BENCH_ROOT, 'node_modules/bufferutil/package.json'))
    ? undefined
    : "bufferutil is not installed (it is one of the bench's dependencies: npm ci --prefix bench)";
}

export const SERVERS: readonly ServerDefinition[] = SERVER_LIST;

/** The id of `id`'s copy run from the other checkout of `--against`. */
export function againstId(id: string): string {
  return `${id}@against`;
}

/**
 * Adds, for every Duet server, a copy run from `root` (another checkout of this repository,
 * built and installed): `npm run bench -- --against DIR` then measures both side by side in
 * one run, turn by turn, which is how a change is shown to be within noise.
 */
export function addServersAgainst(root: string): void {
  const name = path.basename(path.resolve(root));
  // The Node servers: a Bun row has no counterpart in a checkout from before the Bun engine.
  // A server whose entry the other checkout does not have (one added since) has no counterpart either.
  const servers = SERVER_LIST.filter(
    (candidate) => candidate.id.startsWith('duet-') && candidate.runtime !== 'bun' && existsSync(path.join(root, candidate.entry)),
  );
  for (const server of servers) {
    SERVER_LIST.push({ ...server, id: againstId(server.id), label: `${server.label} [${name}]`, root: path.resolve(root) });
  }
}

export function hasServer(id: string): boolean {
  return SERVER_LIST.some((candidate) => candidate.id === id);
}

export function serverById(id: string): ServerDefinition {
  const server = SERVERS.find((candidate) => candidate.id === id);
  if (server === undefined) throw new Error(`no bench server '${id}'`);
  return server;
}
