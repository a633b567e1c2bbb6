// A few seconds of the bench, so that it cannot rot: raw ws against Duet's echo sample (and
// its resumable echo under clients asking for a session), one short turn each, through the real
// load generator, report and chart. No thresholds: figures must come out, not be good. Needs no
// NestJS (the bench's own dependencies are not installed).
import { runBench } from './src/bench';
import { SMOKE_SCENARIO, SMOKE_SESSION_SCENARIO } from './src/scenarios';
import { ratioOf } from './src/summary';

describe('bench smoke run', () => {
  it('measures raw ws and the Duet echo sample and renders the table and the chart', async () => {
    const outcome = await runBench({
      scenarios: [SMOKE_SCENARIO],
      rounds: 1,
      warmupMs: 500,
      measureMs: 1500,
      timeLimitSeconds: 60,
      command: 'bench smoke test',
      quietChecks: false,
    });

    const [summary] = outcome.report.summaries;
    expect(summary.servers.map((server) => server.id)).toEqual(['raw-ws-string', 'duet-echo']);
    for (const server of summary.servers) {
      expect(server.skipped).toBeUndefined();
      expect(server.problems).toEqual([]);
      expect(server.figures.messagesPerSecond?.median).toBeGreaterThan(0);
      expect(server.figures.p50Micros?.median).toBeGreaterThan(0);
      expect(server.figures.p99Micros?.median).toBeGreaterThanOrEqual(server.figures.p50Micros!.median);
    }
    expect(ratioOf(summary, 'duet-echo', 'raw-ws-string', 'messagesPerSecond')?.median).toBeGreaterThan(0);
    expect(outcome.markdown).toMatch(/\| Duet samples\/echo \| [\d,]+ \| \d+\.\d\d× \|/);
    expect(outcome.svg).toMatch(/^<svg [^>]*>[\s\S]*Duet samples\/echo[\s\S]*<\/svg>\n$/);
  }, 60000);

  // Past 1,000 unacknowledged echoes per connection the resumable service holds its replies:
  // a load that did not acknowledge would leave messages unanswered, a problem.
  it('keeps a resumable echo answering clients that ask for a session and acknowledge', async () => {
    const outcome = await runBench({
      scenarios: [SMOKE_SESSION_SCENARIO],
      rounds: 1,
      warmupMs: 500,
      measureMs: 1500,
      timeLimitSeconds: 60,
      command: 'bench smoke test (sessions)',
      quietChecks: false,
    });

    const [summary] = outcome.report.summaries;
    expect(summary.servers.map((server) => server.id)).toEqual(['raw-ws-string', 'duet-echo-resume']);
    for (const server of summary.servers) {
      expect(server.skipped).toBeUndefined();
      expect(server.problems).toEqual([]);
      // Well past the 1,000 a session sends before it waits for acknowledgements (8 connections).
      expect(server.figures.messagesPerSecond?.median).toBeGreaterThan(8 * 1000);
    }
    expect(outcome.markdown).toMatch(/\| Duet echo with resume \| [\d,]+ \| \d+\.\d\d× \|/);
  }, 60000);
});
