// Cluster requests and signals between RedisBackplane nodes on a real redis-server: every other
// live node answers a request once, a node that does not answer is left out at commandTimeout
// and counted, a node's signals and answers reach each other node in the order it sent them,
// and while Redis is away requests reject and signals are counted, never queued.
import { Redis } from 'ioredis';
import type { ClusterAnswer, Logger } from '@duet/websocket';
import { RedisBackplane, type RedisBackplaneOptions, RedisBackplaneError } from '@duet/redis';
import { RecordingNode, eventually, pause } from './cluster-helpers';
import { RedisServer } from './redis-server';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

const byNode = (answers: ClusterAnswer[]) => [...answers].sort((x, y) => x.node.localeCompare(y.node));

let redis: RedisServer;
let admin: Redis;
let cluster = 0;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  admin = new Redis(redis.url);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await admin?.quit();
  await redis?.stop();
});

/** A cluster of its own for each test: a channel and a key prefix no other test uses. */
function newCluster(): Pick<RedisBackplaneOptions, 'channel' | 'keyPrefix'> {
  cluster++;
  return { channel: `requests-${cluster}`, keyPrefix: `requests-${cluster}:` };
}

/** Starts one backplane per id on `url`, each with a `RecordingNode`. */
async function startNodes(ids: string[], options: RedisBackplaneOptions, url = redis.url) {
  const nodes = ids.map((id) => {
    const logger = recordingLogger();
    const backplane = new RedisBackplane({ url, logger, ...options });
    cleanups.push(() => backplane.stop());
    return { id, backplane, node: new RecordingNode(id), logger };
  });
  await Promise.all(nodes.map(({ id, backplane, node }) => backplane.start(id, node)));
  return nodes;
}

/** A node that is live in Redis (its count key is there) but listens to nothing: it never answers. */
async function addSilentNode(options: Pick<RedisBackplaneOptions, 'keyPrefix'>, id = 'silent'): Promise<void> {
  await admin.multi().set(`${options.keyPrefix}count:${id}`, '0', 'PX', 60_000).sadd(`${options.keyPrefix}nodes`, id).exec();
}

