// permessage-deflate (RFC 7692) seen on the wire: hand-written frames over node:net, so every
// RSV1 bit, answered parameter and compressed byte is the server's own.
import zlib from 'node:zlib';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { Caller, ConnectionRegistry, OnText, WebSocketService } from '@duet/websocket';
import { Opcode, RawClient, closeAllRawSockets } from './conformance/raw-client';
import { cleanup, eventually, startServices } from './helpers';

afterEach(async () => {
  closeAllRawSockets();
  await cleanup();
});

const THRESHOLD = 64;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

@WebSocketService({ path: '/deflate', maxFrameSize: 4096, compression: { threshold: THRESHOLD } })
class DeflateEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

@WebSocketService({ path: '/limited', compression: { threshold: THRESHOLD, clientMaxWindowBits: 10 } })
class LimitedWindowService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

@WebSocketService({ path: '/shared', compression: { threshold: THRESHOLD, serverNoContextTakeover: true } })
class SharedCompressorService {
  constructor(private readonly registry: ConnectionRegistry) {}

  @OnText()
  async onText(_caller: Caller, text: string): Promise<undefined> {
    await this.registry.broadcast().writeTextMessage(text);
    return undefined;
  }
}

@WebSocketService({ path: '/plain' })
class PlainEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

const SERVICES = [DeflateEchoService, LimitedWindowService, SharedCompressorService, PlainEchoService];

/** A message's payload as a client compresses it: a raw deflate stream, sync-flushed, tail removed (RFC 7692 7.2.1). */
function deflated(data: Buffer | string): Buffer {
  const bytes = deflateRawSync(typeof data === 'string' ? Buffer.from(data) : data, { finishFlush: constants.Z_SYNC_FLUSH });
  return bytes.subarray(0, bytes.length - TAIL.length);
}

/** The first compressed message of a context (or any, without context takeover), inflated. */
function inflated(payload: Buffer): string {
  return inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH }).toString();
}

const offer = (value: string) => ({ 'Sec-WebSocket-Extensions': value });
const text = (length: number) => 'compress me, compress me! '.repeat(Math.ceil(length / 26)).slice(0, length);

