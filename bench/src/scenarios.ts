// What is measured: each scenario names its servers (run in alternation, round after round),
// the raw ws server its ratios are taken against, and the load.
import type { BroadcastSpec } from './load/broadcast';
import type { ThroughputSpec } from './load/throughput';

interface ScenarioBase {
  id: string;
  title: string;
  /** Server ids (servers.ts), in the order they take turns within a round. */
  servers: string[];
  /** Every ratio of the scenario is taken against this server, round by round. */
  baseline: string;
  /** Further servers to show ratios against in the tables. */
  alsoAgainst?: string[];
  /** At most this many rounds, for scenarios whose figures vary little and whose turns are long. */
  maxRounds?: number;
  /**
   * The load's connections ask for a resumable session (`?duet-resume=new`) and speak the
   * session protocol as @duet/client does: they take the `$session` and `$ack` frames of a
   * service with `resume` and acknowledge every 32 messages received. A server without
   * `resume` ignores the ask, and those connections then run as plain ones.
   */
  session?: boolean;
  /** The load offers permessage-deflate (every server of the scenario must be a compressing one). */
  compression?: boolean;
}

export interface ThroughputScenario extends ScenarioBase {
  kind: 'throughput';
  /**
   * The measured time of each turn is the bench's times this: for a load whose rate swings from
   * one second to the next (16 KiB echoes: ±15 % between 1.5 s windows of one raw ws server).
   */
  measureFactor?: number;
  connections: number;
  window: number;
  message: string;
  expectedReply: string;
}

export interface BroadcastScenario extends ScenarioBase {
  kind: 'broadcast';
  connections: number;
  message: string;
  warmupBroadcasts: number;
  broadcasts: number;
  pauseMs: number;
}

export interface IdleScenario extends ScenarioBase {
  kind: 'idle';
  connections: number;
  /** Opened and closed before the baseline memory is read, so lazy code and pools exist. */
  warmupConnections: number;
  /** Handshakes under way at once. */
  concurrency: number;
}

export type Scenario = ThroughputScenario | BroadcastScenario | IdleScenario;

/** Where the load goes: a server under test (a `ServerProcess`). */
export interface LoadTarget {
  readonly port: number;
  readonly pid: number;
}

/** The load generator's orders for a throughput scenario (the runner and the profiler alike). */
export function throughputSpec(scenario: ThroughputScenario, target: LoadTarget, warmupMs: number, measureMs: number): ThroughputSpec {
  return {
    port: target.port,
    path: pathOf(scenario),
    session: scenario.session === true,
    serverPid: target.pid,
    connections: scenario.connections,
    window: scenario.window,
    message: scenario.message,
    expectedReply: scenario.expectedReply,
    warmupMs,
    measureMs,
    compression: scenario.compression,
  };
}

/** The path the load connects to: a session is asked for in the query. */
export function pathOf(scenario: Scenario): string {
  return scenario.session === true ? '/ws?duet-resume=new' : '/ws';
}

/** The load generator's orders for a broadcast scenario, with `broadcasts` measured. */
export function broadcastSpec(scenario: BroadcastScenario, target: LoadTarget, broadcasts: number): BroadcastSpec {
  return {
    port: target.port,
    path: '/ws',
    serverPid: target.pid,
    connections: scenario.connections,
    message: scenario.message,
    warmupBroadcasts: scenario.warmupBroadcasts,
    broadcasts,
    pauseMs: scenario.pauseMs,
    compression: scenario.compression,
  };
}

/** `bytes` of printable ASCII text. */
export function textOf(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
  let text = '';
  while (text.length < bytes) text += alphabet;
  return text.slice(0, bytes);
}

const ECHO_SERVERS = ['raw-ws-bytes', 'raw-ws-string', 'duet-echo', 'raw-ws-string-bufferutil', 'duet-echo-bufferutil'];
/** Bun's native server and Duet on it (engine 'auto' under Bun); ratios against raw Bun.serve. */
const BUN_ECHO_SERVERS = ['raw-bun', 'duet-echo-bun'];
const SMALL = textOf(64);
const LARGE = textOf(16 * 1024);
// Canonical JSON: a reply of `{ type: 'echo', data }` re-encodes to these very bytes.
const JSON_MESSAGE = JSON.stringify({ type: 'echo', data: { id: 42, text: 'the quick brown fox jumps over the lazy dog' } });

