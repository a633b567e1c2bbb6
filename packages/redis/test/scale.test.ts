// The load test of issue #20 at test size: scripts/load/load-test.ts run as it is run by hand
// (`npm run load -- --connections 2000 --processes 3 --redis`), its JSON result checked. Three
// Duet processes on a real redis-server of the tool's own, one load generator; the 100,000-
// connection figures are in docs/scale.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LoadResult } from '../../../scripts/load/result';

const ROOT = path.join(__dirname, '..', '..', '..');
const RUN_TIMEOUT_MS = 50_000;

/** Runs the load test with `args` and `--json`; its result, or why there is none. */
function runLoadTest(args: string[]): Promise<{ result: LoadResult; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'scripts/load/load-test.ts'), ...args, '--json'],
      { cwd: ROOT, env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // SIGTERM: the tool stops every process it started, by PID, before it exits.
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1);
      if (line === undefined || !line.startsWith('{')) {
        reject(new Error(`the load test printed no result (exit ${code}); it said:\n${stderr}`));
        return;
      }
      resolve({ result: JSON.parse(line) as LoadResult, code, stderr });
    });
  });
}

describe('the load test with 2,000 connections on three processes and Redis', () => {
  let run: { result: LoadResult; code: number | null; stderr: string };

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'packages/redis/dist/index.js'))) {
      throw new Error('packages/redis/dist is missing: run `npm run build` (jest does it in its global setup)');
    }
    run = await runLoadTest(['--connections', '2000', '--processes', '3', '--redis', '--hold', '0']);
  }, RUN_TIMEOUT_MS + 10_000);

  it('opens every connection, spread evenly over the three servers, and the cluster count sees all 2,000', () => {
    const { result } = run;
    expect(result.open).toMatchObject({ wanted: 2000, opened: 2000, failed: 0 });
    expect(result.servers.map((server) => server.held.connections)).toEqual([667, 667, 666]);
    expect(result.clusterCount.count).toBe(2000);
  });

  it('delivers the one room broadcast to every connection exactly once, and nothing else', () => {
    const { broadcast, close } = run.result;
    expect({
      once: broadcast.once,
      missing: broadcast.missing,
      duplicated: broadcast.duplicated + close.duplicatedAtClose,
      otherFrames: broadcast.otherFrames + close.otherFramesAtClose,
      closedEarly: broadcast.closedEarly,
    }).toEqual({ once: 2000, missing: 0, duplicated: 0, otherFrames: 0, closedEarly: {} });
    expect(broadcast.localSent).toBe(667);
    expect(broadcast.allMs).toBeLessThan(2000);
  });

  it('closes everything: every registry empties, the cluster count drops to 0 and the servers come back near where they started', () => {
    const { close, servers, failures } = run.result;
    expect(close).toMatchObject({ closed: 2000, notClosed: 0, registryAfter: [0, 0, 0], clusterCountAfter: 0 });
    for (const server of servers) {
      expect(server.after.rss).toBeLessThanOrEqual(server.before.rss * 1.1);
      expect(server.after.heapUsed).toBeLessThanOrEqual(server.before.heapUsed + 2 * 1024 * 1024);
      expect(server.after.handles).toBeLessThanOrEqual(server.before.handles);
    }
    // At 2,000 connections a process's fixed costs (code compiled at the first connections)
    // weigh more than 8 KiB each: the RSS-per-connection target is the 100,000 run's.
    expect(failures.filter((failure) => !failure.startsWith('server RSS per connection'))).toEqual([]);
  });
});
