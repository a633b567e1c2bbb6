// What `WebSocketClient.connect` accepts, its defaults, and the validation that turns it
// into a frozen configuration once per client, so nothing is checked again per message or
// per reconnect. Every error is a ClientConfigError naming the option.
import type { SecureContextOptions } from 'node:tls';
import { type Compression, type ResolvedCompression, resolveCompression } from '../compression';
import { ClientConfigError } from './client-errors';
import { type ResolvedRetryConfig, type RetryConfig, resolveRetryConfig } from './retry';
import { type ClientSecureSocket, resolveSecureSocket } from './secure-socket';
import { type ConfigErrorFactory, TOKEN, bytes, count, seconds, tokenList } from '../validate';
import type { WebSocketClient } from './websocket-client';

/** Credentials sent with the handshake: `{ username, password }` as Basic, `{ token }` as Bearer. */
/** Response headers of the handshake, names in lower case. */
export type HttpHeaders = Readonly<Record<string, string | readonly string[]>>;

export type ClientAuth = { username: string; password: string } | { token: string };

/**
 * Ping and pong hooks. Without `onPing` every ping is answered with a pong automatically;
 * with it there is no automatic pong, and a `Buffer` (or `Uint8Array`) it returns, or
 * resolves to, is sent as the pong. A hook that throws closes the connection with 1011.
 */
export interface PingPongHandler {
  onPing?(client: WebSocketClient, data: Buffer): Buffer | Uint8Array | void | Promise<Buffer | Uint8Array | void>;
  onPong?(client: WebSocketClient, data: Buffer): void | Promise<void>;
}

/** The second argument of `WebSocketClient.connect`. Times are in seconds (fractions allowed). */
export interface WebSocketClientConfig {
  /** Sub-protocols offered, most preferred first; see `getNegotiatedSubProtocol()`. */
  subProtocols?: string[];
  /** Extra handshake headers. Headers the handshake itself owns (`Sec-WebSocket-*`, `Upgrade`…) are refused. */
  customHeaders?: Record<string, string>;
  /** Cookies by name, sent as one `Cookie` header. */
  cookies?: Record<string, string>;
  /**
   * Seconds the opening handshake may take, per attempt (default 30): a deadline from the start
   * of the attempt that covers connecting, TLS and the whole HTTP answer, however slowly it comes.
   */
  handshakeTimeout?: number;
  /** Seconds a read may wait for a message before it rejects with `ReadTimeoutError` (default: no limit). */
  readTimeout?: number;
  /** Seconds a write may take to reach the operating system before it rejects with `WriteTimeoutError` (default: no limit). */
  writeTimeout?: number;
  /**
   * Largest message accepted, in bytes (default 65536). A larger one fails the connection: it
   * is closed with 1009 and reads reject with `ConnectionClosedError` 1009; it is not reconnected.
   */
  maxFrameSize?: number;
  /**
   * Received messages kept for reads that have not been made yet (default 1024). When the
   * queue holds this many, or `maxQueuedBytes`, the client stops reading from the socket and
   * TCP flow control holds the sender back until reads catch up.
   */
  maxQueuedMessages?: number;
  /** Bytes of received, unread messages that stop reading from the socket (default 4 MiB; text counts UTF-16 code units). */
  maxQueuedBytes?: number;
  /** TLS settings for `wss://` URLs. */
  secureSocket?: ClientSecureSocket;
  /** Sends an `Authorization` header with the handshake. */
  auth?: ClientAuth;
  /**
   * Retry failed connects, and reconnect after an abnormal drop (1006: the TCP connection ended
   * without a close frame) or a close frame with 1001 (going away), 1012 (service restart) or
   * 1013 (try again later). Any other close code from the server, a protocol error the client
   * detected (1002, 1007, 1009) or `close()` is never reconnected. Without it, nothing is retried.
   */
  retryConfig?: RetryConfig;
  pingPongHandler?: PingPongHandler;
  /**
   * Offers permessage-deflate (RFC 7692), off by default: `true` for the defaults, or settings
   * (see `CompressionOptions`: here `clientMaxWindowBits` is offered, `serverNoContextTakeover`
   * and `serverMaxWindowBits` requested). Messages under `threshold` bytes are sent uncompressed.
   */
  compression?: Compression;
}