/** A 16 KiB JSON message (an order book snapshot), which a `{ type: 'echo', data }` reply re-encodes to the same bytes. */
const JSON_16K = jsonOfAbout(16 * 1024);
/** One round of a market feed: ticker updates for 40 pairs (about 3 KiB of JSON). */
const MARKET_ROUND = JSON.stringify({
  type: 'tickers',
  updates: Array.from({ length: 40 }, (_, i) => ({
    event: 'ticker',
    pair: `PAIR${i}/USD`,
    seq: 1000 + i,
    bid: Number((100 + i * 1.37).toFixed(2)),
    ask: Number((100.05 + i * 1.37).toFixed(2)),
    last: Number((100.02 + i * 1.37).toFixed(2)),
  })),
});

function jsonOfAbout(bytes: number): string {
  const levels: { price: number; size: number; orders: number }[] = [];
  let text = '';
  for (let i = 0; text.length < bytes - 64; i++) {
    levels.push({ price: Number((30000 + i * 0.5).toFixed(1)), size: Number(((i * 7919) % 1000 / 100).toFixed(2)), orders: (i * 31) % 17 });
    text = JSON.stringify({ type: 'echo', data: { book: 'XBT/USD', levels } });
  }
  return text;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'echo-64-c64',
    title: 'echo 64 B, C=64, W=16',
    kind: 'throughput',
    // With Duet's echo with `resume` too: the option costs nothing to clients that do not ask for a session.
    servers: [...ECHO_SERVERS, 'duet-echo-resume'],
    baseline: 'raw-ws-string',
    alsoAgainst: ['raw-ws-bytes'],
    connections: 64,
    window: 16,
    message: SMALL,
    expectedReply: SMALL,
  },
  {
    id: 'echo-64-c1000',
    title: 'echo 64 B, C=1000, W=1',
    kind: 'throughput',
    servers: ECHO_SERVERS,
    baseline: 'raw-ws-string',
    alsoAgainst: ['raw-ws-bytes'],
    connections: 1000,
    window: 1,
    message: SMALL,
    expectedReply: SMALL,
  },
  {
    id: 'echo-16k-c16',
    title: 'echo 16 KiB, C=16, W=8',
    kind: 'throughput',
    servers: ECHO_SERVERS,
    baseline: 'raw-ws-string',
    alsoAgainst: ['raw-ws-bytes'],
    connections: 16,
    window: 8,
    measureFactor: 2,
    message: LARGE,
    expectedReply: LARGE,
  },
  {
    id: 'bun-echo-64-c64',
    title: 'Bun: echo 64 B, C=64, W=16',
    kind: 'throughput',
    servers: BUN_ECHO_SERVERS,
    baseline: 'raw-bun',
    connections: 64,
    window: 16,
    message: SMALL,
    expectedReply: SMALL,
  },
  {
    id: 'bun-echo-64-c1000',
    title: 'Bun: echo 64 B, C=1000, W=1',
    kind: 'throughput',
    servers: BUN_ECHO_SERVERS,
    baseline: 'raw-bun',
    connections: 1000,
    window: 1,
    message: SMALL,
    expectedReply: SMALL,
  },
  {
    id: 'bun-echo-16k-c16',
    title: 'Bun: echo 16 KiB, C=16, W=8',
    kind: 'throughput',
    servers: BUN_ECHO_SERVERS,
    baseline: 'raw-bun',
    connections: 16,
    window: 8,
    measureFactor: 2,
    message: LARGE,
    expectedReply: LARGE,
  },
  {
    id: 'json-c64',
    title: 'JSON dispatch, C=64, W=16',
    kind: 'throughput',
    servers: ['raw-ws-json', 'duet-json', 'duet-json-intercepted', 'duet-json-traced', 'nest-json'],
    baseline: 'raw-ws-json',
    alsoAgainst: ['nest-json', 'duet-json'],
    connections: 64,
    window: 16,
    message: JSON_MESSAGE,
    expectedReply: JSON_MESSAGE,
  },
  {
    id: 'broadcast-5000',
    title: 'broadcast 64 B to 5,000 connections',
    kind: 'broadcast',
    servers: ['raw-ws-broadcast', 'duet-broadcast'],
    baseline: 'raw-ws-broadcast',
    maxRounds: 3,
    connections: 5000,
    message: SMALL,
    warmupBroadcasts: 5,
    broadcasts: 20,
    pauseMs: 25,
  },
  {
    id: 'idle-10000',
    title: '10,000 idle connections',
    kind: 'idle',
    servers: ['raw-ws-bytes', 'duet-echo', 'duet-json', 'nest-json'],
    baseline: 'raw-ws-bytes',
    // Four rounds: with the turns rotating, each server opens once in each place.
    maxRounds: 4,
    connections: 10000,
    warmupConnections: 1000,
    concurrency: 64,
  },
  {
    id: 'bun-broadcast-5000',
    title: 'Bun: broadcast 64 B to 5,000 connections',
    kind: 'broadcast',
    servers: ['raw-bun-broadcast', 'duet-broadcast-bun'],
    baseline: 'raw-bun-broadcast',
    maxRounds: 3,
    connections: 5000,
    message: SMALL,
    warmupBroadcasts: 5,
    broadcasts: 20,
    pauseMs: 25,
  },
  {
    id: 'deflate-json-16k-c16',
    title: 'permessage-deflate: JSON echo 16 KiB, C=16, W=8',
    kind: 'throughput',
    servers: ['raw-ws-json-deflate', 'duet-json-deflate'],
    baseline: 'raw-ws-json-deflate',
    compression: true,
    connections: 16,
    window: 8,
    measureFactor: 2,
    message: JSON_16K,
    expectedReply: JSON_16K,
  },
  {
    id: 'deflate-market-broadcast-1000',
    title: 'permessage-deflate: market-feed round (3 KiB JSON) to 1,000 connections',
    kind: 'broadcast',
    servers: ['raw-ws-broadcast-deflate', 'raw-ws-broadcast-deflate-nct', 'duet-broadcast-deflate', 'duet-broadcast-deflate-nct'],
    baseline: 'raw-ws-broadcast-deflate',
    alsoAgainst: ['raw-ws-broadcast-deflate-nct'],
    compression: true,
    maxRounds: 3,
    connections: 1000,
    message: MARKET_ROUND,
    warmupBroadcasts: 5,
    broadcasts: 20,
    pauseMs: 25,
  },
  {
    id: 'bun-json-c64',
    title: 'Bun: JSON dispatch, C=64, W=16',
    kind: 'throughput',
    servers: ['raw-bun-json', 'duet-json-bun'],
    baseline: 'raw-bun-json',
    connections: 64,
    window: 16,
    message: JSON_MESSAGE,
    expectedReply: JSON_MESSAGE,
  },
  {
    id: 'bun-idle-10000',
    title: 'Bun: 10,000 idle connections',
    kind: 'idle',
    servers: BUN_ECHO_SERVERS,
    baseline: 'raw-bun',
    maxRounds: 4,
    connections: 10000,
    warmupConnections: 1000,
    concurrency: 64,
  },
  // Resumable sessions (issue 17): the same loads, with clients that ask for a session. Last,
  // so that they never take the place of an older scenario under --time-limit.
  {
    id: 'echo-64-c64-session',
    title: 'echo 64 B, C=64, W=16, clients asking for a session',
    kind: 'throughput',
    servers: ['raw-ws-string', 'duet-echo', 'duet-echo-resume'],
    baseline: 'raw-ws-string',
    alsoAgainst: ['duet-echo'],
    connections: 64,
    window: 16,
    message: SMALL,
    expectedReply: SMALL,
    session: true,
  },
  {
    id: 'idle-10000-session',
    title: '10,000 idle connections, asking for a session',
    kind: 'idle',
    servers: ['raw-ws-bytes', 'duet-echo', 'duet-echo-resume'],
    baseline: 'raw-ws-bytes',
    alsoAgainst: ['duet-echo'],
    // Three rounds: with the turns rotating, each of the three servers opens once in each place.
    maxRounds: 3,
    connections: 10000,
    warmupConnections: 1000,
    concurrency: 64,
    session: true,
  },
];

/** The smoke run of `bench/smoke.test.ts`: raw ws against Duet echo, a moment each. */
export const SMOKE_SCENARIO: ThroughputScenario = {
  id: 'smoke-echo',
  title: 'smoke: echo 64 B, C=8, W=4',
  kind: 'throughput',
  servers: ['raw-ws-string', 'duet-echo'],
  baseline: 'raw-ws-string',
  connections: 8,
  window: 4,
  message: SMALL,
  expectedReply: SMALL,
};

/** The smoke run of a session load: the resumable echo must be answered throughout, so the load must acknowledge. */
export const SMOKE_SESSION_SCENARIO: ThroughputScenario = {
  ...SMOKE_SCENARIO,
  id: 'smoke-echo-session',
  title: 'smoke: echo 64 B, C=8, W=4, clients asking for a session',
  servers: ['raw-ws-string', 'duet-echo-resume'],
  session: true,
};
