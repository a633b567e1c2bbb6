// Retries and reconnects: a server that starts late, a server that refuses for a while
// (the waits between attempts follow the backoff), a server that drops the connection.
import 'reflect-metadata';
import { type Server, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Container } from 'inversify';
import {
  Caller,
  ConnectError,
  ConnectionClosedError,
  HandshakeError,
  OnOpen,
  OnText,
  RetryExhaustedError,
  type ServiceClass,
  WebSocketApplication,
  WebSocketClient,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { eventually, pause } from '../helpers';
import { type RawServer, startRawServer, switchingProtocols } from './raw-server';
import { closeAll, rejectionOf, startPlainServer, track } from './support';

const apps: WebSocketApplication[] = [];
const httpServers: { server: Server; sockets: Set<Socket> }[] = [];

afterEach(async () => {
  await closeAll();
  await Promise.all(apps.splice(0).map((app) => app.stop({ timeout: 1 })));
  for (const { server, sockets } of httpServers.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

@WebSocketService({ path: '/ws' })
class GreetingService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return `Echo: ${text}`;
  }
}

/** Closes its connection with the code a text message names. */
@WebSocketService({ path: '/closing' })
class ClosingService {
  static connections = 0;

  @OnOpen()
  onOpen(): void {
    ClosingService.connections++;
  }

  @OnText()
  onText(caller: Caller, text: string): void {
    void caller.close(Number(text), 'told to');
  }
}

beforeEach(() => {
  ClosingService.connections = 0;
});

async function startGreetingApp(port: number, service: ServiceClass = GreetingService): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ listeners: { default: { port, host: '127.0.0.1' } }, services: [service] }));
  const app = await WebSocketApplication.start(container);
  apps.push(app);
  return app;
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** An HTTP server that answers every upgrade with `status` and records when each came. */
async function refusingServer(status: number): Promise<{ url: string; attempts: number[] }> {
  const attempts: number[] = [];
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (_request, socket) => {
    attempts.push(Date.now());
    socket.end(`HTTP/1.1 ${status} Nope\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  httpServers.push({ server, sockets });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, attempts };
}

describe('WebSocketClient retries', () => {
  it('connects to a Duet service that starts after the first attempts failed', async () => {
    const port = await freePort();
    const started = Date.now();
    const connecting = WebSocketClient.connect(`ws://127.0.0.1:${port}/ws`, {
      retryConfig: { maxCount: 20, interval: 0.05, backOffFactor: 1.5, maxWaitInterval: 0.1 },
    });
    await pause(300);
    const container = new Container();
    container.load(webSocketModule({ listeners: { default: { port, host: '127.0.0.1' } }, services: [GreetingService] }));
    apps.push(await WebSocketApplication.start(container));
    const client = track(await connecting);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await client.writeTextMessage('late');
    expect(await client.readTextMessage()).toBe('Echo: late');
  });

  it('waits min(interval × backOffFactor^n, maxWaitInterval) before retry n and reports attempts and the last error', async () => {
    const { url, attempts } = await refusingServer(503);
    const error = await rejectionOf(
      WebSocketClient.connect(url, { retryConfig: { maxCount: 4, interval: 0.05, backOffFactor: 2, maxWaitInterval: 0.15 } }),
      5000,
    );
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error).toMatchObject({ code: 'DUET_ERR_RETRY_EXHAUSTED', attempts: 5 });
    const { lastError } = error as RetryExhaustedError;
    expect(lastError).toBeInstanceOf(HandshakeError);
    expect(lastError).toMatchObject({ status: 503, body: 'nope' });
    expect(attempts).toHaveLength(5);
    const waits = attempts.slice(1).map((at, i) => at - attempts[i]);
    [50, 100, 150, 150].forEach((expected, i) => {
      expect(waits[i]).toBeGreaterThanOrEqual(expected - 5);
      expect(waits[i]).toBeLessThan(expected + 60);
    });
    // Serialisable: the nested error is plain values too.
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ attempts: 5, lastError: { status: 503 } });
  });

  it('does not retry a refusal that will not change (401)', async () => {
    const { url, attempts } = await refusingServer(401);
    const error = await rejectionOf(WebSocketClient.connect(url, { retryConfig: { maxCount: 3, interval: 0.01 } }));
    expect(error).toBeInstanceOf(HandshakeError);
    expect(attempts).toHaveLength(1);
  });

  it('makes a single attempt without retryConfig', async () => {
    const { url, attempts } = await refusingServer(503);
    expect(await rejectionOf(WebSocketClient.connect(url))).toBeInstanceOf(HandshakeError);
    await pause(50);
    expect(attempts).toHaveLength(1);
  });

  it('reconnects after an abnormal drop and later reads and writes continue on the new connection', async () => {
    let connections = 0;
    const server = await startPlainServer({
      onConnection: (socket) => {
        const which = ++connections;
        socket.on('message', (data) => socket.send(`${which}: ${data.toString()}`));
        if (which === 1) {
          socket.send('first');
          setTimeout(() => socket.terminate(), 20); // no close frame: the client sees 1006
        } else {
          socket.send('second');
        }
      },
    });
    const client = track(
      await WebSocketClient.connect(server.url(), { retryConfig: { maxCount: 5, interval: 0.05 }, readTimeout: 2 }),
    );
    const firstId = client.getConnectionId();
    expect(await client.readTextMessage()).toBe('first');
    expect(await client.readTextMessage()).toBe('second');
    expect(client.getConnectionId()).not.toBe(firstId);
    await client.writeTextMessage('hello again');
    expect(await client.readTextMessage()).toBe('2: hello again');
    expect(connections).toBe(2);
  });

  it('rejects reads with RetryExhaustedError when the dropped server does not come back', async () => {
    const server = await startPlainServer({ onConnection: (socket) => setTimeout(() => socket.terminate(), 20) });
    const client = await WebSocketClient.connect(server.url(), { retryConfig: { maxCount: 2, interval: 0.03 } });
    await pause(10);
    await server.close();
    const error = await rejectionOf(client.readMessage());
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error).toMatchObject({ attempts: 3 }); // the connect and two reconnects
    expect((error as RetryExhaustedError).lastError).toBeInstanceOf(ConnectError);
    expect(await rejectionOf(client.writeTextMessage('x'))).toBeInstanceOf(RetryExhaustedError);
    await client.close(); // already closed: resolves
  });

  it('reconnects after app.stop() (1001) to the new app on the same port, and reads again', async () => {
    const port = await freePort();
    const first = await startGreetingApp(port);
    const client = track(
      await WebSocketClient.connect(`ws://127.0.0.1:${port}/ws`, {
        retryConfig: { maxCount: 40, interval: 0.05, maxWaitInterval: 0.05 },
        readTimeout: 3,
      }),
    );
    await client.writeTextMessage('before');
    expect(await client.readTextMessage()).toBe('Echo: before');
    const firstId = client.getConnectionId();
    await first.stop({ timeout: 1 });
    apps.splice(apps.indexOf(first), 1);
    await startGreetingApp(port);
    await client.writeTextMessage('after'); // waits for the reconnect
    expect(await client.readTextMessage()).toBe('Echo: after');
    expect(client.getConnectionId()).not.toBe(firstId);
  });

  it.each([1012, 1013])('reconnects after a close frame with %i', async (code) => {
    let connections = 0;
    const server = await startPlainServer({
      onConnection: (socket) => {
        const which = ++connections;
        if (which === 1) socket.close(code, 'come back');
        else socket.send('second');
      },
    });
    const client = track(await WebSocketClient.connect(server.url(), { retryConfig: { maxCount: 3, interval: 0.02 }, readTimeout: 2 }));
    expect(await client.readTextMessage()).toBe('second');
    expect(connections).toBe(2);
  });

  it('spends maxCount on 1001 closes as on drops', async () => {
    let connections = 0;
    const server = await startPlainServer({
      onConnection: (socket) => {
        connections++;
        socket.close(1001, 'going away');
      },
    });
    const client = track(await WebSocketClient.connect(server.url(), { retryConfig: { maxCount: 2, interval: 0.02 } }));
    const error = await rejectionOf(client.readMessage());
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error).toMatchObject({ attempts: 3 }); // the connect and two reconnects
    expect((error as RetryExhaustedError).lastError).toMatchObject({ statusCode: 1001, reason: 'going away' });
    expect(connections).toBe(3);
  });

  it.each([1000, 1008])('does not reconnect after %i from a Duet service, even with retryConfig', async (code) => {
    const port = await freePort();
    await startGreetingApp(port, ClosingService);
    const client = track(
      await WebSocketClient.connect(`ws://127.0.0.1:${port}/closing`, { retryConfig: { maxCount: 3, interval: 0.01 } }),
    );
    await client.writeTextMessage(String(code));
    expect(await rejectionOf(client.readMessage())).toMatchObject({ name: 'ConnectionClosedError', statusCode: code, reason: 'told to' });
    await pause(100);
    expect(ClosingService.connections).toBe(1);
    expect(client.isOpen()).toBe(false);
  });

  it('reports 1006 without retryConfig when the connection drops', async () => {
    const server = await startPlainServer({ onConnection: (socket) => setTimeout(() => socket.terminate(), 10) });
    const client = track(await WebSocketClient.connect(server.url()));
    const error = await rejectionOf(client.readMessage());
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ statusCode: 1006 });
  });

  it('stops reconnecting when closed while it waits, and resolves the close', async () => {
    const server = await startPlainServer({ onConnection: (socket) => setTimeout(() => socket.terminate(), 10) });
    const client = await WebSocketClient.connect(server.url(), { retryConfig: { maxCount: 100, interval: 10 } });
    await pause(50); // dropped; the next attempt is 10 s away
    expect(client.isOpen()).toBe(false);
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).toBeLessThan(100);
    expect(await rejectionOf(client.readMessage())).toMatchObject({ statusCode: 1006 });
  });
});

