// What `@WebSocketService` accepts, its defaults, and the start-time validation that turns a
// raw decorator argument into a frozen, complete configuration (or a ServiceConfigError).
import type { AnyContract } from '@duet/contract';
import { ServiceConfigError } from './errors';
import type { ErrorReplyCause } from './messages/validation';
import type { SlowConsumerPolicy } from './backpressure';
import { type Compression, type ResolvedCompression, resolveCompression } from './compression';
import { type RateLimit, type ResolvedRateLimit, resolveRateLimit } from './policy/rate-limit';
import type { AuthConfigEntry } from './security/auth/auth-config';
import { type ResolvedResumeConfig, type ResumeConfig, validateResume } from './resume-config';
import { type ConfigErrorFactory, bytes, choice, count, nonEmptyString, seconds, tokenList } from './validate';

/** How service instances are made: one per connection (default) or one shared by all. */
export type ServiceScope = 'connection' | 'singleton';

/** The argument of `@WebSocketService`. */
export interface WebSocketServiceConfig {
  /** The upgrade path, e.g. `'/ws'`; `:name` segments are path parameters. Required unless `contract` gives it. */
  path?: string;
  /**
   * The `@duet/contract` the service implements: it gives `path`, `dispatcherKey` and
   * `dispatcherStreamId` (its `correlationKey`), and the schema of every request and message.
   * Start fails unless each contract request and message has an `@OnMessage(name)` handler and
   * each typed handler's key is in the contract. Outside production a request handler's return
   * value is checked against the request's `reply` schema.
   */
  contract?: AnyContract;
  /**
   * Seconds (default 0: off) after which a connection that was sent no message gets
   * `{ [dispatcherKey]: '$keepalive' }`, so a client with `serverTimeout` can tell a silent
   * service from a dead one. Ping frames do not count: browsers never see them.
   */
  keepAlive?: number;
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
   * 1024). What happens when that many wait is `inboundOverflow`'s choice.
   */
  maxPendingMessages?: number;
  /**
   * `maxPendingMessages` messages wait behind a busy handler: `'pause'` (default) stops reading
   * the socket until half of them were handled, so TCP holds the client back and nothing is
   * lost; `'close'` closes the connection with 1013. A paused connection whose handler is stuck
   * is still ended by `idleTimeout` (1001) and the heartbeat.
   */
  inboundOverflow?: 'pause' | 'close';
  /**
   * Seconds a close the server starts (`idleTimeout`, `app.stop()`, `caller.close()` without a
   * timeout, a returned `CloseFrame`) waits for the client's close frame before the socket is
   * terminated (default 30, the wait `ws` has always had).
   */
  connectionClosureTimeout?: number;
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
  /**
   * A principal with `expiresAt` (a JWT's `exp`): `'close'` (default) closes the connection with
   * 1008 `token expired` then, unless the client refreshed its token; `'ignore'` keeps it open.
   */
  tokenExpiry?: 'close' | 'ignore';
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
   * The reply to a bad message, or to a typed message refused by `scopes` or a `rateLimit`
   * (an `AuthorizationError` or `RateLimitError`); by default `{ [dispatcherKey]: 'error',
   * message, issues }`, with `code` (and `missingScopes`) for a refusal. Return `undefined` to
   * send nothing.
   */
  errorReply?(error: ErrorReplyCause): unknown;
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
  /**
   * Resumable sessions, for clients that ask (`createClient(contract, url, { resume: true })`):
   * a connection whose transport drops stays alive for `window` seconds, keeping its id,
   * instance, attributes, rooms and every message the client has not acknowledged, and a
   * reconnecting client takes it back with nothing lost or doubled. Off by default.
   *
   * @example
   * ```ts
   * @WebSocketService({ contract: chat, resume: { window: 30, maxBufferedMessages: 1000, maxBufferedBytes: 1048576 } })
   * ```
   */
  resume?: ResumeConfig;
  /**
   * How fast one client may send this service's messages (text, binary, `@OnMessage`): a token
   * bucket per connection, principal or address, checked before the handler's own `rateLimit`.
   * Off by default.
   *
   * @example
   * ```ts
   * @WebSocketService({ path: '/chat', rateLimit: { messages: 20, per: 1, burst: 40, onExceed: 'error' } })
   * ```
   */
  rateLimit?: RateLimit;
  /**
   * permessage-deflate (RFC 7692), off by default: `true` for the defaults, or settings (see
   * `CompressionOptions`). Messages under `threshold` bytes (default 1024) still go out
   * uncompressed; `maxFrameSize` limits a message's size once inflated. A client whose offer
   * cannot be accepted is served without compression, never refused.
   *
   * @example
   * ```ts
   * @WebSocketService({ path: '/feed', compression: { threshold: 512, serverNoContextTakeover: true } })
   * ```
   */
  compression?: Compression;
  /**
   * Sends this service's connections the presence of the rooms they are in, as contract
   * events: `$presence_state` (`{ room, presences }`) when a connection joins a room, then
   * `$presence_diff` (`{ room, joins, leaves }`) at each change (docs/cluster.md). Off by default.
   */
  presenceEvents?: boolean;
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
  readonly inboundOverflow: 'pause' | 'close';
  readonly connectionClosureTimeout: number;
  readonly allowedOrigins: readonly string[] | undefined;
  readonly tokenExpiry: 'close' | 'ignore';
  readonly dispatcherKey: string;
  readonly dispatcherStreamId: string | undefined;
  readonly onUnmatched: 'ignore' | 'error' | 'close';
  readonly onInvalidMessage: 'reply' | 'close';
  readonly errorReply: ((error: ErrorReplyCause) => unknown) | undefined;
  readonly maxBufferedBytes: number;
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  readonly drainTimeout: number;
  readonly maxFragments: number;
  readonly pingInterval: number;
  readonly pongTimeout: number;
  readonly contract: AnyContract | undefined;
  readonly keepAlive: number;
  /** Undefined when the service does not offer resumable sessions. */
  readonly resume: ResolvedResumeConfig | undefined;
  /** Undefined when the service does not offer permessage-deflate. */
  readonly compression: ResolvedCompression | undefined;
  /** Undefined when the service has no `rateLimit`. */
  readonly rateLimit: ResolvedRateLimit | undefined;
  readonly presenceEvents: boolean;
}

