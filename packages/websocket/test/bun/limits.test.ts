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

const heartbeatCloses: number[] = [];

@WebSocketService({ path: '/beat', pingInterval: 0.1, pongTimeout: 0.1 })
class HeartbeatService {
  @OnClose()
  onClose(_caller: Caller, code: number): void {
    heartbeatCloses.push(code);
  }
}

const CHUNK = 16 * 1024;
const LIMIT = 256 * 1024;

const FLOOD_WRITES = 2000;

/** What became of each write of a flood, and the close codes @OnClose heard. */
interface FloodRecord {
  outcomes: (boolean | string | undefined)[];
  closes: number[];
}

/**
 * Writes FLOOD_WRITES fresh 16 KiB buffers while the connection is open, one after the other,
 * recording how each write settled (a rejection by its error's name). Fresh buffers: one
 * buffer sent again would be queued by reference and prove nothing about memory.
 */
async function flood(caller: Caller, record: FloodRecord): Promise<undefined> {
  let written = 0;
  while (written < FLOOD_WRITES && caller.isOpen()) {
    written++;
    try {
      record.outcomes.push((await caller.writeBinaryMessage(randomBytes(CHUNK))) as boolean | undefined);
    } catch (error) {
      record.outcomes.push((error as Error).name);
    }
  }
  return undefined;
}

const closingFlood: FloodRecord = { outcomes: [], closes: [] };
const waitingFlood: FloodRecord = { outcomes: [], closes: [] };

@WebSocketService({ path: '/close', maxBufferedBytes: LIMIT, slowConsumerPolicy: 'close' })
class ClosingFloodService {
  @OnText() onText(caller: Caller): Promise<undefined> {
    return flood(caller, closingFlood);
  }

  @OnClose() onClose(_caller: Caller, code: number): void {
    closingFlood.closes.push(code);
  }
}

@WebSocketService({ path: '/wait', maxBufferedBytes: LIMIT, slowConsumerPolicy: 'wait' })
class WaitingFloodService {
  @OnText() onText(caller: Caller): Promise<undefined> {
    return flood(caller, waitingFlood);
  }
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
    for (const record of [closingFlood, waitingFlood]) record.outcomes.length = record.closes.length = 0;
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

  it('terminates a client that does not answer the heartbeat within pongTimeout, and @OnClose hears 1006', async () => {
    heartbeatCloses.length = 0;
    const { app } = await startApp([HeartbeatService]);
    const silent = await RawClient.connect(app.port(), '/beat'); // answers no ping
    const opened = Date.now();
    expect((await silent.nextFrame(2000)).opcode).toBe(Opcode.Ping);
    await silent.ended(3000);
    expect(Date.now() - opened).toBeLessThan(2000);
    await eventually(() => heartbeatCloses.length === 1, 2000, '@OnClose');
    expect(heartbeatCloses).toEqual([1006]);
  });

  it("closes a client that never reads with 1013 under 'close', its writes then reject, and @OnClose runs once", async () => {
    const Service = closingFlood;
    const { app } = await startApp([ClosingFloodService]);
    const stalled = await RawClient.connect(app.port(), '/close');
    stalled.socket.pause(); // reads nothing more: the server's backlog grows
    stalled.write(clientText('flood'));
    await eventually(() => Service.outcomes.includes('ConnectionClosedError'), 8000, 'the slow consumer to be closed');
    expect(Service.outcomes.filter((outcome) => outcome === undefined).length).toBeLessThan(FLOOD_WRITES);
    // Bun reports the close at once with the code it sent; ws waits for the peer's close frame,
    // which a peer that does not read never sends: it hears the TCP end (1006).
    if (NATIVE_ENGINE === 'ws') stalled.socket.destroy();
    await eventually(() => Service.closes.length === 1, 2000, '@OnClose');
    expect(Service.closes).toEqual([NATIVE_ENGINE === 'bun' ? 1013 : 1006]);
  });

  it("makes writes wait under 'wait' while the client does not read, then delivers everything in order", async () => {
    const Service = waitingFlood;
    const { app } = await startApp([WaitingFloodService]);
    const client = await RawClient.connect(app.port(), '/wait');
    client.socket.pause();
    client.write(clientText('flood'));
    await pause(300);
    expect(Service.outcomes.length).toBeLessThan(FLOOD_WRITES); // the writer is held back
    client.socket.resume();
    await eventually(() => Service.outcomes.length === FLOOD_WRITES, 10000, 'the flood to finish');
    expect(Service.outcomes.every((outcome) => outcome === undefined)).toBe(true);
    for (let i = 0; i < FLOOD_WRITES; i++) expect((await client.nextFrame(5000)).payload.length).toBe(CHUNK);
  });
});
