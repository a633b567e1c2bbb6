// Limits and keep-alives on the engine 'auto' picks (Bun's native server under `bun test`):
// maxFrameSize closes with 1009 per service (Bun's own limit is one per server), idleTimeout,
// pings answered once, pongs to @OnPong, the heartbeat, and the slow-consumer policy measured
// on the engine's backlog.
import { randomBytes } from 'node:crypto';
import {
  Caller,
  OnClose,
  OnError,
  OnOpen,
  OnPong,
  OnText,
  ProtocolError,
  type SlowConsumerPolicy,
  WebSocketService,
} from '@duet/websocket';
import { Opcode, RawClient, closeAllRawSockets, encodeFrame } from '../conformance/raw-client';
import { TestClient, eventually, pause } from '../helpers';
import { NATIVE_ENGINE, startApp, stopAll } from './engine-helpers';

afterEach(async () => {
  closeAllRawSockets();
  await stopAll();
});

const errors: unknown[] = [];
const closes: number[] = [];
const pongs: string[] = [];

@WebSocketService({ path: '/small', maxFrameSize: 1024 })
class SmallFramesService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return `${text.length}`;
  }

  @OnError()
  onError(_caller: Caller, error: unknown): void {
    errors.push(error);
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    closes.push(code);
  }
}

@WebSocketService({ path: '/large', maxFrameSize: 64 * 1024 })
class LargeFramesService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return `${text.length}`;
  }
}

@WebSocketService({ path: '/idle', idleTimeout: 0.2 })
class IdleService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

@WebSocketService({ path: '/pongs' })
class PingingService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    return caller.ping(Buffer.from('from-server'));
  }

  @OnPong()
  onPong(_caller: Caller, data: Buffer): void {
    pongs.push(data.toString());
  }
}

@WebSocketService({ path: '/beat', pingInterval: 0.1, pongTimeout: 0.1 })
class HeartbeatService {}

const CHUNK = 16 * 1024;
const LIMIT = 256 * 1024;

