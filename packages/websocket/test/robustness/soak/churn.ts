// The soak's client: opens connections to a server on 127.0.0.1 at a steady rate and ends each
// one in a different way: a clean close after an exchange, an abrupt drop after an exchange, a
// reset once open, a drop half-way through the handshake or through a frame. Every payload is
// fresh bytes, so nothing can be queued by reference and look cheaper than it is.
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import WebSocket from 'ws';
import { LOOPBACK, Opcode, encodeFrame, newKey, upgradeRequest } from '../../conformance/raw-client';

export const BEHAVIOURS = ['exchange-and-close', 'exchange-and-drop', 'reset-when-open', 'drop-in-handshake', 'drop-in-frame'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];
/** Out of 100 connections. */
const WEIGHTS: Record<Behaviour, number> = {
  'exchange-and-close': 40,
  'exchange-and-drop': 25,
  'reset-when-open': 15,
  'drop-in-handshake': 10,
  'drop-in-frame': 10,
};

const CONNECTION_TIMEOUT_MS = 10000;

export interface ChurnOptions {
  readonly port: number;
  readonly path: string;
  /** New connections per second. */
  readonly rate: number;
  /** Connections in flight at most; past it a tick's connections are skipped (and counted). */
  readonly maxInFlight?: number;
}

export interface ChurnCounts {
  started: number;
  finished: number;
  skipped: number;
  messages: number;
  byBehaviour: Record<Behaviour, number>;
  errors: number;
  /** The first few errors, for the report. */
  errorSamples: string[];
}

export class Churn {
  readonly counts: ChurnCounts = {
    started: 0,
    finished: 0,
    skipped: 0,
    messages: 0,
    byBehaviour: Object.fromEntries(BEHAVIOURS.map((b) => [b, 0])) as Record<Behaviour, number>,
    errors: 0,
    errorSamples: [],
  };
  private inFlight = 0;
  private ticker: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private idle: (() => void) | undefined;

  constructor(private readonly options: ChurnOptions) {}

  start(): void {
    this.startedAt = Date.now();
    this.ticker = setInterval(() => this.tick(), 20);
  }

  /** Stops opening connections and resolves when those in flight have finished. */
  async stop(): Promise<void> {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private tick(): void {
    const due = Math.floor(((Date.now() - this.startedAt) / 1000) * this.options.rate);
    const max = this.options.maxInFlight ?? 500;
    while (this.counts.started + this.counts.skipped < due) {
      if (this.inFlight >= max) {
        this.counts.skipped++;
        continue;
      }
      const behaviour = pickBehaviour(this.counts.started);
      this.counts.started++;
      this.counts.byBehaviour[behaviour]++;
      this.inFlight++;
      const opened: Closable[] = [];
      void withDeadline(this.run(behaviour, opened), CONNECTION_TIMEOUT_MS, behaviour)
        .catch((error: Error) => {
          for (const socket of opened) socket.destroy();
          this.counts.errors++;
          if (this.counts.errorSamples.length < 10) this.counts.errorSamples.push(`${behaviour}: ${error.message}`);
        })
        .finally(() => {
          this.inFlight--;
          this.counts.finished++;
          if (this.inFlight === 0) this.idle?.();
        });
    }
  }

  private async run(behaviour: Behaviour, opened: Closable[]): Promise<void> {
    const { port, path } = this.options;
    switch (behaviour) {
      case 'exchange-and-close': {
        const socket = await openWs(port, path, opened);
        await this.exchange(socket, 1 + Math.floor(Math.random() * 5));
        await new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          socket.close(1000, 'done');
        });
        return;
      }
      case 'exchange-and-drop': {
        const socket = await openWs(port, path, opened);
        await this.exchange(socket, 1 + Math.floor(Math.random() * 3));
        socket.terminate();
        return;
      }
      case 'reset-when-open': {
        const socket = await openTcp(port, opened);
        await upgrade(socket, path);
        socket.resetAndDestroy();
        return;
      }
      case 'drop-in-handshake': {
        const socket = await openTcp(port, opened);
        const request = upgradeRequest(path, newKey());
        socket.write(request.slice(0, Math.floor(request.length / 2)), () => socket.destroy());
        return;
      }
      case 'drop-in-frame': {
        const socket = await openTcp(port, opened);
        await upgrade(socket, path);
        const frame = encodeFrame({ opcode: Opcode.Binary, payload: randomBytes(4096) });
        socket.write(frame.subarray(0, 1000), () => socket.destroy());
        return;
      }
    }
  }

  /** Sends `count` fresh messages one after another, each checked against its echo. */
  private async exchange(socket: WebSocket, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const payload = randomBytes(16 + Math.floor(Math.random() * 8192));
      const echo = new Promise<Buffer>((resolve) => socket.once('message', (data: Buffer) => resolve(data)));
      socket.send(payload);
      if (!(await echo).equals(payload)) throw new Error('the echo differs from the message');
      this.counts.messages++;
    }
  }
}

function pickBehaviour(n: number): Behaviour {
  // A fixed cycle through the weights, so every stretch of 100 connections has the same mix.
  let slot = (n * 37) % 100;
  for (const behaviour of BEHAVIOURS) {
    if (slot < WEIGHTS[behaviour]) return behaviour;
    slot -= WEIGHTS[behaviour];
  }
  return BEHAVIOURS[0];
}

/** What a connection that overran its deadline is ended with. */
interface Closable {
  destroy(): void;
}

function openWs(port: number, path: string, opened: Closable[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${LOOPBACK}:${port}${path}`, { perMessageDeflate: false });
    opened.push({ destroy: () => socket.terminate() });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.on('error', () => {});
  });
}

function openTcp(port: number, opened: Closable[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOOPBACK, port });
    opened.push(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
    socket.on('error', () => {});
  });
}

/** Sends an upgrade request and resolves on the 101 head. */
function upgrade(socket: Socket, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`expected 101, got ${head.slice(0, 12)}`));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during the handshake')));
    socket.write(upgradeRequest(path, newKey()));
  });
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
