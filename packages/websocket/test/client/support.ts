// Helpers of the client's end-to-end tests: a plain `ws` server (HTTP or HTTPS) on an
// ephemeral port of 127.0.0.1 whose connections and upgrade requests a test can await, and
// a registry that closes every client and server a test opened.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type ServerOptions } from 'ws';
import type WebSocket from 'ws';
import type { WebSocketClient } from '@duet/websocket';
import { withTimeout } from '../helpers';

export interface PlainServer {
  readonly port: number;
  readonly wss: WebSocketServer;
  readonly http: Server;
  url(path?: string): string;
  /** The next connection accepted (in order), with its upgrade request. */
  nextConnection(ms?: number): Promise<{ socket: WebSocket; request: IncomingMessage }>;
  close(): Promise<void>;
}

const servers = new Set<PlainServer>();
const clients = new Set<WebSocketClient>();

/** Starts a `ws` server; `tls` makes it HTTPS. `onConnection` runs for every connection. */
export async function startPlainServer(
  options: {
    wsOptions?: Omit<ServerOptions, 'server' | 'port' | 'noServer'>;
    tls?: HttpsOptions;
    port?: number;
    onConnection?: (socket: WebSocket, request: IncomingMessage) => void;
  } = {},
): Promise<PlainServer> {
  const http = options.tls === undefined ? createHttpServer() : createHttpsServer(options.tls);
  const wss = new WebSocketServer({ ...options.wsOptions, server: http });
  const accepted: { socket: WebSocket; request: IncomingMessage }[] = [];
  const waiting: ((value: { socket: WebSocket; request: IncomingMessage }) => void)[] = [];
  wss.on('connection', (socket, request) => {
    socket.on('error', () => {});
    options.onConnection?.(socket, request);
    const waiter = waiting.shift();
    if (waiter !== undefined) waiter({ socket, request });
    else accepted.push({ socket, request });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const scheme = options.tls === undefined ? 'ws' : 'wss';
  const server: PlainServer = {
    port,
    wss,
    http,
    url: (path = '/') => `${scheme}://127.0.0.1:${port}${path}`,
    nextConnection: (ms = 3000) => {
      const ready = accepted.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return withTimeout(new Promise((resolve) => waiting.push(resolve)), ms, 'a connection to the plain server');
    },
    close: async () => {
      servers.delete(server);
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  servers.add(server);
  return server;
}

/** Remembers `client` so `closeAll()` closes it; returns it. */
export function track<T extends WebSocketClient>(client: T): T {
  clients.add(client);
  return client;
}

/** Closes every tracked client and plain server. */
export async function closeAll(): Promise<void> {
  await Promise.all([...clients].map((client) => client.close(1000, '', 1)));
  clients.clear();
  await Promise.all([...servers].map((server) => server.close()));
}

/** Rejects unless `promise` rejects; resolves with what it rejected with. */
export async function rejectionOf(promise: Promise<unknown>, ms = 3000): Promise<Error> {
  const outcome = await withTimeout(
    promise.then(
      (value) => ({ ok: true as const, value }),
      (error: Error) => ({ ok: false as const, error }),
    ),
    ms,
    'a rejection',
  );
  if (outcome.ok) throw new Error(`expected a rejection, got ${String(outcome.value)}`);
  return outcome.error;
}

/** The socket's close frame as the server saw it. */
export function closeOf(socket: WebSocket, ms = 3000): Promise<{ code: number; reason: string }> {
  return withTimeout(
    new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    ms,
    'the server side close',
  );
}
