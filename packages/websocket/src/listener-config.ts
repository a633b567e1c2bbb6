// What a listener accepts in `webSocketModule({ listeners })`, its safe defaults, and the
// start-time validation (ListenerConfigError / TlsConfigError, naming the listener and field).
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer, ServerOptions as TlsServerOptions } from 'node:https';
import { ListenerConfigError } from './errors';
import { type SecureSocketConfig, buildTlsOptions } from './security/tls';
import { type ConfigErrorFactory, bytes, count, seconds } from './validate';

/**
 * A listener: its own port (`port` 0 picks a free one; no `host` = all interfaces), or an
 * existing `server` whose app keeps every request and upgrade that is not for a Duet path.
 */
export interface ListenerConfig {
  port?: number;
  host?: string;
  /** Share an app's HTTP(S) server instead of opening a port. */
  server?: HttpServer | HttpsServer;
  /** TLS (wss) for a listener with its own port. */
  secureSocket?: SecureSocketConfig;
  /** Open connections (and upgrades in progress) allowed; more are answered 503. Default 10000. */
  maxConnections?: number;
  /**
   * Open connections and upgrades in progress allowed from one peer address; more are answered
   * 429 with `Retry-After`. Default: unlimited. Behind a proxy every client has the proxy's
   * address: leave it unset there and limit at the proxy.
   */
  maxConnectionsPerIp?: number;
  /**
   * Seconds a client may take for its TLS handshake (wss), to send its upgrade request, and
   * the upgrade checks (authentication, `@OnUpgrade`) may take. Default 10; at most 2147483.
   */
  handshakeTimeout?: number;
  /** Largest request head in bytes; larger is answered 431. Default 16384 (Node's). */
  maxHeaderSize?: number;
  /** Longest request target in bytes; longer is answered 414. Default 8192. */
  maxUriLength?: number;
  /**
   * Plain HTTP requests (not upgrades) on a listener with its own port: health checks, a
   * `/metrics` endpoint… Without it they are answered 426 on a service path, 404 elsewhere.
   */
  onRequest?: (request: IncomingMessage, response: ServerResponse) => void;
  /**
   * A fetch-style HTTP app sharing the port (Hono's `app.fetch`, or any `(request) => Response`),
   * on both engines: every request that is not an upgrade goes to it; upgrades are Duet's.
   *
   * @example
   * ```ts
   * webSocketModule({
   *   listeners: { default: { port: 8080, fetch: (request) => new Response(`hello ${new URL(request.url).pathname}`) } },
   *   services: [ChatService],
   * });
   * ```
   */
  fetch?: (request: Request) => Response | Promise<Response>;
}

export interface ResolvedListenerConfig {
  readonly port: number | undefined;
  readonly host: string | undefined;
  readonly server: HttpServer | undefined;
  readonly tls: TlsServerOptions | undefined;
  readonly maxConnections: number;
  /** `undefined`: unlimited. */
  readonly maxConnectionsPerIp: number | undefined;
  readonly handshakeTimeout: number;
  readonly maxHeaderSize: number;
  readonly maxUriLength: number;
  readonly onRequest: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  readonly fetch: ((request: Request) => Response | Promise<Response>) | undefined;
}

export const DEFAULT_MAX_CONNECTIONS = 10000;
export const DEFAULT_HANDSHAKE_TIMEOUT = 10;
export const DEFAULT_MAX_HEADER_SIZE = 16384;
export const DEFAULT_MAX_URI_LENGTH = 8192;

export function resolveListenerConfig(name: string, raw: unknown): ResolvedListenerConfig {
  if (raw === null || typeof raw !== 'object') {
    throw new ListenerConfigError(name, 'config', 'must be { port, host? } or { server }');
  }
  const config = raw as ListenerConfig;
  const error: ConfigErrorFactory = (field, problem) => new ListenerConfigError(name, field, problem);
  const hasServer = config.server !== undefined;
  if (hasServer === (config.port !== undefined)) {
    throw new ListenerConfigError(name, 'port', "give exactly one of 'port' and 'server'");
  }
  if (hasServer && typeof (config.server as { on?: unknown }).on !== 'function') {
    throw new ListenerConfigError(name, 'server', 'must be a node:http or node:https server');
  }
  if (!hasServer) count(error, 'port', config.port, 0, 0, 65535);
  if (config.host !== undefined && (typeof config.host !== 'string' || config.host === '')) {
    throw new ListenerConfigError(name, 'host', 'must be a non-empty string');
  }
  if (hasServer && config.secureSocket !== undefined) {
    throw new ListenerConfigError(name, 'secureSocket', "belongs to the shared server's own options");
  }
  return Object.freeze({
    port: config.port,
    host: config.host,
    server: config.server as HttpServer | undefined,
    tls: config.secureSocket === undefined ? undefined : buildTlsOptions(name, config.secureSocket),
    maxConnections: count(error, 'maxConnections', config.maxConnections, DEFAULT_MAX_CONNECTIONS),
    maxConnectionsPerIp:
      config.maxConnectionsPerIp === undefined ? undefined : count(error, 'maxConnectionsPerIp', config.maxConnectionsPerIp, 0),
    handshakeTimeout: seconds(error, 'handshakeTimeout', config.handshakeTimeout, DEFAULT_HANDSHAKE_TIMEOUT, 'positive'),
    maxHeaderSize: bytes(error, 'maxHeaderSize', config.maxHeaderSize, DEFAULT_MAX_HEADER_SIZE),
    maxUriLength: bytes(error, 'maxUriLength', config.maxUriLength, DEFAULT_MAX_URI_LENGTH),
    onRequest: requestHandler(name, config.onRequest, hasServer),
    fetch: fetchHandler(name, config.fetch, hasServer, config.onRequest !== undefined),
  });
}

function requestHandler(name: string, value: unknown, shared: boolean): ResolvedListenerConfig['onRequest'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ListenerConfigError(name, 'onRequest', 'must be a function (request, response)');
  if (shared) throw new ListenerConfigError(name, 'onRequest', "belongs to the shared server's app");
  return value as ResolvedListenerConfig['onRequest'];
}

function fetchHandler(name: string, value: unknown, shared: boolean, hasOnRequest: boolean): ResolvedListenerConfig['fetch'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ListenerConfigError(name, 'fetch', 'must be a function (request) => Response');
  if (shared) throw new ListenerConfigError(name, 'fetch', "belongs to the shared server's app");
  if (hasOnRequest) throw new ListenerConfigError(name, 'fetch', "give either 'onRequest' or 'fetch', not both");
  return value as ResolvedListenerConfig['fetch'];
}
