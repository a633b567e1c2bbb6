// When Redis accepts connections but stops answering (a frozen process: SIGSTOP on a real
// redis-server; or a TCP server that never answers): nothing waits for it without bound, neither
// the publishes, nor clusterCount(), nor start() and stop(), and memory stays flat.
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Container } from 'inversify';
import {
  type BackplaneMessage,
  type Logger,
  OnText,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { RedisBackplane, RedisBackplaneConfigError, RedisBackplaneError } from '@duet/redis';
import { eventually, nodeDelivering, pause } from './cluster-helpers';
import { RedisServer, SilentServer } from './redis-server';

const root = path.join(__dirname, '../../..');

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

/** Settles with what `promise` settled with, or rejects naming `what` after `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a frozen Redis', () => {
  let redis: RedisServer;
  beforeEach(async () => {
    redis = await RedisServer.start();
    cleanups.push(() => redis.stop()); // thaws it first
  });

  it('makes publishes fail after commandTimeout and be refused at once after that, counted as undelivered, with the outage and the recovery logged once each', async () => {
    const channel = `frozen:${Date.now()}`;
    const logger = recordingLogger();
    const sender = new RedisBackplane({ url: redis.url, channel, logger, commandTimeout: 0.3, connectTimeout: 0.3 });
    // The listener publishes nothing: it notices through its count refresh, every third of countTtl.
    const listener = new RedisBackplane({ url: redis.url, channel, logger: recordingLogger(), commandTimeout: 0.3, countTtl: 1 });
    cleanups.push(() => sender.stop(), () => listener.stop());
    const received: BackplaneMessage[] = [];
    await listener.start('listener', nodeDelivering((message) => received.push(message)));
    await sender.start('sender', nodeDelivering());
    sender.publish({ origin: 'sender', text: 'before' });
    await eventually(() => received.length === 1, 2000, 'the message before the freeze');

    redis.freeze();
    for (let i = 0; i < 50; i++) sender.publish({ origin: 'sender', text: `frozen ${i}` });
    expect(sender.stats()).toEqual({ undelivered: 0, connected: true, missed: 0, unanswered: 0 }); // sent, waiting for an answer
    await eventually(() => !sender.stats().connected, 2000, 'the sender to find Redis silent');
    await eventually(() => sender.stats().undelivered === 50, 1000, 'the 50 publishes in flight to be counted');
    for (let i = 0; i < 50; i++) sender.publish({ origin: 'sender', text: `refused ${i}` });
    expect(sender.stats().undelivered).toBe(100); // refused at once, nothing sent
    await eventually(() => !listener.stats().connected, 2000, 'the idle listener to find Redis silent');
    await pause(1000); // several reconnect attempts, each abandoned after connectTimeout
    expect(logger.lines.filter((line) => line.includes('lost its connection'))).toHaveLength(1);

    redis.thaw();
    await eventually(() => sender.stats().connected && listener.stats().connected, 5000, 'both to reconnect');
    sender.publish({ origin: 'sender', text: 'after' });
    await eventually(() => received.at(-1)?.text === 'after', 2000, 'the message after the thaw');
    expect(sender.stats().undelivered).toBe(100);
    expect(logger.lines.filter((line) => /lost its connection|reconnected/.test(line))).toEqual([
      expect.stringContaining('lost its connection'),
      expect.stringContaining('reconnected'),
    ]);
  });

  it('refuses a publish while maxPendingPublishes are waiting for an answer', async () => {
    const backplane = new RedisBackplane({ url: redis.url, logger: recordingLogger(), maxPendingPublishes: 10, commandTimeout: 0.3 });
    cleanups.push(() => backplane.stop());
    await backplane.start('alone', nodeDelivering());
    redis.freeze();
    for (let i = 0; i < 25; i++) backplane.publish({ origin: 'alone', text: `m${i}` });
    expect(backplane.stats().undelivered).toBe(15);
    await eventually(() => backplane.stats().undelivered === 25, 2000, 'the 10 in flight to fail');
  });

  it('rejects clusterCount() with RedisBackplaneError within commandTimeout, saying why', async () => {
    const backplane = new RedisBackplane({ url: redis.url, logger: recordingLogger(), commandTimeout: 0.3 });
    cleanups.push(() => backplane.stop());
    await backplane.start('alone', nodeDelivering());
    backplane.reportCount(3);
    expect(await backplane.clusterCount()).toBe(3);
    redis.freeze();
    const failure = await within(3000, 'clusterCount()', backplane.clusterCount()).then(
      () => new Error('clusterCount() resolved'),
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(RedisBackplaneError);
    expect(failure.message).toContain('commandTimeout (300 ms)');
    // Once Redis is known to be silent, at once.
    await expect(within(100, 'clusterCount()', backplane.clusterCount())).rejects.toThrow(RedisBackplaneError);
  });

  it('lets stop() finish within commandTimeout', async () => {
    const backplane = new RedisBackplane({ url: redis.url, logger: recordingLogger(), commandTimeout: 0.3 });
    cleanups.push(() => backplane.stop());
    await backplane.start('alone', nodeDelivering());
    redis.freeze();
    await within(3000, 'stop()', backplane.stop());
  });

  it('keeps the heap within a few MiB over 100k broadcasts (a Duet process run with --expose-gc)', async () => {
    const child = spawn(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', path.join(__dirname, 'fixtures/frozen-broadcaster.ts')], {
      cwd: root,
      env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'tsconfig.json'), REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    cleanups.push(() => stopChild(child));
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const messages: Record<string, unknown>[] = [];
    child.on('message', (message: Record<string, unknown>) => messages.push(message));
    const failed = () => child.exitCode !== null;
    await eventually(() => messages.length > 0 || failed(), 15000, 'the Duet process to start');
    if (failed()) throw new Error(`the Duet process exited; it printed:\n${output}`);

    redis.freeze();
    child.send('go');
    await eventually(() => messages.length > 1 || failed(), 15000, 'the Duet process to report');
    if (messages.length < 2) throw new Error(`the Duet process exited; it printed:\n${output}`);
    const result = messages[1] as {
      before: number;
      afterBroadcasts: number;
      statsAfterBroadcasts: { undelivered: number; connected: boolean };
      settled: number;
      stats: { undelivered: number; connected: boolean };
      warnings: string[];
    };
    // Right after the broadcasts, before commandTimeout (2 s) has passed: 10000 publishes
    // (maxPendingPublishes) wait for an answer, some 10 MiB; the others were refused.
    expect(result.statsAfterBroadcasts).toMatchObject({ undelivered: 90_000, connected: true });
    expect(result.afterBroadcasts - result.before).toBeLessThan(20);
    // Once Redis is found silent, nothing is held (before the fix: +137 MiB, then and for ever).
    expect(result.settled - result.before).toBeLessThan(4);
    expect(result.stats).toMatchObject({ undelivered: 100_000, connected: false });
    expect(result.warnings.filter((line) => line.includes('lost its connection'))).toHaveLength(1);
    await eventually(() => messages.length > 2 || failed(), 5000, 'the app to stop with Redis frozen');
  }, 30000);
});

describe('a server that accepts connections and never answers', () => {
  let silent: SilentServer;
  beforeEach(async () => {
    silent = await SilentServer.start();
    cleanups.push(() => silent.close());
  });

  it('makes WebSocketApplication.start fail with RedisBackplaneError within connectTimeout, and closes every connection it opened', async () => {
    @WebSocketService({ path: '/ws' })
    class Echo {
      @OnText() onText(_caller: unknown, text: string) {
        return text;
      }
    }
    const container = new Container();
    const backplane = new RedisBackplane({ url: `redis://:s3cret@127.0.0.1:${silent.port}`, logger: recordingLogger(), connectTimeout: 0.5 });
    container.load(webSocketModule({ listeners: { default: { port: 0, host: '127.0.0.1' } }, services: [Echo], backplane }));
    const failure = await within(
      5000,
      'WebSocketApplication.start',
      WebSocketApplication.start(container).then(
        () => new Error('the app started'),
        (error: Error) => error,
      ),
    );
    expect(failure).toBeInstanceOf(RedisBackplaneError);
    expect(failure.message).toContain(`127.0.0.1:${silent.port}`);
    expect(failure.message).toContain('connectTimeout (500 ms)');
    expect(failure.message).not.toContain('s3cret');
    // The backplane did talk to it (AUTH first), then gave up on both connections, and tries no more.
    expect(silent.received).toMatch(/^\*2\r\n\$4\r\nauth\r\n/i);
    expect(silent.sockets).toHaveLength(2);
    await eventually(() => silent.openByPeer === 0, 2000, 'both connections to be closed');
    await pause(300);
    expect(silent.sockets).toHaveLength(2);
  });
});

describe('a Redis replaced by a server that accepts connections and never answers', () => {
  it('abandons each connection attempt after connectTimeout and tries again, until Redis is back', async () => {
    const redis = await RedisServer.start();
    cleanups.push(() => redis.stop());
    const logger = recordingLogger();
    const backplane = new RedisBackplane({ url: redis.url, logger, connectTimeout: 0.3 });
    cleanups.push(() => backplane.stop());
    await backplane.start('alone', nodeDelivering());

    await redis.kill();
    const silent = await SilentServer.start(redis.port); // say, a proxy whose Redis is gone
    cleanups.push(() => silent.close());
    // Two connections, each attempt given up after 300 ms and retried after at most 1 s.
    await eventually(() => silent.sockets.length >= 6, 5000, 'three attempts per connection');
    expect(silent.openByPeer).toBeLessThanOrEqual(2);
    expect(backplane.stats().connected).toBe(false);

    await silent.close();
    await redis.restart();
    await eventually(() => backplane.stats().connected, 5000, 'the backplane to reconnect');
    expect(logger.lines.filter((line) => /lost its connection|reconnected/.test(line))).toHaveLength(2);
  });
});

describe('RedisBackplane options', () => {
  it.each([
    ['connectTimeout', Number.NaN],
    ['connectTimeout', Number.POSITIVE_INFINITY],
    ['connectTimeout', 0],
    ['connectTimeout', 2147484],
    ['connectTimeout', -1],
    ['connectTimeout', '1000'],
    ['commandTimeout', -1],
    ['commandTimeout', 2147484],
    ['commandTimeout', Number.NaN],
    ['maxPendingPublishes', 0],
    ['maxPendingPublishes', Number.POSITIVE_INFINITY],
    ['maxPendingRequests', 0],
    ['maxPendingRequests', 1.5],
    ['countTtl', 1e9],
    ['channel', ''],
    ['url', 6379],
  ])('refuses %s: %p at construction, naming the option', (field, value) => {
    const failure = captureError(() => new RedisBackplane({ [field]: value }));
    expect(failure).toBeInstanceOf(RedisBackplaneConfigError);
    expect(failure).toMatchObject({ code: 'DUET_ERR_REDIS_BACKPLANE_CONFIG', field });
    expect((failure as Error).message).toContain(`'${field}'`);
  });

  it.each(['connectTimeout', 'commandTimeout', 'keyPrefix'])('refuses redis.%s, which is the backplane’s own', (field) => {
    const failure = captureError(() => new RedisBackplane({ redis: { [field]: 5 } }));
    expect(failure).toMatchObject({ code: 'DUET_ERR_REDIS_BACKPLANE_CONFIG', field: `redis.${field}` });
  });

  it('takes up to 2^31-1 ms, the longest delay of a Node timer, and not one more', () => {
    expect(() => new RedisBackplane({ connectTimeout: 2147483.647, commandTimeout: 2147483.647 })).not.toThrow();
    expect(() => new RedisBackplane({ commandTimeout: 2147484 })).toThrow(RedisBackplaneConfigError);
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