export const DEFAULT_LISTENER = 'default';
export const DEFAULT_MAX_FRAME_SIZE = 65536;
export const DEFAULT_MAX_PENDING_MESSAGES = 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
export const DEFAULT_DRAIN_TIMEOUT = 10;
export const DEFAULT_CONNECTION_CLOSURE_TIMEOUT = 30;

/** The default `maxFragments` for a `maxFrameSize`: one fragment per 512 bytes, at least 64. */
export function defaultMaxFragments(maxFrameSize: number): number {
  return Math.max(64, Math.ceil(maxFrameSize / 512));
}

// A path: starts with '/', no query, fragment, white space or empty inner segment.
const PATH_SEGMENT = /^(?::[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9\-._~!$&'()*+,;=@%]+)$/;

/**
 * Validates a raw `@WebSocketService` argument for `serviceName`; every error names the
 * service class and the field.
 */
export function resolveServiceConfig(serviceName: string, raw: unknown): ResolvedServiceConfig {
  const error: ConfigErrorFactory = (field, problem) => new ServiceConfigError(serviceName, field, problem);
  const fail = (field: string, problem: string): never => {
    throw error(field, problem);
  };
  if (raw === null || typeof raw !== 'object') {
    return fail('config', 'must be an object given to @WebSocketService');
  }
  const config = raw as Partial<WebSocketServiceConfig>;
  const maxFrameSize = bytes(error, 'maxFrameSize', config.maxFrameSize, DEFAULT_MAX_FRAME_SIZE);
  const contract = validateContract(config.contract, fail);
  return Object.freeze({
    path: validatePath(fromContract('path', config.path, contract?.path, fail), fail),
    subProtocols: tokenList(error, 'subProtocols', config.subProtocols),
    idleTimeout: seconds(error, 'idleTimeout', config.idleTimeout, 0, 'zero allowed'),
    maxFrameSize,
    listener: nonEmptyString(error, 'listener', config.listener, DEFAULT_LISTENER),
    scope: choice(error, 'scope', config.scope, ['connection', 'singleton'] as const),
    tokenExpiry: choice(error, 'tokenExpiry', config.tokenExpiry, ['close', 'ignore'] as const),
    maxPendingMessages: count(error, 'maxPendingMessages', config.maxPendingMessages, DEFAULT_MAX_PENDING_MESSAGES),
    inboundOverflow: choice(error, 'inboundOverflow', config.inboundOverflow, ['pause', 'close'] as const),
    connectionClosureTimeout: seconds(
      error,
      'connectionClosureTimeout',
      config.connectionClosureTimeout,
      DEFAULT_CONNECTION_CLOSURE_TIMEOUT,
      'positive',
    ),
    allowedOrigins: validateAllowedOrigins(config.allowedOrigins, fail),
    dispatcherKey: validateFieldName('dispatcherKey', fromContract('dispatcherKey', config.dispatcherKey, contract?.dispatcherKey, fail), fail) ?? 'type',
    dispatcherStreamId: validateFieldName(
      'dispatcherStreamId',
      fromContract('dispatcherStreamId', config.dispatcherStreamId, contract?.correlationKey, fail),
      fail,
    ),
    onUnmatched: choice(error, 'onUnmatched', config.onUnmatched, ['ignore', 'error', 'close'] as const),
    onInvalidMessage: choice(error, 'onInvalidMessage', config.onInvalidMessage, ['reply', 'close'] as const),
    errorReply: validateFunction<(error: ErrorReplyCause) => unknown>('errorReply', config.errorReply, fail),
    maxBufferedBytes: bytes(error, 'maxBufferedBytes', config.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES),
    slowConsumerPolicy: choice(error, 'slowConsumerPolicy', config.slowConsumerPolicy, ['close', 'drop', 'wait'] as const),
    drainTimeout: seconds(error, 'drainTimeout', config.drainTimeout, DEFAULT_DRAIN_TIMEOUT, 'zero allowed'),
    maxFragments: count(error, 'maxFragments', config.maxFragments, defaultMaxFragments(maxFrameSize)),
    pingInterval: seconds(error, 'pingInterval', config.pingInterval, 0, 'zero allowed'),
    pongTimeout: seconds(error, 'pongTimeout', config.pongTimeout, config.pingInterval ?? 0, 'zero allowed'),
    contract,
    keepAlive: seconds(error, 'keepAlive', config.keepAlive, 0, 'zero allowed'),
    resume: validateResume(config.resume, error),
    compression: resolveCompression(error, 'compression', config.compression),
    rateLimit: resolveRateLimit(error, 'rateLimit', config.rateLimit),
    presenceEvents: flag(config.presenceEvents, 'presenceEvents', fail),
  });
}


// A contract is made by defineContract (frozen, keys filled in); the shape is checked so a
// hand-written object fails here, naming the field, rather than at the first message.
function validateContract(value: unknown, fail: Fail): AnyContract | undefined {
  if (value === undefined) return undefined;
  const contract = value as Partial<AnyContract> | null;
  const tables = ['requests', 'messages', 'events'] as const;
  if (
    contract === null ||
    typeof contract !== 'object' ||
    typeof contract.path !== 'string' ||
    typeof contract.dispatcherKey !== 'string' ||
    typeof contract.correlationKey !== 'string' ||
    !tables.every((table) => typeof contract[table] === 'object' && contract[table] !== null)
  ) {
    return fail('contract', 'must be a contract made by defineContract() from @duet/contract');
  }
  return contract as AnyContract;
}

// A field the contract gives may be repeated in the service config, but not contradicted.
function fromContract<T>(field: string, own: T | undefined, given: T | undefined, fail: Fail): T | undefined {
  if (given === undefined) return own;
  if (own !== undefined && own !== given) {
    return fail(field, `is '${String(own)}' but the contract says '${String(given)}': leave it out, the contract gives it`);
  }
  return given;
}

function validateFieldName(field: string, value: unknown, fail: Fail): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') return fail(field, 'must be a non-empty field name');
  return value;
}

function flag(value: unknown, field: string, fail: Fail): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') return fail(field, `must be true or false, got ${typeof value}`);
  return value;
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