describe('a cluster request', () => {
  it('is answered by every other live node, once each, with bodies that round-trip as JSON, never by the asker', async () => {
    const options = newCluster();
    const [a, b, c] = await startNodes(['a', 'b', 'c'], options);
    const body = { room: 'lobby', nested: [1, null, 'ünï', { deep: true }], n: 1.5 };

    const answers = await a.backplane.request('members', body);

    expect(byNode(answers)).toEqual([
      { node: 'b', body: { from: 'b', kind: 'members', body } },
      { node: 'c', body: { from: 'c', kind: 'members', body } },
    ]);
    expect(a.node.asked).toEqual([]);
    expect(b.node.asked).toEqual([{ origin: 'a', kind: 'members', body }]);
    expect(c.node.asked).toEqual([{ origin: 'a', kind: 'members', body }]);

    b.node.answerWith = () => null;
    c.node.answerWith = () => 'plain';
    expect(byNode(await a.backplane.request('count', undefined))).toEqual([
      { node: 'b', body: null },
      { node: 'c', body: 'plain' },
    ]);
    expect(byNode(await b.backplane.request('has', 'x'))).toEqual([
      { node: 'a', body: { from: 'a', kind: 'has', body: 'x' } },
      { node: 'c', body: 'plain' },
    ]);
    await pause(50); // room for a repeated answer or request to show up
    expect([a.node.asked.length, b.node.asked.length, c.node.asked.length]).toEqual([1, 2, 3]);
    expect(a.backplane.stats()).toMatchObject({ unanswered: 0, undelivered: 0, connected: true });
  });

  it('resolves at once with no answers when no other node is live', async () => {
    const [alone] = await startNodes(['alone'], { ...newCluster(), commandTimeout: 5 });
    const started = Date.now();
    expect(await alone.backplane.request('members', 'x')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(500);
    expect(alone.backplane.stats().unanswered).toBe(0);
  });

  it('resolves at commandTimeout without the answer of a live node that never answers, counted in unanswered', async () => {
    const options = { ...newCluster(), commandTimeout: 0.5 };
    const [a] = await startNodes(['a', 'b', 'c'], options);
    await addSilentNode(options);

    const started = Date.now();
    const answers = await a.backplane.request('members', 'lobby');
    const took = Date.now() - started;

    expect(byNode(answers).map((answer) => answer.node)).toEqual(['b', 'c']);
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(1500);
    expect(a.backplane.stats().unanswered).toBe(1);
    await a.backplane.request('members', 'lobby');
    expect(a.backplane.stats().unanswered).toBe(2);
  });

  it('does not wait for a node whose registry throws: it says so, and its answer is counted as unanswered', async () => {
    const options = { ...newCluster(), commandTimeout: 5 };
    const [a, b] = await startNodes(['a', 'b', 'c'], options);
    b.node.answerWith = () => {
      throw new Error('no members today');
    };
    const started = Date.now();
    const answers = await a.backplane.request('members', 'lobby');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(answers.map((answer) => answer.node)).toEqual(['c']);
    expect(a.backplane.stats().unanswered).toBe(1);
    expect(b.logger.lines).toEqual([expect.stringMatching(/^error .*could not answer a cluster request/)]);
  });

  it('stops waiting for a node that leaves while its answer is awaited', async () => {
    const options = { ...newCluster(), commandTimeout: 5 };
    const [a] = await startNodes(['a', 'b'], options);
    await addSilentNode(options);
    const started = Date.now();
    const answers = a.backplane.request('members', 'lobby');
    await pause(100);
    await admin.publish(options.channel!, JSON.stringify({ type: 'left', origin: 'silent' }));
    expect((await answers).map((answer) => answer.node)).toEqual(['b']);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(a.backplane.stats().unanswered).toBe(0);
    expect(a.node.left).toEqual([['silent']]);
  });

  it('is refused with RedisBackplaneError once maxPendingRequests wait for answers', async () => {
    const options = { ...newCluster(), commandTimeout: 0.5, maxPendingRequests: 2 };
    const [a] = await startNodes(['a', 'b'], options);
    await addSilentNode(options);
    const waiting = [a.backplane.request('members', 1), a.backplane.request('members', 2)];
    const refused = await a.backplane.request('members', 3).then(
      () => new Error('the third request was sent'),
      (error: Error) => error,
    );
    expect(refused).toBeInstanceOf(RedisBackplaneError);
    expect(refused.message).toContain('maxPendingRequests');
    for (const answers of await Promise.all(waiting)) expect(answers.map((answer) => answer.node)).toEqual(['b']);
    expect((await a.backplane.request('members', 4)).map((answer) => answer.node)).toEqual(['b']); // room again
  });

  it('rejects with RedisBackplaneError while Redis is away, saying why, and is answered again once it is back', async () => {
    const server = await RedisServer.start();
    cleanups.push(() => server.stop());
    const [a] = await startNodes(['a', 'b'], newCluster(), server.url);
    expect((await a.backplane.request('members', 'x')).map((answer) => answer.node)).toEqual(['b']);

    await server.kill();
    await eventually(() => !a.backplane.stats().connected, 2000, 'the outage to be seen');
    const failure = await a.backplane.request('members', 'x').then(
      () => new Error('the request resolved'),
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(RedisBackplaneError);
    expect(failure.message).toMatch(new RegExp(`cluster request 'members' could not be answered over Redis at 127.0.0.1:${server.port}: not connected`));

    await server.restart();
    await eventually(() => a.backplane.stats().connected, 5000, 'the backplane to reconnect');
    // b writes its count again as it reconnects: then it is live, and answers.
    await eventually(async () => (await a.backplane.request('members', 'x')).length === 1, 5000, 'b to answer again');
  });

  it('rejects with RedisBackplaneError within commandTimeout when Redis is frozen', async () => {
    const server = await RedisServer.start();
    cleanups.push(() => server.stop());
    const [a] = await startNodes(['a', 'b'], { ...newCluster(), commandTimeout: 0.3 }, server.url);
    server.freeze();
    const started = Date.now();
    const failure = await a.backplane.request('members', 'x').then(
      () => new Error('the request resolved'),
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(RedisBackplaneError);
    expect(failure.message).toContain('commandTimeout (300 ms)');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('rejects the requests still open when the subscription that brings their answers drops', async () => {
    const options = { ...newCluster(), commandTimeout: 5 };
    const [a] = await startNodes(['a', 'b'], options);
    await addSilentNode(options);
    const outcome = a.backplane.request('members', 'x').then(
      () => new Error('the request resolved'),
      (error: Error) => error,
    );
    await pause(100);
    await admin.client('KILL', 'TYPE', 'pubsub');
    const failure = await outcome;
    expect(failure).toBeInstanceOf(RedisBackplaneError);
    expect(failure.message).toContain('the subscription closed before every node answered');
    await eventually(() => a.backplane.stats().connected, 3000, 'the subscription to come back');
  });
});

describe('a signal', () => {
  it('reaches every other node once, never its sender, numbered with the broadcasts', async () => {
    const [a, b, c] = await startNodes(['a', 'b', 'c'], newCluster());
    for (let i = 0; i < 20; i++) {
      a.backplane.signal('presence', { i, joins: [{ key: 'ann', metas: [{ connectionId: `c${i}` }] }] });
      a.backplane.publish({ origin: 'a', text: `broadcast ${i}` });
    }
    const expected = Array.from({ length: 20 }, (_, i) => [
      `signal a presence ${JSON.stringify({ i, joins: [{ key: 'ann', metas: [{ connectionId: `c${i}` }] }] })}`,
      `deliver a broadcast ${i}`,
    ]).flat();
    await eventually(() => b.node.events.length === 40 && c.node.events.length === 40, 2000, 'every signal and broadcast');
    await pause(50);
    expect(b.node.events).toEqual(expected);
    expect(c.node.events).toEqual(expected);
    expect(a.node.events).toEqual([]);
    expect(b.backplane.stats().missed).toBe(0);
  });

  it('is refused while Redis is away, counted as undelivered and never queued', async () => {
    const server = await RedisServer.start();
    cleanups.push(() => server.stop());
    const [a, b] = await startNodes(['a', 'b'], newCluster(), server.url);
    await server.kill();
    await eventually(() => !a.backplane.stats().connected, 2000, 'the outage to be seen');
    for (let i = 0; i < 10; i++) a.backplane.signal('presence', { lost: i });
    // Refused at once once the publisher has seen the outage; a signal sent in the moment its
    // subscriber already had and it had not (Bun reports the two closes apart) fails when its
    // socket closes, and is counted then.
    await eventually(() => a.backplane.stats().undelivered === 10, 2000, 'the ten signals to be counted undelivered');

    await server.restart();
    await eventually(() => a.backplane.stats().connected && b.backplane.stats().connected, 5000, 'both to reconnect');
    a.backplane.signal('presence', { after: true });
    await eventually(() => b.node.signals.length > 0, 2000, 'the signal after the outage');
    await pause(100);
    expect(b.node.signals.map((signal) => signal.body)).toEqual([{ after: true }]);
    expect(a.backplane.stats().undelivered).toBe(10);
  });
});

describe('the order of a node’s signals and answers', () => {
  it('hands the asker the signals sent before an answer before the request resolves, and those sent after it after', async () => {
    const [a, b] = await startNodes(['a', 'b'], newCluster());
    let sent = 0;
    const signal = () => b.backplane.signal('presence', ++sent);
    b.node.answerWith = () => {
      // Signals sent right after the answer was published: they must not overtake it.
      queueMicrotask(() => {
        signal();
        signal();
      });
      return sent;
    };
    const heard = () => a.node.signals.filter((s) => s.origin === 'b').length;
    const traffic = setInterval(signal, 1);
    cleanups.push(() => clearInterval(traffic));
    for (let i = 0; i < 50; i++) {
      const [answer] = await a.backplane.request('presence-state', 'lobby');
      // Exactly the signals b sent before answering have been handed over: none after it.
      expect({ request: i, heard: heard() }).toEqual({ request: i, heard: answer.body });
    }
    clearInterval(traffic);
    await eventually(() => heard() === sent, 2000, 'every signal');
    expect(a.node.signals.map((s) => s.body)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  });

  it('holds back the signals of a node that has answered until the request resolves, while another node is awaited', async () => {
    const options = { ...newCluster(), commandTimeout: 0.4 };
    const [a, b] = await startNodes(['a', 'b'], options);
    await addSilentNode(options);
    b.backplane.signal('presence', 'before');
    await eventually(() => a.node.signals.length === 1, 2000, 'the first signal');
    b.node.answerWith = () => {
      queueMicrotask(() => b.backplane.signal('presence', 'after'));
      return 'state';
    };
    const answers = a.backplane.request('presence-state', 'lobby');
    await pause(200); // b's answer and its later signal are here by now; the silent node is awaited
    expect(a.node.events).toEqual(['signal b presence "before"']);
    a.node.events.push(`answers ${JSON.stringify((await answers).map((answer) => answer.body))}`);
    await eventually(() => a.node.events.length === 3, 1000, 'the signal held back');
    expect(a.node.events).toEqual(['signal b presence "before"', 'answers ["state"]', 'signal b presence "after"']);
  });
});

describe('messages that are not a Duet node’s', () => {
  it('are ignored and logged, on the shared channel and on the node’s own, and nothing breaks', async () => {
    const options = newCluster();
    const [a, b] = await startNodes(['a', 'b'], options);
    const shared = options.channel!;
    const own = `${shared}:a`;
    const malformed = [
      'not json',
      '[]',
      '{"type":"request","origin":"x","kind":"members"}',
      '{"type":"request","origin":"x","id":"1","kind":"members"}',
      '{"type":"signal","origin":"x","kind":"presence"}',
      '{"type":"answer","origin":"b","id":1,"body":1}',
      '{"type":"left"}',
      '{"type":"shout","origin":"x"}',
    ];
    for (const raw of malformed) {
      await admin.publish(shared, raw);
      await admin.publish(own, raw);
    }
    // Well-formed, but not for a: an answer to a request it never sent, one addressed to another
    // node, and a request that claims to come from a itself (never answered by a).
    await admin.publish(own, JSON.stringify({ type: 'answer', origin: 'b', to: 'a', id: 999, body: 'late' }));
    await admin.publish(own, JSON.stringify({ type: 'answer', origin: 'b', to: 'z', id: 1, body: 'stray' }));
    await admin.publish(shared, JSON.stringify({ type: 'request', origin: 'a', id: 5, kind: 'members' }));
    await eventually(() => a.logger.lines.length === malformed.length * 2, 2000, 'every malformed message to be logged');
    expect(a.logger.lines.every((line) => line.startsWith('warn ') && line.includes('malformed'))).toBe(true);
    expect(a.node.asked).toEqual([]);

    expect((await a.backplane.request('members', 'x')).map((answer) => answer.node)).toEqual(['b']);
    expect(b.node.asked).toHaveLength(2); // the one claiming to be from a, and a's own
    b.backplane.signal('presence', 'still here');
    await eventually(() => a.node.signals.length === 1, 2000, 'a signal after the noise');
    expect(a.backplane.stats()).toMatchObject({ unanswered: 0, connected: true });
  });
});
