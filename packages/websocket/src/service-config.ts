// What `@WebSocketService` accepts, its defaults, and the start-time validation that turns a
// raw decorator argument into a frozen, complete configuration (or a ServiceConfigError).
import { type MessageValidationError, ServiceConfigError } from './errors';
import type { SlowConsumerPolicy } from './backpressure';
import type { AuthConfigEntry } from './security/auth/auth-config';
import { timerSecondsProblem } from './timer-limits';

/** How service instances are made: one per connection (default) or one shared by all. */
export type ServiceScope = 'connection' | 'singleton';

/** The argument of `@WebSocketService`. */
export interface WebSocketServiceConfig {
  /** The upgrade path, e.g. `'/ws'`; `:name` segments are path parameters. Required. */
  path: string;
  /** Sub-protocols the service supports; the client's first offered match is selected. */
  subProtocols?: string[];
  /** Seconds without a frame in either direction before `@OnIdleTimeout` (fractions allowed; 0 = none). */
  idleTimeout?: number;
  /** Largest message accepted, in bytes (default 65536); a larger one closes the connection with 1009. */
  maxFrameSize?: number;
  /** The listener the service is served on (default `'default'`). */
  listener?: string;
  /** `'connection'` (default): a new instance per connection; `'singleton'`: one for all. */
  scope?: ServiceScope;
  /**
   * Messages that may wait while a handler of the same connection is still running (default
   * 1024). Past it the connection is closed with 1013 rather than queueing without bound.
   */
  maxPendingMessages?: number;
  /**
   * Web origins allowed to connect (`https://app.example.com`, `https://*.example.com`, `*`).
   * A browser request from any other `Origin` gets 403 before any service code runs: the
   * defence against cross-site WebSocket hijacking. Requests without `Origin` (not browsers) pass.
   */
  allowedOrigins?: string[];
  /**
   * Authentication on upgrade, tried in order; the first that accepts wins. No or bad
   * credentials get 401 with `WWW-Authenticate`; `caller.principal` is who was accepted.
   */
  auth?: AuthConfigEntry[];
  /** Scopes the accepted principal must all hold (403 otherwise). Needs `auth`. */
  requiredScopes?: string[];
  /** The JSON field typed `@OnMessage('…')` handlers are chosen by (default `'type'`). */
  dispatcherKey?: string;
  /**
   * A JSON field that correlates replies: a reply to a message carrying it carries the same
   * value (added to a returned object, else `{ id, data }`), and so does every item of a stream.
   */
  dispatcherStreamId?: string;
  /**
   * A JSON message no typed handler matches, on a service without a generic `@OnMessage()`:
   * `'ignore'` it (default, as Ballerina), answer an `'error'`, or `'close'` with 1008.
   */
  onUnmatched?: 'ignore' | 'error' | 'close';
  /**
   * A bad message (not JSON where JSON is required, refused by a schema, unmatched under
   * `'error'`): `'reply'` with the issues and stay open (default), or `'close'` with 1007/1008.
   */
  onInvalidMessage?: 'reply' | 'close';
  /**
   * The reply to a bad message; by default `{ [dispatcherKey]: 'error', message, issues }`.
   * Return `undefined` to send nothing.
   */
  errorReply?: (error: MessageValidationError) => unknown;
  /**
   * Bytes that may wait to be written to one connection (default 1 MiB). A write that would
   * go past it follows `slowConsumerPolicy`; a single larger message still goes to a reader
   * whose backlog is empty.
   */
  maxBufferedBytes?: number;
  /**
   * A connection over `maxBufferedBytes`: `'close'` it with 1013 (default), `'drop'` the
   * message for it (the write resolves to `false`, and it is counted), or `'wait'` — a direct
   * `Caller` write then resolves once the socket has flushed it (broadcasts drop instead).
   */
  slowConsumerPolicy?: SlowConsumerPolicy;
  /**
   * Seconds a reader over `maxBufferedBytes` has to catch up (default 10). Replies, stream
   * items and the reading of further messages wait for the socket to drain meanwhile; past
   * it, `'close'` closes the connection with 1013 and `'drop'` drops the stream items that do
   * not fit; under `'wait'` (or with 0) they wait for as long as it takes.
   */
  drainTimeout?: number;
  /**
   * Fragments one message may arrive in. Each fragment costs memory of its own (about 100
   * bytes) until the message is whole, so a message in more pieces is closed with 1009, as one
   * over `maxFrameSize` is. Default: one per 512 bytes of `maxFrameSize`, at least 64 (128 for
   * the default 64 KiB), which keeps what a message in 1-byte fragments costs near its size.
   */
  maxFragments?: number;
  /** Seconds between server pings (0 = none, the default). */
  pingInterval?: number;
  /** Seconds a ping may wait for its pong before the connection is terminated (1006). Default: pingInterval. */
  pongTimeout?: number;
}

