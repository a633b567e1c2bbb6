// Issue 7, part 2: hostile input. Each case attacks one Duet app running as its own process
// (hostile-server.ts); after each, a fresh connection on the same app must still echo and the
// process must not have reported or printed an unhandled rejection (`expectHealthy`).
import { randomFillSync } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import {
  LOOPBACK,
  Opcode,
  RawClient,
  closeAllRawSockets,
  encodeFrame,
  httpExchange,
  newKey,
  upgradeRequest,
} from '../conformance/raw-client';
import { withTimeout } from '../helpers';
import { ServerProcess } from './server-process';
import {
  closed,
  destroyRawSockets,
  expectHealthy,
  garbage,
  handshake,
  reset,
  serverInitiatedClose,
  tcpConnect,
} from './support';

/** The close codes a server may answer a broken frame with (RFC 6455 §7.4.1). */
const PROTOCOL_CLOSE_CODES = [1002, 1007, 1008, 1009];

let server: ServerProcess;

beforeAll(async () => {
  server = await ServerProcess.start({ HOSTILE_HANDSHAKE_TIMEOUT: '1' });
});
afterAll(() => server?.stop());
afterEach(async () => {
  closeAllRawSockets();
  destroyRawSockets();
  await expectHealthy(server);
});

/** Several messages in one TCP write, so they reach the server together. */
function burst(count: number, payload = (i: number) => `message ${i}`): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) frames.push(encodeFrame({ opcode: Opcode.Text, payload: payload(i) }));
  return Buffer.concat(frames);
}

