// Test helpers for @duet/client: real Duet apps on 127.0.0.1 (on port 0, or on a given port to
// stand in for a restarted server), clients that are closed after each test, and bounded waits.
import 'reflect-metadata';
import { createServer } from 'node:net';
import { Container } from 'inversify';
import { type ServiceClass, WebSocketApplication, webSocketModule } from '@duet/websocket';
import type { DuetClient } from '@duet/client';

const apps = new Set<WebSocketApplication>();
const clients = new Set<DuetClient<any>>();
const closers = new Set<() => Promise<void>>();

export async function startApp(services: ServiceClass[], port = 0): Promise<{ app: WebSocketApplication; port: number }> {
  const container = new Container();
  container.load(webSocketModule({ listeners: { default: { port, host: '127.0.0.1' } }, services }));
  const app = await WebSocketApplication.start(container);
  apps.add(app);
  return { app, port: app.port() };
}

export async function stopApp(app: WebSocketApplication): Promise<void> {
  apps.delete(app);
  await app.stop({ timeout: 2 });
}

/** Registers a client (or anything with a close) to be closed by `cleanup()`. */
export function track<T extends DuetClient<any>>(client: T): T {
  clients.add(client);
  return client;
}

export function onCleanup(close: () => Promise<void>): void {
  closers.add(close);
}

export async function cleanup(): Promise<void> {
  await Promise.all([...clients].map((client) => client.close()));
  clients.clear();
  await Promise.all([...closers].map((close) => close()));
  closers.clear();
  await Promise.all([...apps].map((app) => app.stop({ timeout: 2 })));
  apps.clear();
}

/** A port nothing listens on (yet): bound to learn it, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms; rejects naming `what` after `ms`. */
export async function eventually(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await pause(10);
  }
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a value');
}

/**
 * A TCP proxy to `targetPort` whose `silence()` makes the connections it carries stop forwarding
 * in both directions without closing: a server that froze, or a link that died quietly.
 */
export async function silenceableProxy(targetPort: number): Promise<{ port: number; silence(): void; connections(): number }> {
  const { connect } = await import('node:net');
  const pairs: { client: import('node:net').Socket; upstream: import('node:net').Socket }[] = [];
  let accepted = 0;
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    pairs.push({ client, upstream });
  });
  return {
    port: await listenUntilCleanup(server, () => pairs),
    silence() {
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    connections: () => accepted,
  };
}

/**
 * A TCP proxy to `targetPort` that a test can break: `cut()` ends every connection it carries
 * (both ends see the TCP connection go, as on a lost network), `blackhole()` makes them stop
 * forwarding and never close (a link that died silently: neither end hears of it), and
 * `refuse(true)` turns new connections away until `refuse(false)`.
 */
export async function cuttableProxy(
  targetPort: number,
): Promise<{ port: number; cut(): void; blackhole(): void; refuse(on: boolean): void; accepted(): number }> {
  const { connect } = await import('node:net');
  type Pair = { client: import('node:net').Socket; upstream: import('node:net').Socket; silent: boolean };
  const live = new Set<Pair>();
  const silenced = new Set<Pair>();
  let refusing = false;
  let accepted = 0;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream, silent: false };
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      // A blackholed link tells neither end that the other left.
      if (pair.silent) return;
      live.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    live.add(pair);
  });
  return {
    port: await listenUntilCleanup(server, () => [...live, ...silenced]),
    cut() {
      for (const pair of [...live]) {
        live.delete(pair);
        pair.client.destroy();
        pair.upstream.destroy();
      }
    },
    blackhole() {
      for (const pair of [...live]) {
        live.delete(pair);
        silenced.add(pair);
        pair.silent = true;
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.client.pause();
        pair.upstream.pause();
      }
    },
    refuse(on: boolean) {
      refusing = on;
    },
    accepted: () => accepted,
  };
}

type SocketPair = { client: import('node:net').Socket; upstream: import('node:net').Socket };

/** Listens on an ephemeral port of 127.0.0.1 until `cleanup()`, which ends every pair still open. */
async function listenUntilCleanup(server: import('node:net').Server, pairs: () => Iterable<SocketPair>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    for (const { client, upstream } of pairs()) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as { port: number }).port;
}