/** A validated configuration with every default applied. */
export interface ResolvedServiceConfig {
  readonly path: string;
  readonly subProtocols: readonly string[];
  readonly idleTimeout: number;
  readonly maxFrameSize: number;
  readonly listener: string;
  readonly scope: ServiceScope;
  readonly maxPendingMessages: number;
  readonly allowedOrigins: readonly string[] | undefined;
  readonly dispatcherKey: string;
  readonly dispatcherStreamId: string | undefined;
  readonly onUnmatched: 'ignore' | 'error' | 'close';
  readonly onInvalidMessage: 'reply' | 'close';
  readonly errorReply: ((error: MessageValidationError) => unknown) | undefined;
  readonly maxBufferedBytes: number;
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  readonly drainTimeout: number;
  readonly maxFragments: number;
  readonly pingInterval: number;
  readonly pongTimeout: number;
}

export const DEFAULT_LISTENER = 'default';
export const DEFAULT_MAX_FRAME_SIZE = 65536;
export const DEFAULT_MAX_PENDING_MESSAGES = 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
export const DEFAULT_DRAIN_TIMEOUT = 10;

/** The default `maxFragments` for a `maxFrameSize`: one fragment per 512 bytes, at least 64. */
export function defaultMaxFragments(maxFrameSize: number): number {
  return Math.max(64, Math.ceil(maxFrameSize / 512));
}

// RFC 7230 token: what a Sec-WebSocket-Protocol value may be made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A path: starts with '/', no query, fragment, white space or empty inner segment.
const PATH_SEGMENT = /^(?::[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9\-._~!$&'()*+,;=@%]+)$/;

/**
 * Validates a raw `@WebSocketService` argument for `serviceName`; every error names the
 * service class and the field.
 */
export function resolveServiceConfig(serviceName: string, raw: unknown): ResolvedServiceConfig {
  const fail = (field: string, problem: string): never => {
    throw new ServiceConfigError(serviceName, field, problem);
  };
  if (raw === null || typeof raw !== 'object') {
    return fail('config', 'must be an object given to @WebSocketService');
  }
  const config = raw as Partial<WebSocketServiceConfig>;
  const maxFrameSize = validateNumber('maxFrameSize', config.maxFrameSize, DEFAULT_MAX_FRAME_SIZE, true, fail);
  return Object.freeze({
    path: validatePath(config.path, fail),
    subProtocols: validateSubProtocols(config.subProtocols, fail),
    idleTimeout: validateIdleTimeout(config.idleTimeout, fail),
    maxFrameSize,
    listener: validateListenerName(config.listener, fail),
    scope: validateScope(config.scope, fail),
    maxPendingMessages: validateNumber(
      'maxPendingMessages',
      config.maxPendingMessages,
      DEFAULT_MAX_PENDING_MESSAGES,
      true,
      fail,
    ),
    allowedOrigins: validateAllowedOrigins(config.allowedOrigins, fail),
    dispatcherKey: validateFieldName('dispatcherKey', config.dispatcherKey, fail) ?? 'type',
    dispatcherStreamId: validateFieldName('dispatcherStreamId', config.dispatcherStreamId, fail),
    onUnmatched: validateChoice('onUnmatched', config.onUnmatched, ['ignore', 'error', 'close'] as const, fail),
    onInvalidMessage: validateChoice('onInvalidMessage', config.onInvalidMessage, ['reply', 'close'] as const, fail),
    errorReply: validateFunction<(error: MessageValidationError) => unknown>('errorReply', config.errorReply, fail),
    maxBufferedBytes: validateNumber('maxBufferedBytes', config.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES, true, fail),
    slowConsumerPolicy: validateChoice('slowConsumerPolicy', config.slowConsumerPolicy, ['close', 'drop', 'wait'] as const, fail),
    drainTimeout: validateTimer('drainTimeout', config.drainTimeout, DEFAULT_DRAIN_TIMEOUT, fail),
    maxFragments: validateNumber('maxFragments', config.maxFragments, defaultMaxFragments(maxFrameSize), true, fail),
    pingInterval: validateTimer('pingInterval', config.pingInterval, 0, fail),
    pongTimeout: validateTimer('pongTimeout', config.pongTimeout, config.pingInterval ?? 0, fail),
  });
}

function validateFieldName(field: string, value: unknown, fail: Fail): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') return fail(field, 'must be a non-empty field name');
  return value;
}

function validateChoice<T extends string>(field: string, value: unknown, choices: readonly T[], fail: Fail): T {
  if (value === undefined) return choices[0];
  if (!choices.includes(value as T)) {
    return fail(field, `must be one of ${choices.map((choice) => `'${choice}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function validateFunction<F>(field: string, value: unknown, fail: Fail): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') return fail(field, 'must be a function');
  return value as F;
}

// Only the shape here; security/origin.ts parses each entry when it compiles the policy.
function validateAllowedOrigins(value: unknown, fail: Fail): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((entry) => typeof entry === 'string')) {
    return fail('allowedOrigins', 'must be a non-empty array of origin strings');
  }
  return Object.freeze([...value]);
}

