// createClient's options: their defaults, and the check that refuses what cannot work before
// anything connects (each error names its field).
import type { CompressionOptions } from '@duet/contract';
import { DEFAULT_RECONNECT, type ReconnectOptions } from './backoff';
import { ClientOptionsError } from './errors';

/** A WHATWG WebSocket constructor (the browser's, Bun's, Node 22's, undici's…). */
export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[]): WebSocketLike;
}

/** What the client uses of a WHATWG WebSocket. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ClientOptions {
  /** Sub-protocols offered in the handshake. */
  protocols?: string | string[];
  /** Extra handshake headers (Node only: browsers cannot set them). */
  headers?: Record<string, string>;
  /** TLS settings for wss:// (Node only): `ca`, `cert`, `key`, `rejectUnauthorized`, `servername`… as `tls.connect` takes them. */
  tls?: Record<string, unknown>;
  /** Values for the `:params` of the contract's path, when `url` has no path of its own. */
  params?: Record<string, string>;
  /** Seconds a `request` waits for its reply by default (default 10). */
  requestTimeout?: number;
  /** Retry policy after a close the client did not ask for, or `false` (default: see `ReconnectOptions`). */
  reconnect?: Partial<ReconnectOptions> | false;
  /** How many `send`/`request` calls may wait for a connection (default 100). */
  offlineQueue?: number;
  /** Seconds without any message after which the server is taken for dead and the socket dropped (default off). */
  serverTimeout?: number;
  /** A WHATWG WebSocket implementation to use instead of the platform's (on Node: instead of `ws`). */
  WebSocket?: WebSocketConstructor;
  /**
   * Ask a service with `resume` for a resumable session (default false): after a drop the client
   * takes the same session back, nothing sent either way is lost or doubled, and `onResume` says
   * whether it worked. Against a service without `resume` the client works as without it.
   */
  resume?: boolean;
  /**
   * Offers permessage-deflate (RFC 7692) on Node's `ws` transport, off by default: `true` for
   * the defaults, or settings. Browsers (and a `WebSocket` option) negotiate compression on
   * their own and ignore it. Messages under `threshold` bytes are sent uncompressed.
   */
  compression?: boolean | CompressionOptions;
  /**
   * Where tokens come from: called before each connect (the token goes in `Authorization: Bearer`,
   * Node and Bun only) and again before the current token's `exp`, to refresh it in place.
   */
  tokenProvider?: () => Promise<string>;
  /**
   * The message field that carries the W3C `traceparent` of the active OpenTelemetry span
   * (default `'traceparent'`, the field `@duet/opentelemetry` reads), added to each message and
   * request sent while a span is active; `false` adds none. Needs nothing but
   * `@opentelemetry/api` with a context manager in the application.
   */
  traceparentField?: string | false;
}

/** permessage-deflate settings, as `@duet/websocket` takes them (one shape, in @duet/contract). */
export type { CompressionOptions } from '@duet/contract';

export interface ResolvedOptions {
  readonly protocols: string | string[] | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly tls: Record<string, unknown> | undefined;
  readonly params: Record<string, string>;
  readonly requestTimeout: number;
  readonly reconnect: Readonly<ReconnectOptions> | false;
  readonly offlineQueue: number;
  readonly serverTimeout: number | undefined;
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly resume: boolean;
  /** Undefined when off. */
  readonly compression: Readonly<CompressionOptions> | undefined;
  readonly tokenProvider: (() => Promise<string>) | undefined;
  /** Undefined when off. */
  readonly traceparentField: string | undefined;
}

