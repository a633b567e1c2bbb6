import { connect } from 'node:net';
import { Caller, OnOpen, OnUpgrade, WebSocketService } from '@duet/websocket';
import { TestClient, cleanup, rawUpgrade, startServices, withTimeout } from './helpers';

afterEach(cleanup);

@WebSocketService({ path: '/ws' })
class PlainService {
  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    return caller.writeTextMessage('hello');
  }
}

@WebSocketService({ path: '/slow-hook' })
class SlowHookService {
  @OnUpgrade()
  onUpgrade(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

/** Sends `head` slowly, a byte at a time, and reports what the server said and when it hung up. */
function trickle(port: number, head: string, everyMs: number): Promise<{ answer: string; afterMs: number }> {
  const started = Date.now();
  return withTimeout(
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      let sent = 0;
      const timer = setInterval(() => {
        if (sent < head.length && !socket.destroyed) socket.write(head[sent++]);
      }, everyMs);
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ answer, afterMs: Date.now() - started });
      });
    }),
    8000,
    'the server to drop the trickling client',
  );
}

describe('limits on the upgrade', () => {
  it('answers 503 beyond maxConnections and accepts again once a connection has closed', async () => {
    const { url } = await startServices([PlainService], undefined, { port: 0, host: '127.0.0.1', maxConnections: 2 });
    const first = await TestClient.connect(url('/ws'));
    await TestClient.connect(url('/ws'));
    const refused = await rawUpgrade(url('/ws'));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    first.socket.close();
    await first.waitClosed();
    const again = await TestClient.connect(url('/ws'));
    expect(await again.nextText()).toBe('hello');
  });

  it('drops a client that trickles its request past the handshake timeout, while others connect', async () => {
    const { app, url } = await startServices([PlainService], undefined, { port: 0, host: '127.0.0.1', handshakeTimeout: 1 });
    const head = `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Padding: ${'p'.repeat(200)}\r\n\r\n`;
    const slow = trickle(app.port(), head, 20);
    const other = await TestClient.connect(url('/ws'));
    expect(await other.nextText()).toBe('hello');
    const { answer, afterMs } = await slow;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(900);
    expect(afterMs).toBeLessThan(4000);
  });

  it('answers 503 when the upgrade checks take longer than the handshake timeout', async () => {
    const { url } = await startServices([SlowHookService], undefined, { port: 0, host: '127.0.0.1', handshakeTimeout: 0.3 });
    const started = Date.now();
    const response = await rawUpgrade(url('/slow-hook'));
    expect(response.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('answers 414 to a request target over maxUriLength and 431 to headers over maxHeaderSize', async () => {
    const { url } = await startServices([PlainService], undefined, {
      port: 0,
      host: '127.0.0.1',
      maxUriLength: 1024,
      maxHeaderSize: 4096,
    });
    expect((await rawUpgrade(url(`/ws?q=${'a'.repeat(1100)}`))).status).toBe(414);
    expect((await rawUpgrade(url('/ws'), { 'X-Big': 'b'.repeat(5000) })).status).toBe(431);
    expect((await rawUpgrade(url(`/ws?q=${'a'.repeat(900)}`))).status).toBe(101);
  });
});