type Fail = (field: string, problem: string) => never;

function validatePath(path: unknown, fail: Fail): string {
  if (path === undefined) return fail('path', "is required (e.g. path: '/ws')");
  if (typeof path !== 'string') return fail('path', `must be a string, got ${typeof path}`);
  if (!path.startsWith('/')) return fail('path', `must start with '/', got '${path}'`);
  if (path === '/') return path;
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (!PATH_SEGMENT.test(segment)) {
      return fail(
        'path',
        `is malformed: '${path}' (segments must be non-empty, without spaces, '?' or '#'; parameters look like ':room')`,
      );
    }
  }
  return path;
}

function validateSubProtocols(value: unknown, fail: Fail): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) return fail('subProtocols', 'must be an array of strings');
  const seen = new Set<string>();
  for (const protocol of value) {
    if (typeof protocol !== 'string' || !TOKEN.test(protocol)) {
      return fail('subProtocols', `has an invalid sub-protocol name: ${JSON.stringify(protocol)}`);
    }
    if (seen.has(protocol)) return fail('subProtocols', `lists '${protocol}' twice`);
    seen.add(protocol);
  }
  return Object.freeze([...value]);
}

function validateNumber(
  field: string,
  value: unknown,
  fallback: number,
  positiveInteger: boolean,
  fail: Fail,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return fail(field, `must be a finite number, got ${String(value)}`);
  }
  if (value < 0) return fail(field, `must not be negative, got ${value}`);
  if (positiveInteger && (!Number.isInteger(value) || value === 0)) {
    return fail(field, `must be a positive whole number, got ${value}`);
  }
  return value;
}

function validateIdleTimeout(value: unknown, fail: Fail): number {
  return validateTimer('idleTimeout', value, 0, fail);
}

// Seconds a timer waits (0 = none); the limit is Node's, shared with the listener and stop().
function validateTimer(field: string, value: unknown, fallback: unknown, fail: Fail): number {
  if (value === undefined) return typeof fallback === 'number' ? fallback : 0;
  const problem = timerSecondsProblem(value, 'zero allowed');
  return problem === undefined ? (value as number) : fail(field, problem);
}

function validateListenerName(value: unknown, fail: Fail): string {
  if (value === undefined) return DEFAULT_LISTENER;
  if (typeof value !== 'string' || value === '') return fail('listener', 'must be a non-empty string');
  return value;
}

function validateScope(value: unknown, fail: Fail): ServiceScope {
  if (value === undefined) return 'connection';
  if (value !== 'connection' && value !== 'singleton') {
    return fail('scope', `must be 'connection' or 'singleton', got ${JSON.stringify(value)}`);
  }
  return value;
}
