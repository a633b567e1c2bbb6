import { existsSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { RedisServer } from '../../packages/redis/test/redis-server';
import { SampleProcess, ensureBuilt } from '../sample-process';

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message within ${ms} ms`)), ms);
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve(data.toString());
    });
  });
}

describe('sample: cluster', () => {
  let redis: RedisServer | undefined;
  let sample: SampleProcess | undefined;

  beforeAll(() => {
    ensureBuilt();
    if (!existsSync(path.join(__dirname, '../../packages/redis/dist/index.js'))) {
      throw new Error('packages/redis/dist is missing: run `npm run build` (jest does it in its global setup)');
    }
  });

  afterEach(async () => {
    await sample?.stop();
    await redis?.stop();
  });

  it('carries a chat message from a client of one process to a client of the other, through Redis', async () => {
    redis = await RedisServer.start();
    sample = new SampleProcess('cluster', { REDIS_URL: redis.url, PORT_A: '0', PORT_B: '0' });
    const match = await sample.waitFor(/started WS listener \S+:(\d+)[\s\S]*started WS listener \S+:(\d+)/);
    const [portA, portB] = [Number(match[1]), Number(match[2])];
    expect(portA).not.toBe(portB);
    const [ann, bob] = await Promise.all([
      open(`ws://127.0.0.1:${portA}/chat/lobby`),
      open(`ws://127.0.0.1:${portB}/chat/lobby`),
    ]);
    try {
      const toBob = nextMessage(bob);
      ann.send('hello from the first process');
      expect(await toBob).toMatch(/^from node [ab]: hello from the first process$/);
      const toAnn = nextMessage(ann);
      bob.send('and back');
      expect(await toAnn).toMatch(/^from node [ab]: and back$/);
    } finally {
      ann.close();
      bob.close();
    }
    await sample.stop();
    expect(await sample.waitExit()).toBe(0);
  }, 30000);
});