function floodingWith(policy: SlowConsumerPolicy) {
  @WebSocketService({ path: `/${policy}`, maxBufferedBytes: LIMIT, slowConsumerPolicy: policy })
  class FloodService {
    static outcomes: (boolean | string | undefined)[] = [];
    static closes: number[] = [];

    @OnText()
    async onText(caller: Caller, text: string): Promise<undefined> {
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

/** A masked text frame, as a client sends it. */
function clientText(text: string): Buffer {
  return encodeFrame({ opcode: Opcode.Text, payload: text });
}

describe(`limits on ${NATIVE_ENGINE}`, () => {
  beforeEach(() => {
    errors.length = 0;
    closes.length = 0;
    pongs.length = 0;
  });

  it('closes with 1009 when a message exceeds maxFrameSize, tells @OnError, and @OnClose hears 1006 (no close handshake)', async () => {
    const { app, url } = await startApp([SmallFramesService]);
    expect(app.engine).toBe(NATIVE_ENGINE);
    const client = await TestClient.connect(url('/small'));
    client.send('a'.repeat(1024));
    expect(await client.nextText()).toBe('1024');
    client.send('a'.repeat(1025));
    expect((await client.waitClosed()).code).toBe(1009);
    await eventually(() => errors.length === 1 && closes.length === 1, 2000, '@OnError and @OnClose');
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect((errors[0] as ProtocolError).closeCode).toBe(1009);
    expect(closes).toEqual([1006]);
  });

  it("holds each service to its own maxFrameSize when services on one port differ", async () => {
    const { url } = await startApp([SmallFramesService, LargeFramesService]);
    const large = await TestClient.connect(url('/large'));
    large.send('b'.repeat(4096));
    expect(await large.nextText()).toBe('4096');
    const small = await TestClient.connect(url('/small'));
    small.send('b'.repeat(4096));
    expect((await small.waitClosed()).code).toBe(1009);
    await eventually(() => errors.length === 1, 2000, '@OnError');
    expect((errors[0] as ProtocolError).closeCode).toBe(1009);
    large.send('still open');
    expect(await large.nextText()).toBe('10');
  });

  it('closes a silent client with 1001 "idle timeout" after idleTimeout, not a chatty one', async () => {
    const { url } = await startApp([IdleService]);
    const silent = await TestClient.connect(url('/idle'));
    const chatty = await TestClient.connect(url('/idle'));
    const opened = Date.now();
    for (let i = 0; i < 6; i++) {
      chatty.send(`${i}`);
      await pause(60);
    }
    expect(await silent.waitClosed(2000)).toEqual({ code: 1001, reason: 'idle timeout' });
    expect(Date.now() - opened).toBeGreaterThanOrEqual(180);
    await chatty.until(() => chatty.messages.length === 6, 2000, 'six echoes');
    expect(chatty.socket.readyState).toBe(1);
  });

  it("answers a client's ping with exactly one pong carrying its data", async () => {
    const { url } = await startApp([IdleService]);
    const client = await TestClient.connect(url('/idle'));
    client.socket.ping(Buffer.from('hey'));
    await client.until(() => client.pongs.length === 1, 2000, 'the pong');
    client.send('after');
    expect(await client.nextText()).toBe('after');
    expect(client.pongs.map(String)).toEqual(['hey']);
  });

  it("sends caller.ping to the client and gives the client's pong to @OnPong", async () => {
    const { url } = await startApp([PingingService]);
    const client = await TestClient.connect(url('/pongs'));
    await client.until(() => client.pings.length === 1, 2000, 'the ping');
    expect(client.pings[0].toString()).toBe('from-server');
    await eventually(() => pongs.length === 1, 2000, '@OnPong');
    expect(pongs).toEqual(['from-server']);
  });

  it('pings every pingInterval and keeps a client that answers', async () => {
    const { url } = await startApp([HeartbeatService]);
    const client = await TestClient.connect(url('/beat'));
    await client.until(() => client.pings.length >= 3, 2000, 'three heartbeats');
    expect(client.socket.readyState).toBe(1);
  });

  it("closes a client that never reads with 1013 under 'close', its writes then reject, and @OnClose runs once", async () => {
    const Service = floodingWith('close');
    Service.outcomes = [];
    Service.closes = [];
    const { app } = await startApp([Service]);
    const stalled = await RawClient.connect(app.port(), '/close');
    stalled.socket.pause(); // reads nothing more: the server's backlog grows
    stalled.write(clientText('flood'));
    await eventually(() => Service.outcomes.includes('ConnectionClosedError'), 8000, 'the slow consumer to be closed');
    expect(Service.outcomes.filter((outcome) => outcome === undefined).length).toBeLessThan(2000);
    // Bun reports the close at once with the code it sent; ws waits for the peer's close frame,
    // which a peer that does not read never sends: it hears the TCP end (1006).
    if (NATIVE_ENGINE === 'ws') stalled.socket.destroy();
    await eventually(() => Service.closes.length === 1, 2000, '@OnClose');
    expect(Service.closes).toEqual([NATIVE_ENGINE === 'bun' ? 1013 : 1006]);
  });

  it("makes writes wait under 'wait' while the client does not read, then delivers everything in order", async () => {
    const Service = floodingWith('wait');
    Service.outcomes = [];
    const { app } = await startApp([Service]);
    const client = await RawClient.connect(app.port(), '/wait');
    client.socket.pause();
    client.write(clientText('flood'));
    await pause(300);
    expect(Service.outcomes.length).toBeLessThan(2000); // the writer is held back
    client.socket.resume();
    await eventually(() => Service.outcomes.length === 2000, 10000, 'the flood to finish');
    expect(Service.outcomes.every((outcome) => outcome === undefined)).toBe(true);
    for (let i = 0; i < 2000; i++) expect((await client.nextFrame(5000)).payload.length).toBe(CHUNK);
  });
});
