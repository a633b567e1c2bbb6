// Issue 7, part 4: faults. Clients that vanish at the worst moment (half-way through a large
// message, during the close handshake, while a handler still runs) and `app.stop()` while
// messages are in flight. Nothing may crash or print an unhandled rejection; a handler's late
// write rejects with ConnectionClosedError. (A port already in use at start: config.test.ts,
// "fails with a ListenError naming the port when it is already in use".)
import { Opcode, RawClient, closeAllRawSockets, closePayload, encodeFrame } from '../conformance/raw-client';
import { TestClient, cleanup, withTimeout } from '../helpers';
import { ServerProcess } from './server-process';
import { destroyRawSockets, expectHealthy, reset, serverInitiatedClose, tcpConnect } from './support';

const MiB = 1024 * 1024;
/** The debug line for a reply that found its connection closed. */
const REPLY_DROPPED = /^log\.debug\.reply .*closed before the handler returned/;

describe('faults', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterAll(() => server?.stop());
  afterEach(async () => {
    closeAllRawSockets();
    destroyRawSockets();
    await expectHealthy(server);
  });

  describe('a client that disconnects half-way through a large message', () => {
    it.each([
      ['ends its TCP connection', (client: RawClient) => client.socket.end()],
      ['resets its TCP connection', (client: RawClient) => reset(client.socket)],
    ])('handles nothing and reports 1006 when it %s after 1 of 2 MiB', async (_how, disconnect) => {
      const messages = await server.count('big.message');
      const closes = await server.count('big.close.1006');
      const client = await RawClient.connect(server.port, '/big');
      const frame = encodeFrame({ opcode: Opcode.Binary, payload: Buffer.alloc(2 * MiB, 0x5a) });
      await new Promise<void>((resolve) => client.socket.write(frame.subarray(0, MiB), () => resolve()));
      disconnect(client);
      await server.waitForCount('big.close.1006', closes + 1);
      expect(await server.count('big.message')).toBe(messages);
    });

    it('handles nothing and reports 1006 when it vanishes between the fragments of a message', async () => {
      const messages = await server.count('big.message');
      const closes = await server.count('big.close.1006');
      const client = await RawClient.connect(server.port, '/big');
      client.send({ opcode: Opcode.Binary, payload: Buffer.alloc(MiB, 1), fin: false });
      const second = encodeFrame({ opcode: Opcode.Continuation, payload: Buffer.alloc(MiB, 2), fin: true });
      await new Promise<void>((resolve) => client.socket.write(second.subarray(0, MiB / 2), () => resolve()));
      client.close();
      await server.waitForCount('big.close.1006', closes + 1);
      expect(await server.count('big.message')).toBe(messages);
    });
  });

  describe('a client that disconnects during the close handshake', () => {
    it("resolves the server's caller.close() at once and reports 1006 (on Bun: the code sent) when the client drops instead of answering", async () => {
      // docs/engines.md: Bun reports the socket closed as soon as it sent the close frame, with that code.
      const reported = server.engine === 'bun' ? 'closer.close.1000' : 'closer.close.1006';
      const closes = await server.count(reported);
      const resolved = await server.count('closer.resolved');
      const client = await RawClient.connect(server.port, '/closer');
      client.send({ opcode: Opcode.Text, payload: 'close' });
      expect(await client.nextClose()).toMatchObject({ code: 1000, reason: 'bye' });
      client.close(); // no answer, just gone
      const event = await server.waitForEvent('closer.resolved', 5000, resolved + 1);
      expect(event.detail?.ms).toBeLessThan(1000); // not the 3 s close timeout
      await server.waitForCount(reported, closes + 1);
    });

    it('reports the code of a close frame whose sender dropped before reading the answer', async () => {
      const closes = await server.count('echo.close.4321');
      const client = await RawClient.connect(server.port, '/echo');
      client.socket.end(encodeFrame({ opcode: Opcode.Close, payload: closePayload(4321, 'leaving') }));
      await server.waitForCount('echo.close.4321', closes + 1);
    });

    it('reports 1006 when the client drops half-way through its close frame', async () => {
      const closes = await server.count('echo.close.1006');
      const client = await RawClient.connect(server.port, '/echo');
      const frame = encodeFrame({ opcode: Opcode.Close, payload: closePayload(1000, 'cut short') });
      client.socket.end(frame.subarray(0, 5));
      await server.waitForCount('echo.close.1006', closes + 1);
    });
  });

  describe('a client that disconnects while its handler still runs', () => {
    it.each([
      ['drops its socket', (client: RawClient) => client.close(), 1006],
      ['closes normally', (client: RawClient) => client.send({ opcode: Opcode.Close, payload: closePayload(1000) }), 1000],
    ])("rejects the handler's write with ConnectionClosedError when the client %s", async (_how, leave, statusCode) => {
      const name = 'slow.write.rejected.DUET_ERR_CONNECTION_CLOSED';
      const rejected = await server.count(name);
      const started = await server.count('slow.started');
      const client = await RawClient.connect(server.port, '/slow');
      client.send({ opcode: Opcode.Text, payload: 'write-after 300' });
      await server.waitForEvent('slow.started', 3000, started + 1);
      leave(client);
      const event = await server.waitForEvent(name, 3000, rejected + 1);
      expect(event.detail?.statusCode).toBe(statusCode);
      expect(await server.count('slow.write.ok')).toBe(0);
    });

    it('drops the reply of a handler that returns after its client left', async () => {
      const returned = await server.count('slow.returned');
      const dropped = await server.countMatching(REPLY_DROPPED);
      const client = await RawClient.connect(server.port, '/slow');
      client.send({ opcode: Opcode.Text, payload: 'return-after 200' });
      await server.waitForEvent('slow.started');
      client.close();
      await server.waitForEvent('slow.returned', 3000, returned + 1);
      await server.waitForCount(REPLY_DROPPED, dropped + 1);
    });

    it('logs, and does not crash on, a handler that lets the rejected write escape', async () => {
      const failed = await server.count('log.error.handler failed');
      const client = await RawClient.connect(server.port, '/slow');
      client.send({ opcode: Opcode.Text, payload: 'fail-after 200' });
      await server.waitForEvent('slow.started');
      client.close();
      await server.waitForCount('log.error.handler failed', failed + 1);
    });
  });
});

