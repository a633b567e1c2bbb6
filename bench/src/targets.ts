// Issue 8's targets for Duet, each a ratio of two servers' figures in one scenario.
import type { FigureKey } from './figures';
import { type RatioSummary, type ScenarioSummary, ratioOf } from './summary';

export interface Target {
  text: string;
  scenario: string;
  server: string;
  against: string;
  figure: FigureKey;
  /** The ratio must be at least (`atLeast`) or at most (`atMost`) the threshold. */
  bound: 'atLeast' | 'atMost';
  threshold: number;
}

export type TargetStatus = 'met' | 'missed' | 'not available' | 'not run';

export interface TargetResult {
  target: Target;
  status: TargetStatus;
  ratio?: RatioSummary;
  /** Why there is no ratio. */
  reason?: string;
}

const echoTarget = (scenario: string, title: string): Target => ({
  text: `${title}: Duet echo msgs/s vs raw ws string echo`,
  scenario,
  server: 'duet-echo',
  against: 'raw-ws-string',
  figure: 'messagesPerSecond',
  bound: 'atLeast',
  threshold: 0.97,
});

export const TARGETS: readonly Target[] = [
  echoTarget('echo-64-c64', 'echo 64 B, C=64, W=16'),
  echoTarget('echo-64-c1000', 'echo 64 B, C=1000, W=1'),
  echoTarget('echo-16k-c16', 'echo 16 KiB, C=16, W=8'),
  {
    text: 'JSON dispatch: Duet @OnMessage msgs/s vs hand-routed raw ws',
    scenario: 'json-c64',
    server: 'duet-json',
    against: 'raw-ws-json',
    figure: 'messagesPerSecond',
    bound: 'atLeast',
    threshold: 0.95,
  },
  {
    text: 'JSON dispatch: Duet @OnMessage msgs/s vs NestJS @SubscribeMessage',
    scenario: 'json-c64',
    server: 'duet-json',
    against: 'nest-json',
    figure: 'messagesPerSecond',
    bound: 'atLeast',
    threshold: 1.25,
  },
  {
    text: '10,000 idle connections: Duet RSS per connection vs raw ws',
    scenario: 'idle-10000',
    server: 'duet-echo',
    against: 'raw-ws-bytes',
    figure: 'rssPerConnection',
    bound: 'atMost',
    threshold: 1.1,
  },
  {
    text: 'Handshakes/s: Duet vs raw ws',
    scenario: 'idle-10000',
    server: 'duet-echo',
    against: 'raw-ws-bytes',
    figure: 'handshakesPerSecond',
    bound: 'atLeast',
    threshold: 0.9,
  },
  {
    text: 'Broadcast to 5,000: Duet time to all vs raw ws send loop',
    scenario: 'broadcast-5000',
    server: 'duet-broadcast',
    against: 'raw-ws-broadcast',
    figure: 'broadcastMs',
    bound: 'atMost',
    threshold: 1.0,
  },
  // Issue 19: compression keeps up with ws compressing, and a broadcast deflated once beats ws deflating per socket.
  {
    text: 'permessage-deflate JSON echo 16 KiB: Duet msgs/s vs raw ws with the same perMessageDeflate',
    scenario: 'deflate-json-16k-c16',
    server: 'duet-json-deflate',
    against: 'raw-ws-json-deflate',
    figure: 'messagesPerSecond',
    bound: 'atLeast',
    threshold: 0.95,
  },
  {
    text: 'permessage-deflate market-feed broadcast: Duet (serverNoContextTakeover) time to all vs raw ws deflating per socket',
    scenario: 'deflate-market-broadcast-1000',
    server: 'duet-broadcast-deflate-nct',
    against: 'raw-ws-broadcast-deflate',
    figure: 'broadcastMs',
    bound: 'atMost',
    threshold: 1.0,
  },
];

export function evaluateTargets(summaries: readonly ScenarioSummary[]): TargetResult[] {
  return TARGETS.map((target): TargetResult => {
    const summary = summaries.find((candidate) => candidate.scenario.id === target.scenario);
    if (summary === undefined) return { target, status: 'not run', reason: 'the scenario was not run' };
    for (const id of [target.server, target.against]) {
      const server = summary.servers.find((candidate) => candidate.id === id);
      if (server?.skipped !== undefined) {
        const status = server.skipped.startsWith('not available') ? 'not available' : 'not run';
        return { target, status, reason: `${server.label}: ${server.skipped}` };
      }
    }
    const ratio = ratioOf(summary, target.server, target.against, target.figure);
    if (ratio === undefined) return { target, status: 'not run', reason: 'no round produced both figures' };
    const met = target.bound === 'atLeast' ? ratio.median >= target.threshold : ratio.median <= target.threshold;
    return { target, status: met ? 'met' : 'missed', ratio };
  });
}

export function describeBound(target: Target): string {
  return `${target.bound === 'atLeast' ? '≥' : '≤'} ${target.threshold.toFixed(2)}×`;
}
