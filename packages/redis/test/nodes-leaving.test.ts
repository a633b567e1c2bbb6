// Nodes leaving a Redis cluster: a node that stops tells the others at once; a process killed
// with SIGKILL is reported by every survivor once its count key has expired, within countTtl
// and a quarter; each node that left is reported once; and a Redis that restarts empty makes
// no node look gone.
import type { Logger } from '@duet/websocket';
import { RedisBackplane, type RedisBackplaneOptions } from '@duet/redis';
import { BackplaneProcess, RecordingNode, eventually, pause } from './cluster-helpers';
import { RedisServer } from './redis-server';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let redis: RedisServer;
let cluster = 0;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => redis?.stop());

function newCluster(): Pick<RedisBackplaneOptions, 'channel' | 'keyPrefix'> {
  cluster++;
  return { channel: `leaving-${cluster}`, keyPrefix: `leaving-${cluster}:` };
}

async function startNodes(ids: string[], options: RedisBackplaneOptions, url = redis.url) {
  const nodes = ids.map((id) => {
    const backplane = new RedisBackplane({ url, logger: quiet, ...options });
    cleanups.push(() => backplane.stop());
    return { id, backplane, node: new RecordingNode(id) };
  });
  await Promise.all(nodes.map(({ id, backplane, node }) => backplane.start(id, node)));
  return nodes;
}

describe('a node that stops', () => {
  it('is reported to every other node at once, once, after everything it sent before, and no request waits for it', async () => {
    const options = { ...newCluster(), countTtl: 5 };
    const [a, b, c] = await startNodes(['a', 'b', 'c'], options);
    c.backplane.signal('presence', 'last words');
    const stopped = Date.now();
    await c.backplane.stop();
    await eventually(() => a.node.left.length > 0 && b.node.left.length > 0, 1000, 'both to hear that c left');
    expect(Date.now() - stopped).toBeLessThan(1000); // countTtl is 5 s
    const started = Date.now();
    expect((await a.backplane.request('members', 'x')).map((answer) => answer.node)).toEqual(['b']);
    expect(Date.now() - started).toBeLessThan(500);
    await pause(1500); // more than one liveness check (every 1.25 s): c is not reported again
    for (const { node } of [a, b]) {
      expect(node.events).toEqual(['signal c presence "last words"', 'left c']);
    }
  });
});

describe('a process killed with SIGKILL', () => {
  it('is reported by every survivor within countTtl and a quarter of it after the crash, once each', async () => {
    const options = { ...newCluster(), countTtl: 1 };
    const [a, b] = await startNodes(['a', 'b'], options);
    const child = await BackplaneProcess.start(redis.url, 'child', {
      COUNT_TTL: '1',
      CHANNEL: options.channel!,
      KEY_PREFIX: options.keyPrefix!,
    });
    cleanups.push(() => child.crash());
    // The child is a live node: it answers, from its own process.
    const answers = await a.backplane.request('members', 'lobby');
    expect(answers.map((answer) => answer.body)).toEqual(
      expect.arrayContaining([{ from: 'child', pid: child.pid, kind: 'members', body: 'lobby' }]),
    );
    await pause(300); // both survivors have read the live nodes on their timer since
    b.backplane.signal('presence', 'to the child');
    await eventually(() => child.output.includes('signal b presence "to the child"'), 2000, 'the child to hear b');

    const crashed = Date.now();
    await child.crash();
    const reportedAt = new Map<string, number>();
    await eventually(
      () => {
        for (const { id, node } of [a, b]) if (node.left.length > 0 && !reportedAt.has(id)) reportedAt.set(id, Date.now());
        return reportedAt.size === 2;
      },
      3000,
      'both survivors to report the child',
    );
    for (const at of reportedAt.values()) {
      // Its key lived on for up to countTtl (1 s) after its last refresh, then up to a quarter of it until a check.
      expect(at - crashed).toBeLessThanOrEqual(1000 + 250 + 150);
      expect(at - crashed).toBeGreaterThanOrEqual(1000 / 3); // not before the key could have expired
    }
    await pause(700);
    expect(a.node.left).toEqual([['child']]);
    expect(b.node.left).toEqual([['child']]);
    // A request no longer waits for it.
    const started = Date.now();
    expect((await a.backplane.request('members', 'x')).map((answer) => answer.node)).toEqual(['b']);
    expect(Date.now() - started).toBeLessThan(300);
  }, 20000);

  it('also reports a process that stops gracefully at once (its backplane says so before it quits)', async () => {
    const options = { ...newCluster(), countTtl: 5 };
    const [a] = await startNodes(['a'], options);
    const child = await BackplaneProcess.start(redis.url, 'child', { COUNT_TTL: '5', CHANNEL: options.channel!, KEY_PREFIX: options.keyPrefix! });
    cleanups.push(() => child.crash());
    expect((await a.backplane.request('members', 'x')).map((answer) => answer.node)).toEqual(['child']);
    const stopped = Date.now();
    await child.stop();
    await eventually(() => a.node.left.length > 0, 1000, 'a to hear that the child left');
    expect(Date.now() - stopped).toBeLessThan(1000);
    expect(a.node.left).toEqual([['child']]);
  }, 20000);

  it('is reported when it signalled and crashed before any liveness read listed it', async () => {
    const options = newCluster();
    // a reads the live nodes every 2 s; the child's count expires 0.3 s after its crash.
    const [a] = await startNodes(['a'], { ...options, countTtl: 8 });
    const child = await BackplaneProcess.start(redis.url, 'child', {
      COUNT_TTL: '0.3',
      CHANNEL: options.channel!,
      KEY_PREFIX: options.keyPrefix!,
      SIGNAL_ON_START: 'ann joined',
    });
    cleanups.push(() => child.crash());
    await eventually(() => a.node.signals.length === 1, 2000, 'the child’s signal');
    await child.crash();
    await eventually(() => a.node.left.length > 0, 4000, 'a to report the child');
    expect(a.node.events).toEqual(['signal child presence "ann joined"', 'left child']);
  }, 20000);
});

describe('a Redis restart', () => {
  it('makes no node look gone while the nodes write their counts again', async () => {
    const server = await RedisServer.start();
    cleanups.push(() => server.stop());
    const options = { ...newCluster(), countTtl: 2 };
    const [a] = await startNodes(['a'], options, server.url);
    // b reconnects later than a (800 ms between attempts), so for a while a finds only itself in the empty Redis.
    const b = new RedisBackplane({ url: server.url, logger: quiet, ...options, redis: { retryStrategy: () => 800 } });
    cleanups.push(() => b.stop());
    const bNode = new RecordingNode('b');
    await b.start('b', bNode);
    expect((await a.backplane.request('members', 'x')).map((answer) => answer.node)).toEqual(['b']);

    await server.restart();
    await eventually(() => a.backplane.stats().connected && b.stats().connected, 5000, 'both to reconnect');
    await pause(1500); // several liveness checks (every 0.5 s) after both reconnected
    expect(a.node.left).toEqual([]);
    expect(bNode.left).toEqual([]);
    expect((await a.backplane.request('members', 'x')).map((answer) => answer.node)).toEqual(['b']);
  }, 20000);
});