describe('app.stop() while messages are in flight', () => {
  let server: ServerProcess;

  beforeEach(async () => {
    server = await ServerProcess.start();
  });
  afterEach(async () => {
    closeAllRawSockets();
    destroyRawSockets();
    await cleanup();
    await server.stop();
  });

  it('closes every client with 1001, drops the late replies, and resolves within its timeout', async () => {
    const slow = await Promise.all(Array.from({ length: 10 }, () => TestClient.connect(server.url('/slow'))));
    const echo = await Promise.all(Array.from({ length: 10 }, () => TestClient.connect(server.url('/echo'))));
    for (const client of slow) for (let i = 0; i < 20; i++) client.send(`echo-after 20 ${i}`);
    for (const client of echo) for (let i = 0; i < 200; i++) client.send(Buffer.alloc(4096, i));
    await server.waitForEvent('slow.started', 3000, 10);
    const tookMs = await server.stopApp(2);
    expect(tookMs).toBeLessThan(2000 + 500);
    for (const client of [...slow, ...echo]) expect((await client.waitClosed()).code).toBe(1001);
    await expect(tcpConnect(server.port)).rejects.toThrow(/ECONNREFUSED/);
    // The handlers still waiting when the connections closed finish without harm.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.alive).toBe(true);
    expect(server.problems).toEqual([]);
    expect(server.printedProblems()).toEqual([]);
  });

  it('terminates a connection whose handler never settles once the timeout has passed', async () => {
    const stuck = await RawClient.connect(server.port, '/stuck');
    stuck.send({ opcode: Opcode.Text, payload: 'never answered' });
    const polite = await TestClient.connect(server.url('/echo'));
    await server.waitForCount('stuck.call', 1);
    const stopping = server.stopApp(1);
    // The stuck connection's client answers the 1001 too; only its @OnClose can never run.
    expect((await serverInitiatedClose(stuck)).code).toBe(1001);
    expect((await polite.waitClosed()).code).toBe(1001);
    const tookMs = await withTimeout(stopping, 5000, 'app.stop()');
    expect(tookMs).toBeGreaterThanOrEqual(1000);
    expect(tookMs).toBeLessThan(1000 + 1000);
    expect(server.problems).toEqual([]);
    expect(server.printedProblems()).toEqual([]);
  });
});