/** A validated client configuration with every default applied. */
export interface ResolvedClientConfig {
  readonly url: string;
  readonly secure: boolean;
  readonly subProtocols: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly handshakeTimeoutMs: number;
  /** In seconds, as given; 0 when there is none. */
  readonly readTimeout: number;
  readonly writeTimeout: number;
  readonly maxFrameSize: number;
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  readonly tls: Readonly<SecureContextOptions & { rejectUnauthorized: boolean }> | undefined;
  readonly retry: ResolvedRetryConfig | undefined;
  readonly pingPongHandler: PingPongHandler | undefined;
  /** Undefined when the client does not offer permessage-deflate. */
  readonly compression: ResolvedCompression | undefined;
}

/** The largest message a client accepts unless `maxFrameSize` says otherwise, in bytes. */
export const DEFAULT_CLIENT_MAX_FRAME_SIZE = 65536;
/** Seconds an opening handshake may take unless `handshakeTimeout` says otherwise. */
export const DEFAULT_CLIENT_HANDSHAKE_TIMEOUT = 30;
/** Unread messages at which the client stops reading from the socket, unless `maxQueuedMessages` says otherwise. */
export const DEFAULT_MAX_QUEUED_MESSAGES = 1024;
/** Unread bytes at which the client stops reading from the socket (4 MiB), unless `maxQueuedBytes` says otherwise. */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

// A header value: visible characters, spaces and tabs; never CR, LF or NUL.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// RFC 6265 cookie-octet: no spaces, quotes, commas, semicolons or backslashes.
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
// RFC 7235 token68, what a Bearer token is made of.
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
// Headers the WebSocket handshake sets itself; a custom value would break or fake it.
const HANDSHAKE_HEADERS = new Set([
  'connection',
  'upgrade',
  'host',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);

/** Validates `raw` for a connection to `url`; throws `ClientConfigError` naming the option. */
export function resolveClientConfig(url: unknown, raw: unknown): ResolvedClientConfig {
  const target = validateUrl(url);
  if (raw === undefined) raw = {};
  if (raw === null || typeof raw !== 'object') throw new ClientConfigError('config', 'must be an object');
  const config = raw as WebSocketClientConfig;
  const secure = target.protocol === 'wss:';
  if (!secure && config.secureSocket !== undefined) {
    throw new ClientConfigError('secureSocket', `applies to wss:// URLs only, and the URL is ${target.protocol}//`);
  }
  return Object.freeze({
    url: target.href,
    secure,
    subProtocols: tokenList(clientConfigError, 'subProtocols', config.subProtocols),
    headers: Object.freeze(buildHeaders(config)),
    handshakeTimeoutMs: seconds(clientConfigError, 'handshakeTimeout', config.handshakeTimeout, DEFAULT_CLIENT_HANDSHAKE_TIMEOUT, 'positive') * 1000,
    readTimeout: seconds(clientConfigError, 'readTimeout', config.readTimeout, 0, 'positive'),
    writeTimeout: seconds(clientConfigError, 'writeTimeout', config.writeTimeout, 0, 'positive'),
    maxFrameSize: bytes(clientConfigError, 'maxFrameSize', config.maxFrameSize, DEFAULT_CLIENT_MAX_FRAME_SIZE),
    maxQueuedMessages: count(clientConfigError, 'maxQueuedMessages', config.maxQueuedMessages, DEFAULT_MAX_QUEUED_MESSAGES),
    maxQueuedBytes: bytes(clientConfigError, 'maxQueuedBytes', config.maxQueuedBytes, DEFAULT_MAX_QUEUED_BYTES),
    tls: secure ? resolveSecureSocket(config.secureSocket) : undefined,
    retry: resolveRetryConfig(config.retryConfig),
    pingPongHandler: validatePingPongHandler(config.pingPongHandler),
    compression: resolveCompression(clientConfigError, 'compression', config.compression),
  });
}

function validateUrl(url: unknown): URL {
  if (typeof url !== 'string' && !(url instanceof URL)) throw new ClientConfigError('url', 'must be a string or URL');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ClientConfigError('url', `is not a valid URL: ${String(url)}`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new ClientConfigError('url', `must start with ws:// or wss://, got ${parsed.protocol}//`);
  }
  if (parsed.hash !== '') throw new ClientConfigError('url', 'must not have a fragment (#…)');
  return parsed;
}

function buildHeaders(config: WebSocketClientConfig): Record<string, string> {
  const headers: Record<string, string> = {};
  const names = new Set<string>();
  const custom = config.customHeaders;
  if (custom !== undefined) {
    if (custom === null || typeof custom !== 'object') throw new ClientConfigError('customHeaders', 'must be an object');
    for (const [name, value] of Object.entries(custom)) {
      const field = `customHeaders.${name}`;
      if (!TOKEN.test(name)) throw new ClientConfigError(field, 'is not a valid header name');
      if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
        throw new ClientConfigError(field, 'must be a string without line breaks');
      }
      const lower = name.toLowerCase();
      if (HANDSHAKE_HEADERS.has(lower)) throw new ClientConfigError(field, 'is set by the WebSocket handshake itself');
      if (names.has(lower)) throw new ClientConfigError(field, 'is given twice (header names ignore case)');
      names.add(lower);
      headers[name] = value;
    }
  }
  if (config.cookies !== undefined) {
    if (names.has('cookie')) throw new ClientConfigError('cookies', "conflicts with a 'Cookie' entry in customHeaders");
    headers.Cookie = cookieHeader(config.cookies);
  }
  if (config.auth !== undefined) {
    if (names.has('authorization')) {
      throw new ClientConfigError('auth', "conflicts with an 'Authorization' entry in customHeaders");
    }
    headers.Authorization = authorizationHeader(config.auth);
  }
  return headers;
}

