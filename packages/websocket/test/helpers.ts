// Test helpers: start services on an ephemeral port of 127.0.0.1 and talk to them with a
// plain `ws` client whose messages, pongs and close can be awaited with a timeout.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import { Container } from 'inversify';
import WebSocket from 'ws';
import { type ListenerConfig, type ServiceClass, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';

export interface Started {
  app: WebSocketApplication;
  container: Container;
  url(path: string): string;
}

const running = new Set<WebSocketApplication>();
const clients = new Set<WebSocket>();

/** Starts `services` on 127.0.0.1:0; everything started is stopped by `cleanup()`. */
export async function startServices(
  services: ServiceClass[],
  configure?: (container: Container) => void,
  listener: ListenerConfig = { port: 0, host: '127.0.0.1' },
): Promise<Started> {
  const container = new Container();
  configure?.(container);
  container.load(webSocketModule({ listeners: { default: listener }, services }));
  const app = await WebSocketApplication.start(container);
  running.add(app);
  const scheme = listener.secureSocket === undefined ? 'ws' : 'wss';
  return { app, container, url: (path) => `${scheme}://127.0.0.1:${app.port()}${path}` };
}

export async function cleanup(): Promise<void> {
  for (const client of clients) client.terminate();
  clients.clear();
  await Promise.all([...running].map((app) => app.stop({ timeout: 2 })));
  running.clear();
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface Received {
  data: string | Buffer;
  isBinary: boolean;
}

/** A `ws` client that queues what arrives so a test can await it in order. */
export class TestClient {
  readonly messages: Received[] = [];
  readonly pongs: Buffer[] = [];
  readonly pings: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary) => {
      this.messages.push({ data: isBinary ? data : data.toString(), isBinary });
      this.wake();
    });
    socket.on('pong', (data) => {
      this.pongs.push(data);
      this.wake();
    });
    socket.on('ping', (data) => {
      this.pings.push(data);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    socket.on('error', () => {});
  }

  static connect(url: string, protocols?: string[], options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const socket = new WebSocket(url, protocols, options);
    clients.add(socket);
    const client = new TestClient(socket);
    return withTimeout(
      new Promise<TestClient>((resolve, reject) => {
        socket.once('open', () => resolve(client));
        socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        socket.once('error', reject);
      }),
      5000,
      `connection to ${url}`,
    );
  }

  /** The next message not yet taken, waiting up to `ms`. */
  async next(ms = 3000): Promise<Received> {
    await this.until(() => this.messages.length > 0, ms, 'a message');
    return this.messages.shift()!;
  }

  async nextText(ms = 3000): Promise<string> {
    const message = await this.next(ms);
    if (message.isBinary) throw new Error('expected a text message, got binary');
    return message.data as string;
  }

  async until(condition: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), left, what).catch(() => {});
    }
  }

  send(data: string | Buffer): void {
    this.socket.send(data);
  }

  waitClosed(ms = 3000): Promise<{ code: number; reason: string }> {
    return withTimeout(this.closed, ms, 'the close');
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Resolves after `ms`; used only to give a server the chance to do something it must not do. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition` holds, polling every few milliseconds, or fails after `ms`. */
export async function eventually(condition: () => boolean, ms = 3000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await pause(5);
  }
}

export interface UpgradeResponse {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  body: string;
}

/**
 * Sends a hand-made upgrade request and reports the HTTP answer (101 or a refusal) without
 * any client-side checks, so a test sees exactly what the server said.
 */
export function rawUpgrade(url: string, headers: Record<string, string> = {}): Promise<UpgradeResponse> {
  const http = require('node:http') as typeof import('node:http');
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const target = new URL(url.replace(/^ws/, 'http'));
  if (target.protocol === 'https:') throw new Error('rawUpgrade speaks plain HTTP only');
  return withTimeout(
    new Promise<UpgradeResponse>((resolve, reject) => {
      const request = http.request({
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
          ...headers,
        },
      });
      request.on('upgrade', (response, socket) => {
        socket.destroy();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: '' });
      });
      request.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      });
      request.on('error', reject);
      request.end();
    }),
    3000,
    `the upgrade answer from ${url}`,
  );
}

/** A service class named `name` with the given `@WebSocketService` config (valid or not). */
export function serviceWith(name: string, config: object): ServiceClass {
  const holder = { [name]: class {} };
  WebSocketService(config as never)(holder[name]);
  return holder[name];
}

/** What `WebSocketApplication.start` rejects with for `services` (an app that starts is stopped and fails the test). */
export async function startError(services: ServiceClass[], listeners: Record<string, unknown> = { default: { port: 0, host: '127.0.0.1' } }): Promise<unknown> {
  const container = new Container();
  container.load(webSocketModule({ listeners: listeners as never, services }));
  return WebSocketApplication.start(container).then(
    async (app) => {
      await app.stop();
      throw new Error('start succeeded but should have failed');
    },
    (error: unknown) => error,
  );
}

/** A peer that completes the handshake and then never reads again (the caller destroys it). */
export async function neverReads(port: number, path: string): Promise<Socket> {
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
