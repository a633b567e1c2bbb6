// The few shapes of Bun's native server that the Bun engine uses, declared here so neither
// Duet's build nor its users need `bun-types` (`@types/bun`). Only what bun-listener.ts and
// bun-transport.ts call; checked against Bun 1.4.
import type { BunTlsOptions } from './bun-tls';

/** Bun's `ServerWebSocket<T>` (one accepted socket; `data` is what `server.upgrade` was given). */
export interface BunSocket<T> {
  readonly data: T;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  readonly remoteAddress: string;
  /** Each returns the bytes sent, -1 when queued behind backpressure, 0 when dropped (or empty). */
  sendText(data: string, compress?: boolean): number;
  sendBinary(data: Uint8Array, compress?: boolean): number;
  ping(data?: string | Uint8Array): number;
  pong(data?: string | Uint8Array): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  /** Bytes queued in Bun's socket that the kernel has not accepted. */
  getBufferedAmount(): number;
  /** Stops (and restarts) reading from the peer. */
  pause(): void;
  resume(): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Sends to every subscriber of `topic` on its server but this socket (`publishToSelf: false`). */
  publish(topic: string, data: string | Uint8Array): number;
}

/** `Bun.serve`'s `websocket` option. */
export interface BunWebSocketHandler<T> {
  open(socket: BunSocket<T>): void;
  message(socket: BunSocket<T>, message: string | Buffer): void;
  close(socket: BunSocket<T>, code: number, reason: string): void;
  drain(socket: BunSocket<T>): void;
  ping(socket: BunSocket<T>, data: Buffer): void;
  pong(socket: BunSocket<T>, data: Buffer): void;
  maxPayloadLength: number;
  /** Seconds without a frame before Bun closes the socket; 0: never. */
  idleTimeout: number;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
  sendPings: boolean;
  perMessageDeflate: boolean | BunPerMessageDeflate;
  publishToSelf: boolean;
}

/**
 * Bun's permessage-deflate compressors (uWebSockets'): `'shared'` keeps no context between
 * messages (no context takeover), `'dedicated'` one context per socket.
 */
export interface BunPerMessageDeflate {
  compress: 'shared' | 'dedicated';
  decompress: 'shared' | 'dedicated';
}

/** What `Bun.serve` returns. */
export interface BunServer {
  readonly port: number;
  upgrade(request: Request, options: { data: unknown; headers?: Record<string, string> }): boolean;
  /** `true`: also end open connections at once. */
  stop(closeActiveConnections?: boolean): Promise<void>;
  requestIP(request: Request): { address: string } | null;
  /** Sends to every socket subscribed to `topic`; the bytes sent (0: no subscriber). */
  publish(topic: string, data: string | Uint8Array): number;
  subscriberCount(topic: string): number;
}

export interface BunServeOptions<T> {
  port?: number;
  hostname?: string;
  /** Seconds an HTTP connection may stay idle; 0: never (at most 255). */
  idleTimeout?: number;
  tls?: BunTlsOptions;
  fetch(request: Request, server: BunServer): Response | undefined | Promise<Response | undefined>;
  websocket: BunWebSocketHandler<T>;
  error?(error: Error): Response;
}

/** `globalThis.Bun`, where it exists. */
export interface BunRuntime {
  serve<T>(options: BunServeOptions<T>): BunServer;
}

/** The Bun runtime, or undefined on Node. */
export function bunRuntime(): BunRuntime | undefined {
  return (globalThis as { Bun?: BunRuntime }).Bun;
}