describe('retryConfig.maxCount against a server that keeps failing', () => {
  const raws: RawServer[] = [];
  afterEach(async () => {
    await Promise.all(raws.splice(0).map((raw) => raw.close()));
  });

  /** A raw server that treats its n-th connection (from 1) as `plan(n)` says. */
  async function plannedServer(plan: (n: number) => 'drop' | 'silent' | 'refuse' | number): Promise<RawServer> {
    let n = 0;
    const raw = await startRawServer((socket, head) => {
      const what = plan(++n);
      if (what === 'silent') return;
      if (what === 'refuse') {
        socket.end('HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy');
        return;
      }
      socket.write(switchingProtocols(head));
      // No close frame: the client sees an abnormal closure (1006), the kind it reconnects after.
      if (what === 'drop') socket.destroy();
      else setTimeout(() => socket.destroy(), what);
    });
    raws.push(raw);
    return raw;
  }

  it('reconnects at most maxCount times to a server that accepts every connection and drops it at once', async () => {
    const raw = await plannedServer(() => 'drop');
    const client = track(await WebSocketClient.connect(raw.url, { retryConfig: { maxCount: 3, interval: 0.02 } }));
    const error = await rejectionOf(client.readMessage(), 2000);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error).toMatchObject({ attempts: 4 });
    expect((error as RetryExhaustedError).lastError).toMatchObject({ name: 'ConnectionClosedError', statusCode: 1006 });
    await pause(300);
    expect(raw.accepted).toBe(4);
  });

  it('counts failed attempts of the connect, handshake timeouts, refusals and drops against one maxCount', async () => {
    // 1: drop after open; 2: never answers; 3: 503; 4 and later: drop after open.
    const raw = await plannedServer((n) => (n === 2 ? 'silent' : n === 3 ? 'refuse' : 'drop'));
    const client = track(
      await WebSocketClient.connect(raw.url, { handshakeTimeout: 0.15, retryConfig: { maxCount: 3, interval: 0.02 } }),
    );
    const error = await rejectionOf(client.readMessage(), 2000);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error).toMatchObject({ attempts: 4 });
    await pause(300);
    expect(raw.accepted).toBe(4);
  });

  it('gives the budget back once a connection has stayed open for minUptime', async () => {
    // Every connection lives 150 ms: longer than a minUptime of 0.1 s, shorter than one of 1 s.
    const lasting = await plannedServer(() => 150);
    track(await WebSocketClient.connect(lasting.url, { retryConfig: { maxCount: 1, interval: 0.02, minUptime: 0.1 } }));
    const strict = track(await WebSocketClient.connect(lasting.url, { retryConfig: { maxCount: 1, interval: 0.02, minUptime: 1 } }));
    expect(await rejectionOf(strict.readMessage(), 1000)).toBeInstanceOf(RetryExhaustedError);
    await eventually(() => lasting.accepted >= 2 + 5, 2000, 'five reconnects of the resetting client');
  });
});
