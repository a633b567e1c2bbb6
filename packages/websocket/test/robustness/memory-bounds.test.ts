// What one hostile peer can make a server hold, measured on the hostile server in its own
// process (memory after a full GC, asked over IPC): however much a peer sends, the server keeps
// near the limits Duet sets — maxBufferedBytes for what waits to be written, maxFragments for
// a message that arrives in pieces.
import type { Socket } from 'node:net';
import { Opcode, RawClient, closeAllRawSockets, encodeFrame } from '../conformance/raw-client';
import { ServerProcess } from './server-process';
import { destroyRawSockets, handshake, tcpConnect } from './support';

const MiB = 1024 * 1024;
/** The default maxBufferedBytes of the services under test. */
const MAX_BUFFERED_BYTES = 1 * MiB;

let server: ServerProcess;

beforeAll(async () => {
  server = await ServerProcess.start();
}, 30000);

afterAll(() => server.stop());
afterEach(() => {
  destroyRawSockets();
  closeAllRawSockets();
});

/**
 * Writes `chunk` over and over, `total` bytes at the most, to a server while never reading its
 * answers; stops early once the server ends the connection or stops reading for `stallMs`.
 */
async function flood(socket: Socket, chunk: Buffer, total: number, stallMs = 2000): Promise<number> {
  let sent = 0;
  while (sent < total && socket.writable) {
    sent += chunk.length;
    if (socket.write(chunk)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(value);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), stallMs);
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    });
    if (!drained) break;
  }
  return sent;
}

/** Masked frames of `count` copies of `frame` in one buffer. */
function repeated(frame: Buffer, count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

describe('memory bounds against hostile peers', () => {
  it.each([
    ['answered by @OnPing', '/pinged'],
    ['answered automatically', '/echo'],
  ])(
    'keeps the pongs for a peer that sends 100 MiB of pings and never reads within maxBufferedBytes (%s), and closes it as a slow consumer',
    async (_how, path) => {
      const before = (await server.stats()).sample;
      const slowConsumersBefore = await server.countMatching(/slow consumer/);
      const socket = await tcpConnect(server.port);
      await handshake(socket, path);
      socket.pause(); // never reads a pong
      const ping = encodeFrame({ opcode: Opcode.Ping, payload: Buffer.alloc(125, 0x70) });
      const sent = await flood(socket, repeated(ping, 8000), 100 * MiB);
      const after = (await server.stats()).sample;
      // Before the bound, every pong waited in the server: about 100 MiB more RSS.
      expect(after.rss - before.rss).toBeLessThan(MAX_BUFFERED_BYTES + 24 * MiB);
      expect(await server.countMatching(/slow consumer/)).toBe(slowConsumersBefore + 1);
      expect(sent).toBeGreaterThan(MAX_BUFFERED_BYTES);
      socket.destroy();
    },
    30000,
  );

  it('holds 1,000 peers sending messages in 1-byte fragments within a few dozen MiB, closing each past maxFragments with 1009 (not on Bun)', async () => {
    const PEERS = 1000;
    const FRAGMENTS = 4000; // well past the default cap (128) and below ws's own (16384)
    const before = (await server.stats()).sample;
    const first = encodeFrame({ opcode: Opcode.Text, payload: 'x', fin: false });
    const next = encodeFrame({ opcode: Opcode.Continuation, payload: 'x', fin: false });
    const message = Buffer.concat([first, repeated(next, FRAGMENTS - 1)]);
    const peers: RawClient[] = [];
    for (let batch = 0; batch < PEERS; batch += 100) {
      const opened = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const client = await RawClient.connect(server.port, '/echo');
          client.write(message);
          return client;
        }),
      );
      peers.push(...opened);
    }
    const middle = (await server.stats()).sample;
    if (server.engine === 'bun') {
      // docs/engines.md: Bun does not count fragments; an unfinished message is bounded by
      // maxFrameSize alone, and is held by uWebSockets (native memory, not the JS heap).
      expect(middle.rss - before.rss).toBeLessThan(48 * MiB);
      for (const peer of peers) peer.close();
      return;
    }
    const closes = await Promise.all(peers.map((client) => client.serverClose(20000).catch((error: Error) => error.message)));
    expect(closes.filter((close) => typeof close === 'object' && close.code === 1009)).toHaveLength(PEERS);
    // Before the cap, each peer's unfinished message held about 400 KiB of heap (4000 Buffers).
    expect(middle.heapUsed - before.heapUsed).toBeLessThan(48 * MiB);
  }, 60000);
});
