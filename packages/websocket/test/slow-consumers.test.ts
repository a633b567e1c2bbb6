import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  Caller,
  ConnectionRegistry,
  OnClose,
  OnOpen,
  OnText,
  type SlowConsumerPolicy,
  WebSocketService,
} from '@duet/websocket';
import { TestClient, cleanup, eventually, pause, startServices, withTimeout } from './helpers';

afterEach(cleanup);

const LIMIT = 256 * 1024;
const CHUNK = 16 * 1024;

/** A peer that completes the handshake and then never reads again. */
async function neverReads(port: number, path: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await withTimeout(
    new Promise<void>((resolve) => {
      socket.once('connect', () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
        socket.once('data', () => {
          socket.pause();
          resolve();
        });
      });
    }),
    2000,
    'the handshake',
  );
  return socket;
}

function serviceWith(policy: SlowConsumerPolicy) {
  @WebSocketService({ path: `/${policy}`, maxBufferedBytes: LIMIT, slowConsumerPolicy: policy })
  class FloodService {
    static outcomes: (boolean | string | undefined)[] = [];
    static closes: number[] = [];
    static callers: Caller[] = [];

    @OnOpen() onOpen(caller: Caller) {
      FloodService.callers.push(caller);
    }

    @OnText()
    async onText(caller: Caller, text: string) {
      if (text !== 'flood') return text;
      // Fresh buffers: the same one sent again would be queued by reference and prove nothing.
      for (let i = 0; i < 2000 && caller.isOpen(); i++) {
        const outcome = await caller.writeBinaryMessage(randomBytes(CHUNK)).then(
          (result: unknown) => result as boolean | undefined,
          (error: Error) => error.name,
        );
        FloodService.outcomes.push(outcome);
      }
      return undefined;
    }

    @OnClose() onClose(_caller: Caller, code: number) {
      FloodService.closes.push(code);
    }
  }
  return FloodService;
}

describe('slow consumers', () => {
  it("drops messages for a client that never reads under 'drop', bounded by maxBufferedBytes, while others keep receiving", async () => {
    const Service = serviceWith('drop');
    const { app, url, container } = await startServices([Service]);
    const stalled = await neverReads(app.port(), '/drop');
    const healthy = await TestClient.connect(url('/drop'));
    await eventually(() => Service.callers.length === 2, 2000, 'two connections');
    const [stalledCaller] = Service.callers;
    // Flood the stalled peer through the registry: 2000 × 16 KiB = 32 MiB offered.
    const registry = container.get(ConnectionRegistry);
    let maxBuffered = 0;
    let skipped = 0;
    for (let i = 0; i < 2000; i++) {
      const result = await registry.broadcast().except(Service.callers[1]).writeBinaryMessage(randomBytes(CHUNK));
      skipped += result.skipped;
      maxBuffered = Math.max(maxBuffered, (stalledCaller as unknown as { link: { socket: { bufferedAmount: number } } }).link.socket.bufferedAmount);
    }
    expect(skipped).toBeGreaterThan(1000);
    expect(maxBuffered).toBeLessThanOrEqual(LIMIT + CHUNK);
    expect(registry.stats().droppedMessages).toBe(skipped);
    healthy.send('still here');
    expect(await healthy.nextText()).toBe('still here');
    expect(stalledCaller.isOpen()).toBe(true);
    stalled.destroy();
  });

  it("resolves direct writes with false once dropped under 'drop'", async () => {
    const Service = serviceWith('drop');
    Service.outcomes = [];
    const { app } = await startServices([Service]);
    const stalled = await neverReads(app.port(), '/drop');
    const trigger = Buffer.from([0x81, 0x85, 1, 2, 3, 4]); // a masked text frame: 'flood'
    const masked = Buffer.from('flood').map((byte, i) => byte ^ trigger[2 + (i % 4)]);
    stalled.write(Buffer.concat([trigger, masked]));
    await eventually(() => Service.outcomes.length === 2000, 10000, 'the flood to end');
    expect(Service.outcomes.filter((outcome) => outcome === false).length).toBeGreaterThan(1000);
    expect(Service.outcomes.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    stalled.destroy();
  });

  it("closes a client that never reads with 1013 under 'close' (the default), and its writes then reject", async () => {
    const Service = serviceWith('close');
    Service.outcomes = [];
    Service.closes = [];
    const { url } = await startServices([Service]);
    Service.callers = [];
    const client = await TestClient.connect(url('/close'));
    const raw = (client.socket as unknown as { _socket: Socket })._socket;
    raw.pause(); // stop reading
    client.send('flood');
    await eventually(() => Service.outcomes.includes('ConnectionClosedError'), 8000, 'the slow consumer to be closed');
    expect(Service.callers[0].isOpen()).toBe(false);
    expect(Service.outcomes.filter((outcome) => outcome === undefined).length).toBeLessThan(2000);
    raw.resume(); // the close frame waits behind the backlog: reading on, the client gets it
    expect((await client.waitClosed(5000)).code).toBe(1013);
    await eventually(() => Service.closes.length === 1, 2000, '@OnClose');
  });

  it("makes a direct write wait until flushed under 'wait', so a reader that catches up gets everything in order", async () => {
    const Service = serviceWith('wait');
    Service.outcomes = [];
    const { url } = await startServices([Service]);
    const client = await TestClient.connect(url('/wait'));
    const raw = (client.socket as unknown as { _socket: Socket })._socket;
    client.send('flood');
    await pause(20);
    raw.pause();
    await pause(200);
    const whilePaused = Service.outcomes.length;
    expect(whilePaused).toBeLessThan(2000); // the writer is held back
    raw.resume();
    await eventually(() => Service.outcomes.length === 2000, 10000, 'the flood to finish');
    expect(Service.outcomes.every((outcome) => outcome === undefined)).toBe(true);
    await client.until(() => client.messages.length === 2000, 10000, 'every message');
  });
});
