// When Redis goes away: processes keep serving their own clients, count what could not cross,
// log the outage and the recovery, and reconnect; nothing is lost without being counted.
import 'reflect-metadata';
import { Container } from 'inversify';
import { Redis } from 'ioredis';
import {
  type BackplaneMessage,
  type Logger,
  OnText,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { RedisBackplane, RedisBackplaneError } from '@duet/redis';
import { ChatClient, DuetProcess, eventually, nodeDelivering, pause } from './cluster-helpers';
import { RedisServer, freePort } from './redis-server';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a Redis restart in the middle of traffic', () => {
  it('keeps local clients served, counts what could not cross, logs the outage and recovery, and delivers across again', async () => {
    const redis = await RedisServer.start();
    cleanups.push(() => redis.stop());
    const [one, two] = await Promise.all([DuetProcess.start(redis.url), DuetProcess.start(redis.url)]);
    cleanups.push(() => Promise.all([one.stop(), two.stop()]));
    const [ann, al, bob] = await Promise.all([
      ChatClient.connect(one.url('live')),
      ChatClient.connect(one.url('live')),
      ChatClient.connect(two.url('live')),
    ]);
    cleanups.push(() => Promise.all([ann.close(), al.close(), bob.close()]));
    await Promise.all([ann.ask('/stats'), al.ask('/stats'), bob.ask('/stats')]);

    let sent = 0;
    const traffic = setInterval(() => ann.send(`m${sent++}`), 4);
    cleanups.push(async () => clearInterval(traffic));
    await eventually(() => bob.chat.length >= 20, 3000, 'traffic to cross before the outage');

    await redis.kill();
    await eventually(async () => !(await al.stats()).backplane.connected, 3000, 'process one to see the outage');
    const duringOutage = sent;
    await eventually(() => al.chat.length >= duringOutage + 30, 3000, 'local delivery during the outage');
    expect((await ann.stats()).backplane.undelivered).toBeGreaterThan(0);

    await redis.restart();
    await eventually(
      async () => (await al.stats()).backplane.connected && (await bob.stats()).backplane.connected,
      5000,
      'both processes to reconnect',
    );
    const afterRecovery = sent + 5;
    await eventually(() => bob.chat.includes(`m${afterRecovery}`), 3000, 'delivery across processes again');
    clearInterval(traffic);
    const total = sent;
    await eventually(() => al.chat.length >= total && bob.chat.includes(`m${total - 1}`), 3000, 'the last message');
    await pause(100);

    expect(al.chat).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    const bobNumbers = bob.chat.map((text) => Number(text.slice(1)));
    expect(bobNumbers).toEqual([...bobNumbers].sort((a, b) => a - b)); // in order, no repeats
    expect(new Set(bobNumbers).size).toBe(bobNumbers.length);
    const oneStats = (await ann.stats()).backplane;
    const twoStats = (await bob.stats()).backplane;
    expect(oneStats.undelivered).toBeGreaterThan(0);
    // Each message reached bob, or was counted as undelivered by one, or as missed by two. One
    // other numbered message may be among those counts: the presence state one signals as it
    // reconnects, which two misses when it is not subscribed again yet (two asks one for it).
    const counted = bobNumbers.length + oneStats.undelivered + twoStats.missed;
    expect(counted - total).toBeGreaterThanOrEqual(0);
    expect(counted - total).toBeLessThanOrEqual(1);
    for (const node of [one, two]) {
      expect(node.logs('warn').some((line) => line.includes('lost its connection to Redis'))).toBe(true);
      expect(node.logs('warn').some((line) => line.includes('reconnected to Redis'))).toBe(true);
    }
  }, 20000);
});