function cookieHeader(cookies: unknown): string {
  if (cookies === null || typeof cookies !== 'object') throw new ClientConfigError('cookies', 'must be an object');
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(cookies)) {
    if (!TOKEN.test(name)) throw new ClientConfigError(`cookies.${name}`, 'is not a valid cookie name');
    if (typeof value !== 'string' || !COOKIE_VALUE.test(value)) {
      throw new ClientConfigError(
        `cookies.${name}`,
        'must be a string without spaces, quotes, commas, semicolons or backslashes (encode it first)',
      );
    }
    pairs.push(`${name}=${value}`);
  }
  if (pairs.length === 0) throw new ClientConfigError('cookies', 'is empty; leave it out instead');
  return pairs.join('; ');
}

function authorizationHeader(auth: unknown): string {
  if (auth !== null && typeof auth === 'object') {
    const { username, password, token } = auth as Partial<{ username: unknown; password: unknown; token: unknown }>;
    if (token !== undefined) {
      if (username !== undefined || password !== undefined) {
        throw new ClientConfigError('auth', 'takes either { token } or { username, password }, not both');
      }
      if (typeof token !== 'string' || !TOKEN68.test(token)) {
        throw new ClientConfigError('auth.token', 'must be a non-empty token of letters, digits and -._~+/ (then =)');
      }
      return `Bearer ${token}`;
    }
    if (typeof username === 'string' && typeof password === 'string') {
      // RFC 7617: the user-id cannot contain a colon, the first colon separates the password.
      if (username.includes(':')) throw new ClientConfigError('auth.username', "must not contain ':'");
      return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
    }
  }
  throw new ClientConfigError('auth', 'must be { username, password } (Basic) or { token } (Bearer)');
}

function validatePingPongHandler(value: unknown): PingPongHandler | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') {
    throw new ClientConfigError('pingPongHandler', 'must be an object with onPing and/or onPong');
  }
  const { onPing, onPong } = value as PingPongHandler;
  if (onPing !== undefined && typeof onPing !== 'function') {
    throw new ClientConfigError('pingPongHandler.onPing', 'must be a function');
  }
  if (onPong !== undefined && typeof onPong !== 'function') {
    throw new ClientConfigError('pingPongHandler.onPong', 'must be a function');
  }
  return value as PingPongHandler;
}

/** The client's error factory for the shared validators. */
export const clientConfigError: ConfigErrorFactory = (field, problem) => new ClientConfigError(field, problem);
