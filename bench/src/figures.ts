// The figures a run produces, how they are named and printed, and which way is better.

export type FigureKey =
  | 'messagesPerSecond'
  | 'p50Micros'
  | 'p99Micros'
  | 'broadcastMs'
  | 'broadcastMaxMs'
  | 'serverCpuMsPerBroadcast'
  | 'rssPerConnection'
  | 'heapPerConnection'
  | 'handshakesPerSecond'
  | 'wireBytesPerMessage';

export interface FigureInfo {
  label: string;
  /** Short form for the chart. */
  short: string;
  better: 'higher' | 'lower';
  format: (value: number) => string;
}

const count = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–');
const micros = (value: number) =>
  !Number.isFinite(value) ? '–' : value >= 10000 ? `${(value / 1000).toFixed(1)} ms` : `${Math.round(value)} µs`;
const millis = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : '–');
const kib = (value: number) => (Number.isFinite(value) ? `${(value / 1024).toFixed(2)} KiB` : '–');

export const FIGURES: Record<FigureKey, FigureInfo> = {
  messagesPerSecond: { label: 'msgs/s', short: 'msgs/s', better: 'higher', format: count },
  p50Micros: { label: 'p50 latency', short: 'p50', better: 'lower', format: micros },
  p99Micros: { label: 'p99 latency', short: 'p99', better: 'lower', format: micros },
  broadcastMs: { label: 'time to all (median)', short: 'time to all', better: 'lower', format: millis },
  broadcastMaxMs: { label: 'time to all (slowest)', short: 'slowest', better: 'lower', format: millis },
  serverCpuMsPerBroadcast: { label: 'server CPU per broadcast', short: 'CPU/broadcast', better: 'lower', format: millis },
  rssPerConnection: { label: 'RSS per connection', short: 'RSS/conn', better: 'lower', format: kib },
  heapPerConnection: { label: 'JS heap per connection', short: 'heap/conn', better: 'lower', format: kib },
  handshakesPerSecond: { label: 'handshakes/s', short: 'handshakes/s', better: 'higher', format: count },
  wireBytesPerMessage: { label: 'bytes on the wire per message', short: 'wire B/msg', better: 'lower', format: count },
};

/** The figures of each kind of scenario, the first being the one the chart shows. */
export const FIGURES_OF_KIND: Record<'throughput' | 'broadcast' | 'idle', FigureKey[]> = {
  throughput: ['messagesPerSecond', 'p50Micros', 'p99Micros', 'wireBytesPerMessage'],
  broadcast: ['broadcastMs', 'broadcastMaxMs', 'serverCpuMsPerBroadcast', 'wireBytesPerMessage'],
  idle: ['rssPerConnection', 'handshakesPerSecond', 'heapPerConnection'],
};

/** Figures drawn in the chart, per kind. */
export const CHARTED: Record<'throughput' | 'broadcast' | 'idle', FigureKey[]> = {
  throughput: ['messagesPerSecond'],
  broadcast: ['broadcastMs'],
  idle: ['rssPerConnection', 'handshakesPerSecond'],
};

/**
 * Resource use recorded beside the figures, in cores (1 = one core busy): the server, the load
 * generator, the whole machine, and what was left for others (machine − server − load generator).
 */
export type UsageKey = 'serverCpu' | 'loadCpu' | 'machineCpu' | 'otherCpu';