/** setTimeout fires at once past 2^31-1 ms, so no timer may be longer. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function resolveOptions(options: ClientOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) throw new ClientOptionsError('options', 'must be an object.');
  const reconnect = options.reconnect === false ? false : resolveReconnect(options.reconnect);
  const offlineQueue = options.offlineQueue ?? 100;
  if (!Number.isInteger(offlineQueue) || offlineQueue < 0) {
    throw new ClientOptionsError('offlineQueue', `must be an integer ≥ 0 (got ${String(offlineQueue)}).`);
  }
  if (options.WebSocket !== undefined && typeof options.WebSocket !== 'function') {
    throw new ClientOptionsError('WebSocket', 'must be a WebSocket constructor.');
  }
  return Object.freeze({
    protocols: options.protocols,
    headers: objectOption('headers', options.headers) as Record<string, string> | undefined,
    tls: objectOption('tls', options.tls),
    params: (objectOption('params', options.params) ?? {}) as Record<string, string>,
    requestTimeout: seconds('requestTimeout', options.requestTimeout ?? 10),
    reconnect,
    offlineQueue,
    serverTimeout: options.serverTimeout === undefined ? undefined : seconds('serverTimeout', options.serverTimeout),
    WebSocket: options.WebSocket,
    resume: resumeOption(options.resume),
    compression: compressionOption(options.compression),
    tokenProvider: providerOption(options.tokenProvider),
    traceparentField: traceparentFieldOption(options.traceparentField),
  });
}

function resolveReconnect(given: Partial<ReconnectOptions> | undefined): Readonly<ReconnectOptions> {
  if (given !== undefined && (typeof given !== 'object' || given === null)) {
    throw new ClientOptionsError('reconnect', 'must be an object or false.');
  }
  const merged = { ...DEFAULT_RECONNECT, ...given };
  seconds('reconnect.initialDelay', merged.initialDelay, true);
  seconds('reconnect.maxDelay', merged.maxDelay);
  if (merged.maxDelay < merged.initialDelay) throw new ClientOptionsError('reconnect.maxDelay', 'must not be below initialDelay.');
  if (typeof merged.factor !== 'number' || !(merged.factor >= 1) || !Number.isFinite(merged.factor)) {
    throw new ClientOptionsError('reconnect.factor', `must be a finite number ≥ 1 (got ${String(merged.factor)}).`);
  }
  if (typeof merged.jitter !== 'number' || !(merged.jitter >= 0 && merged.jitter <= 1)) {
    throw new ClientOptionsError('reconnect.jitter', `must be between 0 and 1 (got ${String(merged.jitter)}).`);
  }
  const attempts = merged.maxAttempts;
  if (attempts !== Infinity && (!Number.isInteger(attempts) || attempts < 0)) {
    throw new ClientOptionsError('reconnect.maxAttempts', `must be an integer ≥ 0 or Infinity (got ${String(attempts)}).`);
  }
  return Object.freeze(merged);
}

/** A duration in seconds that a timer can hold. */
export function seconds(field: string, value: unknown, zeroAllowed = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed) || value * 1000 > MAX_TIMER_MS) {
    throw new ClientOptionsError(field, `must be a number of seconds ${zeroAllowed ? '≥' : '>'} 0 and at most ${MAX_TIMER_MS / 1000} (got ${String(value)}).`);
  }
  return value;
}

function resumeOption(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ClientOptionsError('resume', `must be true or false (got ${String(value)}).`);
  return value;
}

function providerOption(value: unknown): (() => Promise<string>) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ClientOptionsError('tokenProvider', 'must be a function returning a promise of a token.');
  return value as () => Promise<string>;
}

function objectOption(field: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ClientOptionsError(field, 'must be an object.');
  return value as Record<string, unknown>;
}

const COMPRESSION_RANGES: Readonly<Record<keyof CompressionOptions, readonly [number, number] | 'flag'>> = {
  threshold: [0, Number.MAX_SAFE_INTEGER],
  level: [1, 9],
  memLevel: [1, 9],
  serverNoContextTakeover: 'flag',
  clientNoContextTakeover: 'flag',
  serverMaxWindowBits: [9, 15],
  clientMaxWindowBits: [9, 15],
  concurrencyLimit: [1, Number.MAX_SAFE_INTEGER],
};

// Checked here, where the browser build lives too; only node-transport.ts acts on it.
function compressionOption(value: unknown): Readonly<CompressionOptions> | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return Object.freeze({});
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClientOptionsError('compression', 'must be true, false or an object of permessage-deflate settings.');
  }
  for (const [field, setting] of Object.entries(value)) {
    const range = COMPRESSION_RANGES[field as keyof CompressionOptions];
    if (range === undefined) throw new ClientOptionsError(`compression.${field}`, `is not a compression setting (${Object.keys(COMPRESSION_RANGES).join(', ')}).`);
    if (setting === undefined) continue;
    if (range === 'flag') {
      if (typeof setting !== 'boolean') throw new ClientOptionsError(`compression.${field}`, `must be true or false (got ${String(setting)}).`);
    } else if (!Number.isSafeInteger(setting) || (setting as number) < range[0] || (setting as number) > range[1]) {
      throw new ClientOptionsError(`compression.${field}`, `must be a whole number from ${range[0]} to ${range[1]} (got ${String(setting)}).`);
    }
  }
  return Object.freeze({ ...(value as CompressionOptions) });
}

function traceparentFieldOption(value: unknown): string | undefined {
  if (value === undefined) return 'traceparent';
  if (value === false) return undefined;
  if (typeof value !== 'string' || value === '') throw new ClientOptionsError('traceparentField', 'must be a non-empty string, or false.');
  return value;
}