describe('RedisBackplane on its own', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(() => redis?.stop());

  it('counts the messages it missed while its subscription was down, so received + missed = published', async () => {
    const channel = `missed:${Date.now()}`;
    const logger = recordingLogger();
    const received: BackplaneMessage[] = [];
    const listener = new RedisBackplane({ url: redis.url, channel, logger });
    const sender = new RedisBackplane({ url: redis.url, channel, logger: recordingLogger() });
    const admin = new Redis(redis.url);
    cleanups.push(() => listener.stop(), () => sender.stop(), () => admin.quit());
    await listener.start('listener', nodeDelivering((message) => received.push(message)));
    await sender.start('sender', nodeDelivering());
    // Gaps are counted from the first message heard from a node: let the listener hear one.
    sender.publish({ origin: 'sender', text: 'first' });
    await eventually(() => received.length === 1, 2000, 'the first message');

    await admin.client('KILL', 'TYPE', 'pubsub'); // every subscriber connection drops
    for (let i = 1; i <= 100; i++) {
      sender.publish({ origin: 'sender', text: `m${i}` });
      await pause(3);
    }
    await eventually(() => listener.stats().connected, 3000, 'the listener to resubscribe');
    sender.publish({ origin: 'sender', text: 'last' });
    await eventually(() => received.at(-1)?.text === 'last', 3000, 'the last message');

    const texts = received.map((message) => message.text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(listener.stats().missed).toBeGreaterThan(0);
    expect(received.length - 2 + listener.stats().missed).toBe(100);
    expect(sender.stats().undelivered).toBe(0);
    expect(logger.lines.filter((line) => /lost its connection|reconnected/.test(line))).toHaveLength(2);
  });

  it('delivers a message resent with the same sequence number once, and logs and ignores foreign messages', async () => {
    const logger = recordingLogger();
    const received: BackplaneMessage[] = [];
    const channel = `dedupe:${Date.now()}`;
    const backplane = new RedisBackplane({ url: redis.url, channel, logger });
    const admin = new Redis(redis.url);
    cleanups.push(() => backplane.stop(), () => admin.quit());
    await backplane.start('me', nodeDelivering((message) => received.push(message)));
    const wire = JSON.stringify({ origin: 'other', rooms: ['lobby'], text: 'hi', seq: 1 });
    await admin.publish(channel, wire);
    await admin.publish(channel, wire);
    await admin.publish(channel, 'not json');
    await admin.publish(channel, JSON.stringify({ origin: 'other', seq: 2, text: 'x', binary: 'eA==' }));
    await admin.publish(channel, JSON.stringify({ origin: 'me', seq: 1, text: 'mine' }));
    await admin.publish(channel, JSON.stringify({ origin: 'other', seq: 3, binary: 'AQI=' }));
    await eventually(() => received.length === 2, 2000, 'two deliveries');
    await pause(50);
    expect(received).toEqual([
      { origin: 'other', rooms: ['lobby'], text: 'hi' },
      { origin: 'other', binary: 'AQI=' },
    ]);
    expect(backplane.stats().missed).toBe(1); // seq 2 was not a Duet message
    expect(logger.lines.filter((line) => line.includes('malformed'))).toHaveLength(2);
  });

  it('refuses to publish while Redis is away, counting instead of queueing, and rejects clusterCount()', async () => {
    const server = await RedisServer.start();
    cleanups.push(() => server.stop());
    const logger = recordingLogger();
    const backplane = new RedisBackplane({ url: server.url, logger, redis: { retryStrategy: () => 60_000 } });
    cleanups.push(() => backplane.stop());
    await backplane.start('alone', nodeDelivering());
    backplane.reportCount(2);
    expect(await backplane.clusterCount()).toBe(2);
    await server.kill();
    await eventually(() => !backplane.stats().connected, 2000, 'the outage to be seen');
    for (let i = 0; i < 1000; i++) backplane.publish({ origin: 'alone', text: `m${i}` });
    // Refused at once, or rejected by a socket that was closing: either way counted, none queued.
    await eventually(() => backplane.stats().undelivered === 1000, 2000, 'every publish to be counted');
    expect(backplane.stats()).toEqual({ undelivered: 1000, connected: false, missed: 0, unanswered: 0 });
    await expect(backplane.clusterCount()).rejects.toThrow(RedisBackplaneError);
    expect(logger.lines.filter((line) => line.includes('lost its connection'))).toHaveLength(1);
  });

  it('makes an app fail to start when Redis cannot be reached, naming the address but never the password', async () => {
    const port = await freePort();
    @WebSocketService({ path: '/ws' })
    class Echo {
      @OnText() onText(_caller: unknown, text: string) {
        return text;
      }
    }
    const container = new Container();
    const backplane = new RedisBackplane({ url: `redis://:s3cret@127.0.0.1:${port}`, logger: recordingLogger() });
    container.load(webSocketModule({ listeners: { default: { port: 0, host: '127.0.0.1' } }, services: [Echo], backplane }));
    const failure = await WebSocketApplication.start(container).then(
      () => new Error('the app started'),
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(RedisBackplaneError);
    expect(failure.message).toContain(`127.0.0.1:${port}`);
    expect(failure.message).not.toContain('s3cret');
    expect(backplane.stats().connected).toBe(false);
  });

  it('validates its options at construction', () => {
    expect(() => new RedisBackplane({ channel: '' })).toThrow(/channel/);
    expect(() => new RedisBackplane({ countTtl: 0 })).toThrow(/countTtl/);
    expect(() => new RedisBackplane({ redis: { keyPrefix: 'x:' } })).toThrow(/keyPrefix/);
  });

  it('keeps clusters with different key prefixes apart', async () => {
    const a = new RedisBackplane({ url: redis.url, keyPrefix: 'a:' });
    const b = new RedisBackplane({ url: redis.url, keyPrefix: 'b:' });
    cleanups.push(() => a.stop(), () => b.stop());
    await Promise.all([a.start('a', nodeDelivering()), b.start('b', nodeDelivering())]);
    a.reportCount(3);
    b.reportCount(4);
    expect([await a.clusterCount(), await b.clusterCount()]).toEqual([3, 4]);
  });
});
