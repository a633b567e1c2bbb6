import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  Caller,
  ConnectionClosedError,
  InvalidArgumentError,
  OnClose,
  OnOpen,
  OnText,
  WebSocketService,
} from '@duet/websocket';
import { TestClient, cleanup, eventually, startServices, withTimeout } from './helpers';

afterEach(cleanup);

const closes: { id: string; code: number; reason: string }[] = [];
const observations: Record<string, unknown> = {};

@WebSocketService({ path: '/close' })
class CloseService {
  @OnText()
  async onText(caller: Caller, text: string): Promise<string | undefined> {
    if (text.startsWith('close:')) {
      const [, code, reason] = text.split(':');
      const closing = caller.close(Number(code), reason);
      observations.openRightAfterClose = caller.isOpen();
      observations.writeAfterClose = await caller.writeTextMessage('too late').catch((error: unknown) => error);
      await closing;
      observations.closeAgain = await caller.close().then(() => 'resolved');
      return undefined;
    }
    if (text === 'bad-close') {
      observations.badCode = await caller.close(1005).catch((error: unknown) => error);
      observations.longReason = await caller.close(1000, 'x'.repeat(124)).catch((error: unknown) => error);
      observations.endlessTimeout = await caller.close(1000, '', Infinity).catch((error: unknown) => error);
      observations.timerOverflow = await caller.close(1000, '', 2147484).catch((error: unknown) => error);
      return 'still open';
    }
    return text;
  }

  @OnClose()
  onClose(caller: Caller, code: number, reason: string): void {
    closes.push({ id: caller.getConnectionId(), code, reason });
  }
}

let closeResolvedAfterMs: number | undefined;

@WebSocketService({ path: '/deaf' })
class CloseTimeoutService {
  @OnOpen()
  async onOpen(caller: Caller): Promise<void> {
    const started = Date.now();
    await caller.close(1000, 'bye', 0.2);
    closeResolvedAfterMs = Date.now() - started;
  }

  @OnClose()
  onClose(caller: Caller, code: number, reason: string): void {
    closes.push({ id: caller.getConnectionId(), code, reason });
  }
}

/** `stuck` starts a handler that never settles; later messages wait behind it. */
@WebSocketService({ path: '/stuck' })
class StuckHandlerService {
  static handled: string[] = [];

  @OnText()
  onText(_caller: Caller, text: string): Promise<void> | undefined {
    StuckHandlerService.handled.push(text);
    return text === 'stuck' ? new Promise(() => {}) : undefined;
  }

  @OnClose()
  onClose(caller: Caller, code: number, reason: string): void {
    closes.push({ id: caller.getConnectionId(), code, reason });
  }
}

/** Completes a handshake over raw TCP and then never reads or answers anything. */
function deafClient(port: number, path: string): Promise<import('node:net').Socket> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      socket.once('data', (chunk) => (chunk.toString().startsWith('HTTP/1.1 101') ? resolve(socket) : reject(chunk)));
      socket.on('error', () => {});
    }),
    3000,
    'the raw handshake',
  );
}

