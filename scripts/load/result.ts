// What a load run found: the figures, the targets of issue #20 against them, and the same as
// text for a person. `--json` prints the `LoadResult` itself; scripts/load/chart.ts draws it.
import type { LoadOptions } from './options';
import type { ServerStats } from './server';

export interface ServerFigures {
  pid: number;
  port: number;
  before: ServerStats;
  held: ServerStats;
  after: ServerStats;
  /** (RSS held − RSS before) ÷ connections held, in bytes. */
  rssPerConnection: number;
  heapPerConnection: number;
}

export interface LoadResult {
  date: string;
  command: string;
  options: LoadOptions;
  machine: {
    cores: number;
    node: string;
    /** 1, 5 and 15 minute load averages when the run began: other work on the machine shows here. */
    loadAverage: number[];
    kernel: Record<string, string | undefined>;
    openFileLimit: { loadTest: number; servers: number[]; generators: number[] };
  };
  sourceAddresses: string[];
  open: {
    wanted: number;
    opened: number;
    failed: number;
    errors: Record<string, number>;
    ms: number;
    perSecond: number;
    /** Connections open over all generators at each tick of `progressTickMs`. */
    progress: number[];
    progressTickMs: number;
    /** How long each generator took to open its share. */
    generatorMs?: number[];
  };
  clusterCount: { count: number; expected: number; via: string; waitedMs: number };
  servers: ServerFigures[];
  /** Over every server: Σ(RSS held − RSS before) ÷ Σ connections, in bytes. */
  rssPerConnection: number;
  broadcast: {
    sentBy: number;
    localSent: number;
    writeMs: number;
    receivers: number;
    once: number;
    missing: number;
    duplicated: number;
    otherFrames: number;
    firstOther?: string;
    closedEarly: Record<string, number>;
    firstMs: number;
    p50Ms: number;
    p99Ms: number;
    /** The last receiver's time; undefined when some never got it. */
    allMs: number | undefined;
    /** Receive time at each half percent of receivers, 0 % to 100 % (201 points). */
    cdf: number[];
  };
  close: {
    closed: number;
    notClosed: number;
    ms: number;
    /** Deliveries re-counted once everything was closed (a late duplicate shows here). */
    duplicatedAtClose: number;
    otherFramesAtClose: number;
    registryAfter: number[];
    clusterCountAfter: number | undefined;
  };
  memoryAfterClose: {
    /** Full collections (each `global.gc()` twice) and the time waited until memory was back, or the rounds ran out. */
    rounds: number;
    waitedMs: number;
    rssBefore: number;
    rssHeld: number;
    rssAfter: number;
  };
  redis: { pid: number; cpuSeconds: { open: number; hold: number; broadcast: number; close: number; total: number } } | undefined;
  targets: Target[];
  failures: string[];
}

export interface Target {
  name: string;
  wanted: string;
  found: string;
  met: boolean;
}

export const RSS_PER_CONNECTION_TARGET = 8 * 1024;
export const BROADCAST_TARGET_MS = 2000;
export const MEMORY_BACK_WITHIN = 0.1;

/** The targets of issue #20, item 6, against a run's figures. */
export function targetsOf(result: Omit<LoadResult, 'targets' | 'failures'>): Target[] {
  const { open, broadcast, servers } = result;
  const worstBack = Math.max(...servers.map((server) => server.after.rss / server.before.rss - 1));
  return [
    {
      name: 'all connections open',
      wanted: `${open.wanted}`,
      found: `${open.opened} (${open.failed} failed)`,
      met: open.opened === open.wanted,
    },
    {
      name: 'cluster-wide count',
      wanted: `${open.wanted}`,
      found: `${result.clusterCount.count} via ${result.clusterCount.via}`,
      met: result.clusterCount.count === open.wanted,
    },
    {
      name: 'broadcast delivered exactly once to every connection',
      wanted: `${open.wanted} once, none missing, duplicated or other`,
      found:
        `${broadcast.once} once, ${broadcast.missing} missing, ${broadcast.duplicated + result.close.duplicatedAtClose} duplicated, ` +
        `${broadcast.otherFrames + result.close.otherFramesAtClose} other frames`,
      met:
        broadcast.once === open.wanted &&
        broadcast.missing === 0 &&
        broadcast.duplicated === 0 &&
        result.close.duplicatedAtClose === 0 &&
        broadcast.otherFrames === 0 &&
        result.close.otherFramesAtClose === 0,
    },
    {
      name: 'server RSS per connection',
      wanted: `≤ ${kib(RSS_PER_CONNECTION_TARGET)}`,
      found: `${kib(result.rssPerConnection)} over all (per process ${servers.map((server) => kib(server.rssPerConnection, 1)).join(', ')})`,
      met: result.rssPerConnection <= RSS_PER_CONNECTION_TARGET,
    },
    {
      name: 'broadcast to all receivers',
      wanted: `≤ ${BROADCAST_TARGET_MS} ms`,
      found: broadcast.allMs === undefined ? 'not all received' : `${broadcast.allMs.toFixed(0)} ms`,
      met: broadcast.allMs !== undefined && broadcast.allMs <= BROADCAST_TARGET_MS,
    },
    {
      name: 'server RSS after close',
      wanted: `within ${MEMORY_BACK_WITHIN * 100} % of before, on every process`,
      found: `worst ${worstBack >= 0 ? '+' : ''}${(worstBack * 100).toFixed(1)} % (${mib(result.memoryAfterClose.rssBefore)} → ${mib(result.memoryAfterClose.rssAfter)} over all)`,
      met: worstBack <= MEMORY_BACK_WITHIN,
    },
  ];
}