describe('garbage bytes', () => {
  it.each([1, 2, 3, 4, 5])('answers 400 and hangs up on random bytes sent instead of a handshake (seed %i)', async (seed) => {
    const response = await httpExchange(server.port, garbage(seed, 64 + seed * 300));
    // docs/engines.md: Bun's parser answers what it reads as a request line of another HTTP version 505.
    if (server.engine === 'bun') expect([400, 505]).toContain(response.status);
    else expect(response.status).toBe(400);
  });

  it('answers 400 to an upgrade request with a NUL byte in a header value', async () => {
    const request = upgradeRequest('/echo', newKey(), { 'X-Junk': 'a\u0000b' });
    expect((await httpExchange(server.port, Buffer.from(request, 'latin1'))).status).toBe(400);
  });

  it.each([11, 12, 13, 14, 15])('closes with a protocol close code when random bytes follow the handshake (seed %i)', async (seed) => {
    const client = await RawClient.connect(server.port, '/echo');
    client.write(garbage(seed, 4096));
    const { code } = await client.serverClose();
    expect(PROTOCOL_CLOSE_CODES).toContain(code);
  });

  it('closes with 1002 when garbage arrives glued to the upgrade request, in the same TCP write', async () => {
    const socket = await tcpConnect(server.port);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // A whole frame header of garbage (RSV bits set, an unknown opcode, 8 bytes of length, a
    // mask): ws judges a header at its first byte, uWebSockets once it is whole.
    socket.write(Buffer.concat([Buffer.from(upgradeRequest('/echo', newKey())), Buffer.alloc(16, 0xff)]));
    await closed(socket);
    const bytes = Buffer.concat(received);
    const head = bytes.indexOf('\r\n\r\n');
    expect(bytes.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
    const frame = bytes.subarray(head + 4);
    expect(frame[0]).toBe(0x88); // FIN + close
    expect(frame.readUInt16BE(2)).toBe(1002);
  });
});

describe('lying lengths', () => {
  it.each([
    ['2^63', 2n ** 63n],
    ['2^64 - 1', 2n ** 64n - 1n],
    ['2^32', 2n ** 32n],
  ])('closes with 1009 on a frame header declaring %s bytes, before any payload', async (_name, declaredLength) => {
    const client = await RawClient.connect(server.port, '/echo');
    client.send({ opcode: Opcode.Binary, declaredLength });
    // docs/engines.md: after a protocol error Bun sends its own reason text; the code is the same.
    expect(await client.serverClose()).toMatchObject(server.engine === 'bun' ? { code: 1009 } : { code: 1009, reason: '' });
  });
});

describe('slowloris', () => {
  it('answers 408 to 50 clients trickling their handshakes past handshakeTimeout (1 s) while others connect (on Bun: keeps reading them)', async () => {
    const head = upgradeRequest('/echo', newKey(), { 'X-Padding': 'p'.repeat(400) });
    const started = Date.now();
    const sockets: Socket[] = [];
    const answers: string[] = [];
    const trickles = Array.from({ length: 50 }, (_, i) =>
      withTimeout(
        new Promise<{ answer: string; afterMs: number }>((resolve) => {
          const socket = connect({ host: LOOPBACK, port: server.port });
          sockets.push(socket);
          answers[i] = '';
          socket.on('data', (chunk) => (answers[i] += chunk.toString('latin1')));
          let answer = '';
          let sent = 0;
          const timer = setInterval(() => {
            if (sent < head.length && !socket.destroyed) socket.write(head[sent++]);
          }, 25);
          socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
          socket.on('error', () => {});
          socket.on('close', () => {
            clearInterval(timer);
            resolve({ answer, afterMs: Date.now() - started });
          });
        }),
        8000,
        'the server to drop a trickling client',
      ),
    );
    await expectHealthy(server); // while all 50 trickle
    if (server.engine === 'bun') {
      // docs/engines.md: Bun has no request-head deadline, and its idle timer restarts at every
      // byte: past handshakeTimeout and Bun's idle timeout (2 s here) every trickler is still read.
      await new Promise((resolve) => setTimeout(resolve, 2500 - (Date.now() - started)));
      expect(sockets.filter((socket) => socket.destroyed)).toHaveLength(0);
      expect(answers.filter((answer) => answer !== '')).toHaveLength(0);
      for (const socket of sockets) socket.destroy();
      await Promise.all(trickles);
      return;
    }
    for (const { answer, afterMs } of await Promise.all(trickles)) {
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(afterMs).toBeGreaterThanOrEqual(900);
      expect(afterMs).toBeLessThan(4000);
    }
  });
});

describe('connection churn', () => {
  it('survives 2,000 connections reset at every stage of their life, and forgets every one', async () => {
    const before = (await server.stats()).sample;
    const opensBefore = await server.count('echo.open');
    const stages = [
      // reset right after the upgrade request, before the 101 can arrive
      async (port: number) => {
        const socket = await tcpConnect(port);
        socket.write(upgradeRequest('/echo', newKey()));
        reset(socket);
      },
      // reset once the connection is open
      async (port: number) => {
        const socket = await tcpConnect(port);
        await handshake(socket, '/echo');
        reset(socket);
      },
      // reset half-way through a frame
      async (port: number) => {
        const socket = await tcpConnect(port);
        await handshake(socket, '/echo');
        const frame = encodeFrame({ opcode: Opcode.Binary, payload: Buffer.alloc(1000, 7) });
        socket.write(frame.subarray(0, 500), () => reset(socket));
      },
      // reset right after a whole message, without reading its echo
      async (port: number) => {
        const socket = await tcpConnect(port);
        await handshake(socket, '/echo');
        socket.write(encodeFrame({ opcode: Opcode.Text, payload: 'and gone' }), () => reset(socket));
      },
    ];
    const total = 2000;
    const batch = 100;
    for (let start = 0; start < total; start += batch) {
      await Promise.all(Array.from({ length: batch }, (_, i) => stages[(start + i) % stages.length](server.port)));
    }
    destroyRawSockets();
    // Every connection that was opened is closed again (as none said goodbye, with 1006) and forgotten.
    const settled = async () => {
      for (;;) {
        const { counts, sample } = await server.stats();
        if (sample.connections === 0 && counts['echo.open'] === counts['echo.close']) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await withTimeout(settled(), 10000, 'every churned connection to be closed and forgotten');
    const { counts, sample } = await server.stats();
    expect(counts['echo.open'] - opensBefore).toBeGreaterThanOrEqual(1500);
    expect(sample.activeResources).toBeLessThanOrEqual(before.activeResources + 5);
  }, 30000);
});

describe('a client that never reads', () => {
  // Without a slow-consumer limit every echo would wait in the server's memory (before the
  // limit existed, 256 MiB sent held 256 MiB); with it, the backlog of one connection is capped.
  it('keeps the server memory bounded while a client sends 128 MiB to an echo and reads nothing', async () => {
    const before = (await server.stats()).sample;
    const socket = await tcpConnect(server.port);
    await handshake(socket, '/echo');
    socket.pause(); // never read
    let sent = 0;
    let gone = false;
    socket.once('close', () => (gone = true));
    while (sent < 128 * 1024 * 1024 && !gone) {
      // Fresh bytes every time: a buffer sent twice is queued twice by reference, costing nothing.
      const payload = randomFillSync(Buffer.allocUnsafe(60 * 1024));
      sent += payload.length;
      if (socket.write(encodeFrame({ opcode: Opcode.Binary, payload }))) continue;
      // The server has stopped reading (which is how backpressure shows) if no drain comes.
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 1000);
        socket.once('drain', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (!drained) break;
    }
    const after = (await server.stats()).sample;
    reset(socket);
    expect((after.arrayBuffers - before.arrayBuffers) / 2 ** 20).toBeLessThan(32);
  }, 20000);
});

describe('handlers that fail', () => {
  it('closes every connection with 1011 when a handler throws on every message', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(server.port, '/throws')));
    for (const client of clients) client.write(burst(50));
    for (const client of clients) expect((await serverInitiatedClose(client)).code).toBe(1011);
  });

  // Once a handler has thrown, the connection is closing with 1011: the rest of a burst that
  // arrives before the close handshake ends must not reach the handler (20 calls, not 1,000).
  it('handles no further message of a connection after its handler threw', async () => {
    const callsBefore = await server.count('throws.call');
    const errorsBefore = await server.count('throws.onError');
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(server.port, '/throws')));
    for (const client of clients) client.write(burst(50));
    for (const client of clients) await serverInitiatedClose(client);
    expect((await server.count('throws.call')) - callsBefore).toBe(20);
    expect((await server.count('throws.onError')) - errorsBefore).toBe(20);
  });

  it('closes with 1011 and logs once per connection when an async handler rejects on every message', async () => {
    const logged = await server.count('log.error.handler failed');
    const calls = await server.count('rejects.call');
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(server.port, '/rejects')));
    for (const client of clients) client.write(burst(50));
    for (const client of clients) expect((await serverInitiatedClose(client)).code).toBe(1011);
    expect((await server.count('rejects.call')) - calls).toBe(20);
    expect((await server.count('log.error.handler failed')) - logged).toBe(20);
  });

  it('queues 1,024 messages behind a handler that never settles, and closes with 1013 on the 1,025th', async () => {
    const warned = await server.count('log.warn.too many messages waiting for a busy handler; closing with 1013');
    const client = await RawClient.connect(server.port, '/stuck');
    // One message runs (and never ends); the default maxPendingMessages, 1024, may wait behind it.
    client.write(burst(1 + 1024));
    await expect(client.nextFrame(300)).rejects.toThrow(/timed out/);
    client.send({ opcode: Opcode.Text, payload: 'one too many' });
    expect(await serverInitiatedClose(client)).toEqual({ code: 1013, reason: 'too many pending messages' });
    expect(await server.count('stuck.call')).toBeGreaterThanOrEqual(1);
    expect(
      (await server.count('log.warn.too many messages waiting for a busy handler; closing with 1013')) - warned,
    ).toBe(1);
  });

  it('closes with 1011 and logs it when @OnOpen throws', async () => {
    const calls = await server.count('openThrows.call');
    const logged = await server.count('log.error.handler failed');
    const client = await RawClient.connect(server.port, '/open-throws');
    expect((await serverInitiatedClose(client)).code).toBe(1011);
    expect((await server.count('openThrows.call')) - calls).toBe(1);
    expect((await server.count('log.error.handler failed')) - logged).toBe(1);
  });

  // A connection whose @OnOpen threw never had its set-up: no message handler may run on it.
  it('runs no message handler on a connection whose @OnOpen threw', async () => {
    const texts = await server.count('openThrows.text');
    const client = await RawClient.connect(server.port, '/open-throws');
    client.send({ opcode: Opcode.Text, payload: 'too early' });
    expect((await serverInitiatedClose(client)).code).toBe(1011);
    expect((await server.count('openThrows.text')) - texts).toBe(0);
  });

  it('completes the close handshake and logs the failure when @OnClose throws', async () => {
    const calls = await server.count('closeThrows.call');
    const logged = await server.count('log.error.@OnClose handler failed');
    const client = await RawClient.connect(server.port, '/close-throws');
    client.send({ opcode: Opcode.Close, payload: Buffer.from([0x0f, 0xa0]) }); // 4000
    expect((await client.serverClose()).code).toBe(4000);
    const dropped = await RawClient.connect(server.port, '/close-throws');
    dropped.close(); // and once more through a dropped socket (1006)
    await server.waitForCount('closeThrows.call', calls + 2);
    await server.waitForCount('log.error.@OnClose handler failed', logged + 2);
  });

  it.each(['type-error', 'string', 'undefined', 'rejection'])(
    'answers 500, with no detail, and logs it when @OnUpgrade throws a non-UpgradeError (%s)',
    async (kind) => {
      const logged = await server.count('log.error.the upgrade failed');
      const response = await httpExchange(server.port, upgradeRequest(`/upgrade-throws?kind=${kind}`, newKey()));
      expect(response.status).toBe(500);
      expect(response.body).not.toMatch(/UpgradeError|plain string|rejected upgrade/);
      await server.waitForCount('log.error.the upgrade failed', logged + 1);
    },
  );
});