describe('permessage-deflate', () => {
  it('is agreed with a client that offers it, answering the parameters it offered', async () => {
    const { app } = await startServices(SERVICES);
    const client = await RawClient.connect(app.port(), '/deflate', undefined, offer('permessage-deflate; client_max_window_bits'));
    expect(client.handshake.headers['sec-websocket-extensions']).toBe('permessage-deflate');
    const echoing = await RawClient.connect(app.port(), '/deflate', undefined, offer('permessage-deflate; client_max_window_bits=12; server_max_window_bits=11'));
    expect(echoing.handshake.headers['sec-websocket-extensions']).toBe('permessage-deflate; server_max_window_bits=11; client_max_window_bits=12');
  });

  it('sends a message below the threshold uncompressed (RSV1 clear) and one at the threshold compressed', async () => {
    const { app } = await startServices(SERVICES);
    const client = await RawClient.connect(app.port(), '/deflate', undefined, offer('permessage-deflate'));
    client.send({ opcode: Opcode.Text, payload: text(THRESHOLD - 1) });
    const small = await client.nextFrame();
    expect(small.rsv1).toBe(false);
    expect(small.payload.toString()).toBe(text(THRESHOLD - 1));

    client.send({ opcode: Opcode.Text, payload: text(THRESHOLD) });
    const large = await client.nextFrame();
    expect(large.rsv1).toBe(true);
    expect(large.payload.length).toBeLessThan(THRESHOLD);
    expect(inflated(large.payload)).toBe(text(THRESHOLD));
  });

  it('inflates what the client compressed, and echoes it', async () => {
    const { app } = await startServices(SERVICES);
    const client = await RawClient.connect(app.port(), '/deflate', undefined, offer('permessage-deflate; client_no_context_takeover'));
    client.send({ opcode: Opcode.Text, payload: deflated('tiny'), rsv1: true });
    expect((await client.nextFrame()).payload.toString()).toBe('tiny');
    client.send({ opcode: Opcode.Text, payload: deflated(text(1000)), rsv1: true });
    expect(inflated((await client.nextFrame()).payload)).toBe(text(1000));
  });

  it('keeps its context between messages unless server_no_context_takeover is agreed', async () => {
    const { app } = await startServices(SERVICES);
    const message = text(500);
    const keeping = await RawClient.connect(app.port(), '/deflate', undefined, offer('permessage-deflate'));
    keeping.send({ opcode: Opcode.Text, payload: message });
    keeping.send({ opcode: Opcode.Text, payload: message });
    const [first, second] = [await keeping.nextFrame(), await keeping.nextFrame()];
    // The repeat refers back to the first message: fewer bytes, and not a stream of its own.
    expect(second.payload.length).toBeLessThan(first.payload.length);
    expect(second.payload.equals(first.payload)).toBe(false);

    const resetting = await RawClient.connect(app.port(), '/deflate', undefined, offer('permessage-deflate; server_no_context_takeover'));
    expect(resetting.handshake.headers['sec-websocket-extensions']).toBe('permessage-deflate; server_no_context_takeover');
    resetting.send({ opcode: Opcode.Text, payload: message });
    resetting.send({ opcode: Opcode.Text, payload: message });
    const [once, again] = [await resetting.nextFrame(), await resetting.nextFrame()];
    expect(again.payload.equals(once.payload)).toBe(true);
    expect(inflated(again.payload)).toBe(message);
  });

  it("answers client_max_window_bits with the service's window, and the client's own value when smaller", async () => {
    const { app } = await startServices(SERVICES);
    const asked = await RawClient.connect(app.port(), '/limited', undefined, offer('permessage-deflate; client_max_window_bits'));
    expect(asked.handshake.headers['sec-websocket-extensions']).toBe('permessage-deflate; client_max_window_bits=10');
    const smaller = await RawClient.connect(app.port(), '/limited', undefined, offer('permessage-deflate; client_max_window_bits=9'));
    expect(smaller.handshake.headers['sec-websocket-extensions']).toBe('permessage-deflate; client_max_window_bits=9');
    // Compressed with the agreed window, the client's message is read back whole.
    const payload = deflateRawSync(Buffer.from(text(3000)), { windowBits: 10, finishFlush: constants.Z_SYNC_FLUSH });
    asked.send({ opcode: Opcode.Text, payload: payload.subarray(0, payload.length - 4), rsv1: true });
    expect(inflated((await asked.nextFrame()).payload)).toBe(text(3000));
  });

  it('declines an offer it cannot accept and goes on without the extension: 101, never 400', async () => {
    const { app } = await startServices(SERVICES);
    for (const refused of [
      'permessage-deflate; server_max_window_bits=8', // zlib cannot keep a 256-byte window
      'permessage-deflate; unknown_parameter',
      'permessage-deflate; client_max_window_bits=16',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'permessage-deflate; server_max_window_bits',
      'x-webkit-deflate-frame',
    ]) {
      const client = await RawClient.connect(app.port(), '/deflate', undefined, offer(refused));
      expect([refused, client.handshake.headers['sec-websocket-extensions']]).toEqual([refused, undefined]);
      client.send({ opcode: Opcode.Text, payload: text(500) });
      const frame = await client.nextFrame();
      expect(frame.rsv1).toBe(false);
      expect(frame.payload.toString()).toBe(text(500));
    }
    // A service limiting the client's window declines an offer that does not let it ask.
    const unbounded = await RawClient.connect(app.port(), '/limited', undefined, offer('permessage-deflate'));
    expect(unbounded.handshake.headers['sec-websocket-extensions']).toBeUndefined();
    // A malformed extension list is declined, and the handshake still succeeds (connect checks the 101).
    const malformed = await RawClient.connect(app.port(), '/deflate', undefined, offer('permessage-deflate; ="'));
    expect(malformed.handshake.headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('takes the first offer it can accept among several', async () => {
    const { app } = await startServices(SERVICES);
    const client = await RawClient.connect(
      app.port(),
      '/deflate',
      undefined,
      offer('permessage-deflate; server_max_window_bits=8, permessage-deflate; client_no_context_takeover, permessage-deflate'),
    );
    expect(client.handshake.headers['sec-websocket-extensions']).toBe('permessage-deflate; client_no_context_takeover');
  });

  it('closes with 1007 on a corrupted deflate stream', async () => {
    const { app } = await startServices(SERVICES);
    const client = await RawClient.connect(app.port(), '/deflate', undefined, offer('permessage-deflate'));
    // BTYPE 11 is reserved: no inflater may read past the block header.
    client.send({ opcode: Opcode.Text, payload: Buffer.from([0xff, 0xff, 0xff, 0xff]), rsv1: true });
    const { code } = await client.serverClose();
    expect(code).toBe(1007);
    expect(client.received).toHaveLength(1);
  });

  it('closes with 1009 on a 1 KiB frame that inflates past maxFrameSize, without inflating it all', async () => {
    const { app } = await startServices(SERVICES);
    const client = await RawClient.connect(app.port(), '/deflate', undefined, offer('permessage-deflate'));
    const bomb = deflated(Buffer.alloc(1000 * 1000, 0x61));
    expect(bomb.length).toBeLessThanOrEqual(1024);
    // Every inflater of this process (the server's) is watched: what it produced is counted.
    let inflatedBytes = 0;
    const emitOfStreams = zlib.InflateRaw.prototype.emit;
    const emit = jest.spyOn(zlib.InflateRaw.prototype, 'emit').mockImplementation(function (this: zlib.InflateRaw, event, ...args) {
      if (event === 'data') inflatedBytes += (args[0] as Buffer).length;
      return emitOfStreams.call(this, event, ...args);
    });
    client.send({ opcode: Opcode.Text, payload: bomb, rsv1: true });
    const { code } = await client.serverClose();
    emit.mockRestore();
    expect(code).toBe(1009);
    expect(client.received).toHaveLength(1);
    // Stopped at the first chunk past maxFrameSize (4096): not the megabyte it would make.
    expect(inflatedBytes).toBeGreaterThan(4096);
    expect(inflatedBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('compresses a broadcast once under server_no_context_takeover: every socket gets the same frame', async () => {
    const { app, container } = await startServices(SERVICES);
    const registry = container.get(ConnectionRegistry);
    const headers = offer('permessage-deflate');
    const clients = [
      await RawClient.connect(app.port(), '/shared', undefined, headers),
      await RawClient.connect(app.port(), '/shared', undefined, headers),
      await RawClient.connect(app.port(), '/shared', undefined, headers),
    ];
    await eventually(() => registry.count(SharedCompressorService) === 3, 2000, 'three connections');
    const uncompressed = await RawClient.connect(app.port(), '/shared');
    await eventually(() => registry.count(SharedCompressorService) === 4, 2000, 'four connections');
    const message = text(800);
    // Counted in this process, which is the server's: one deflate for the three sockets (ws's
    // per-socket compressors would not call it at all).
    const once = jest.spyOn(zlib, 'deflateRawSync');
    clients[0].send({ opcode: Opcode.Text, payload: message });
    const frames = await Promise.all(clients.map((client) => client.nextFrame()));
    expect(once).toHaveBeenCalledTimes(1);
    once.mockRestore();
    for (const frame of frames) {
      expect(frame.rsv1).toBe(true);
      expect(frame.raw.equals(frames[0].raw)).toBe(true);
    }
    expect(inflated(frames[0].payload)).toBe(message);
    const plain = await uncompressed.nextFrame();
    expect([plain.rsv1, plain.payload.toString()]).toEqual([false, message]);
    // A second broadcast of the same text gives the same bytes: no context was kept.
    clients[1].send({ opcode: Opcode.Text, payload: message });
    expect((await clients[2].nextFrame()).raw.equals(frames[0].raw)).toBe(true);
  });

  it('is never agreed by a service without compression, which refuses compressed frames with 1002', async () => {
    const { app } = await startServices(SERVICES);
    const client = await RawClient.connect(app.port(), '/plain', undefined, offer('permessage-deflate; client_max_window_bits'));
    expect(client.handshake.headers['sec-websocket-extensions']).toBeUndefined();
    client.send({ opcode: Opcode.Text, payload: text(2000) });
    const frame = await client.nextFrame();
    expect([frame.rsv1, frame.payload.toString()]).toEqual([false, text(2000)]);
    client.send({ opcode: Opcode.Text, payload: deflated('hello'), rsv1: true });
    expect((await client.serverClose()).code).toBe(1002);
  });
});