/** The value at fraction `q` (0..1) of sorted `values` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function kib(bytes: number, digits = 2): string {
  return `${(bytes / 1024).toFixed(digits)} KiB`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The result for a person. */
export function formatResult(result: LoadResult): string {
  const { open, broadcast, close, memoryAfterClose: memory } = result;
  const lines = [
    `load test, ${result.date}: ${result.command}`,
    `machine:      ${result.machine.cores} cores, node ${result.machine.node}, load average ${result.machine.loadAverage.map((value) => value.toFixed(2)).join(' ')}`,
    `processes:    ${result.servers.length} servers on ${result.options.allocator}'s malloc (ports ${result.servers.map((server) => server.port).join(', ')}), ${result.options.generators} load generators from ${result.sourceAddresses.length} source addresses (${result.sourceAddresses[0]}…${result.sourceAddresses.at(-1)})${result.redis ? `, redis-server pid ${result.redis.pid}` : ''}`,
    `open:         ${open.opened} of ${open.wanted} in ${(open.ms / 1000).toFixed(1)} s (${open.perSecond.toFixed(0)}/s)${open.failed > 0 ? `; ${open.failed} failed: ${JSON.stringify(open.errors)}` : ''}`,
    `cluster:      ${result.clusterCount.count} via ${result.clusterCount.via} (after ${result.clusterCount.waitedMs} ms)`,
    `server RSS:   ${kib(result.rssPerConnection)} per connection over all; per process: ${result.servers.map((server) => `${kib(server.rssPerConnection, 1)} (${server.held.connections})`).join(', ')}`,
    `server heap:  per process ${result.servers.map((server) => kib(server.heapPerConnection, 1)).join(', ')} per connection`,
    `broadcast:    from server 0 (${broadcast.localSent} local in ${broadcast.writeMs.toFixed(1)} ms); first ${broadcast.firstMs.toFixed(1)} ms, 50 % ${broadcast.p50Ms.toFixed(1)} ms, 99 % ${broadcast.p99Ms.toFixed(1)} ms, all ${broadcast.allMs === undefined ? 'never' : `${broadcast.allMs.toFixed(1)} ms`}`,
    `deliveries:   ${broadcast.once} exactly once, ${broadcast.missing} missing, ${broadcast.duplicated} duplicated (+${close.duplicatedAtClose} seen at close), ${broadcast.otherFrames} other frames${broadcast.firstOther ? ` (first: ${broadcast.firstOther})` : ''}, closed early: ${JSON.stringify(broadcast.closedEarly)}`,
    `close:        ${close.closed} closed in ${(close.ms / 1000).toFixed(1)} s, ${close.notClosed} not; registries after: ${close.registryAfter.join(', ')}; cluster count after: ${close.clusterCountAfter ?? 'unread'}`,
    `memory:       RSS ${mib(memory.rssBefore)} before → ${mib(memory.rssHeld)} held → ${mib(memory.rssAfter)} after close (${memory.rounds} gc rounds, ${memory.waitedMs} ms); per process ${result.servers.map((server) => `${mib(server.before.rss)}→${mib(server.after.rss)}`).join(', ')}`,
  ];
  if (result.redis) {
    const cpu = result.redis.cpuSeconds;
    lines.push(
      `redis CPU:    ${cpu.total.toFixed(2)} s in all: open ${cpu.open.toFixed(2)} s, hold ${cpu.hold.toFixed(2)} s, broadcast ${cpu.broadcast.toFixed(2)} s, close ${cpu.close.toFixed(2)} s`,
    );
  }
  lines.push('targets:');
  for (const target of result.targets) lines.push(`  ${target.met ? 'met   ' : 'MISSED'} ${target.name}: ${target.found} (wanted ${target.wanted})`);
  lines.push(result.failures.length === 0 ? 'load test passed' : `load test FAILED: ${result.failures.join('; ')}`);
  return lines.join('\n');
}