describe('closing', () => {
  beforeEach(() => {
    closes.length = 0;
    for (const key of Object.keys(observations)) delete observations[key];
    closeResolvedAfterMs = undefined;
  });

  it("runs @OnClose once with the client's code and reason when the client closes", async () => {
    const { url } = await startServices([CloseService]);
    const client = await TestClient.connect(url('/close'));
    client.socket.close(4001, 'client leaving');
    await client.waitClosed();
    await eventually(() => closes.length === 1, 2000, '@OnClose');
    expect(closes[0]).toMatchObject({ code: 4001, reason: 'client leaving' });
  });

  it('reports 1005 when the client closes without a status code', async () => {
    const { url } = await startServices([CloseService]);
    const client = await TestClient.connect(url('/close'));
    client.socket.close();
    await client.waitClosed();
    await eventually(() => closes.length === 1, 2000, '@OnClose');
    expect(closes[0].code).toBe(1005);
  });

  it('closes from the server with the given code and reason; isOpen turns false at once and writes reject', async () => {
    const { url } = await startServices([CloseService]);
    const client = await TestClient.connect(url('/close'));
    client.send('close:4100:done here');
    expect(await client.waitClosed()).toEqual({ code: 4100, reason: 'done here' });
    await eventually(() => closes.length === 1 && 'closeAgain' in observations, 2000, '@OnClose');
    expect(closes[0]).toMatchObject({ code: 4100, reason: 'done here' });
    expect(observations.openRightAfterClose).toBe(false);
    expect(observations.writeAfterClose).toBeInstanceOf(ConnectionClosedError);
    expect((observations.writeAfterClose as ConnectionClosedError).code).toBe('DUET_ERR_CONNECTION_CLOSED');
    expect(observations.closeAgain).toBe('resolved');
  });

  it('rejects close codes that may not be sent, reasons over 123 bytes and timeouts past 2^31-1 ms, leaving the connection open', async () => {
    const { url } = await startServices([CloseService]);
    const client = await TestClient.connect(url('/close'));
    client.send('bad-close');
    expect(await client.nextText()).toBe('still open');
    expect(observations.badCode).toBeInstanceOf(InvalidArgumentError);
    expect(observations.longReason).toBeInstanceOf(InvalidArgumentError);
    expect(observations.endlessTimeout).toBeInstanceOf(InvalidArgumentError);
    expect(observations.timerOverflow).toBeInstanceOf(InvalidArgumentError);
  });

  it('reports 1006 to @OnClose exactly once when the client socket is destroyed', async () => {
    const { url } = await startServices([CloseService]);
    const client = await TestClient.connect(url('/close'));
    client.send('ping');
    expect(await client.nextText()).toBe('ping');
    client.socket.terminate();
    await eventually(() => closes.length === 1, 2000, '@OnClose');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closes).toHaveLength(1);
    expect(closes[0].code).toBe(1006);
  });

  it('terminates the socket when the peer does not answer the close in time, and resolves (on Bun: at once)', async () => {
    const { app } = await startServices([CloseTimeoutService]);
    const socket = await deafClient(app.port(), '/deaf');
    try {
      await eventually(() => closeResolvedAfterMs !== undefined, 3000, 'close() to resolve');
      await eventually(() => closes.length === 1, 2000, '@OnClose');
      if (app.engine === 'bun') {
        // docs/engines.md: Bun reports the socket closed once its close frame is sent, with that code.
        expect(closeResolvedAfterMs).toBeLessThan(190);
        expect(closes[0].code).toBe(1000);
        return;
      }
      expect(closeResolvedAfterMs).toBeGreaterThanOrEqual(190);
      expect(closeResolvedAfterMs).toBeLessThan(1500);
      expect(closes[0].code).toBe(1006);
    } finally {
      socket.destroy();
    }
  });

  it('runs @OnClose exactly once when the client closes while a handler never settles, skipping the messages waiting behind it', async () => {
    StuckHandlerService.handled = [];
    const { url } = await startServices([StuckHandlerService]);
    const client = await TestClient.connect(url('/stuck'));
    client.send('stuck');
    client.send('waiting');
    await eventually(() => StuckHandlerService.handled.length === 1, 2000, 'the stuck handler to start');
    client.socket.close(4000, 'leaving');
    await eventually(() => closes.length === 1, 2000, '@OnClose past the stuck handler');
    expect(closes[0]).toMatchObject({ code: 4000, reason: 'leaving' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closes).toHaveLength(1);
    expect(StuckHandlerService.handled).toEqual(['stuck']);
  });

  it('app.stop() ends within its timeout while a handler never settles, and @OnClose has run', async () => {
    const { app, url } = await startServices([StuckHandlerService]);
    const client = await TestClient.connect(url('/stuck'));
    client.send('stuck');
    await eventually(() => app.connectionCount() === 1, 2000, 'the connection');
    const started = Date.now();
    await app.stop({ timeout: 0.5 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(closes).toHaveLength(1);
    expect((await client.waitClosed(2000)).code).toBe(1001);
  });

  it('app.stop() closes every client with 1001, runs @OnClose for each, and resolves again when called twice', async () => {
    const { app, url } = await startServices([CloseService]);
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(url('/close'))));
    expect(app.connectionCount()).toBe(3);
    await app.stop();
    const results = await Promise.all(clients.map((client) => client.waitClosed()));
    expect(results.map((result) => result.code)).toEqual([1001, 1001, 1001]);
    expect(closes.map((close) => close.code)).toEqual([1001, 1001, 1001]);
    expect(new Set(closes.map((close) => close.id)).size).toBe(3);
    expect(app.connectionCount()).toBe(0);
    await expect(app.stop()).resolves.toBeUndefined();
    await expect(TestClient.connect(url('/close'))).rejects.toThrow();
  });
});
