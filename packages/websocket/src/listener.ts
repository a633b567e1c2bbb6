// One HTTP(S) server per listener, shared by every service on it (or an app's own server, on
// which Duet handles only its paths). The upgrade starts here:
//   HTTP 'upgrade' → path match → limits (URI length, connections) → what ws would refuse
//   (method, key, version…) → the service's endpoint.
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES, createServer } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Connection } from './connection';
import { ListenError } from './errors';
import { handshakeRefusal } from './handshake-check';
import type { Logger } from './logger';
import type { WebSocketObserver } from './monitoring/observer';
import type { ResolvedListenerConfig } from './listener-config';
import { PathMatcher } from './path-matcher';
import type { ConnectionRegistry } from './registry/connection-registry';
import type { BoundService } from './service-binding';
import { type EndpointHost, ServiceEndpoint } from './service-endpoint';
import { MAX_TIMER_MS } from './timer-limits';
import { refuseUpgrade } from './upgrade-refusal';

export class Listener implements EndpointHost {
  private readonly endpoints: ServiceEndpoint[] = [];
  readonly handshakeTimeout: number;
  private readonly routes: PathMatcher<ServiceEndpoint>;
  private readonly http: Server;
  private readonly shared: boolean;
  private upgrading = 0;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    this.upgrade(request, socket, head);
  private readonly onRequest = (request: IncomingMessage, response: ServerResponse) =>
    this.answerPlainRequest(request, response);

  constructor(
    readonly name: string,
    private readonly config: ResolvedListenerConfig,
    routes: PathMatcher<BoundService>,
    readonly logger: Logger,
    readonly registry: ConnectionRegistry,
    readonly observer: WebSocketObserver | undefined,
  ) {
    this.handshakeTimeout = config.handshakeTimeout;
    this.routes = routes.map((table) => {
      const endpoint = new ServiceEndpoint(table, this);
      this.endpoints.push(endpoint);
      return endpoint;
    });
    this.shared = config.server !== undefined;
    this.http = config.server ?? this.createOwnServer();
    this.http.on('upgrade', this.onUpgrade);
    if (!this.shared) this.http.on('request', this.onRequest);
  }

  /** Binds the port (not for a shared server, which its app binds); rejects with `ListenError`. */
  listen(): Promise<void> {
    if (this.shared) return Promise.resolve();
    const { port, host } = this.config;
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(new ListenError(this.name, port ?? 0, host, error));
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        this.http.on('error', (error) => this.logger.error('listener error', { listener: this.name, error }));
        resolve();
      });
    });
  }

  /** The bound port (the real one when the listener was declared with port 0). */
  get port(): number {
    const address = this.http.address();
    return typeof address === 'object' && address !== null ? address.port : (this.config.port ?? 0);
  }

  upgradeStarted(): void {
    this.upgrading++;
  }

  upgradeEnded(): void {
    this.upgrading--;
  }

  /** Open connections on this listener. */
  get connectionCount(): number {
    // Counted where connections are entered (the registry's set of each service), not twice.
    let count = 0;
    for (const endpoint of this.endpoints) count += endpoint.connections.size;
    return count;
  }

  /**
   * Stops accepting; lets each connection finish the handlers in flight, then closes it with
   * `statusCode` and waits for its close handshake and `@OnClose` — all before `timeoutMs`,
   * when what is left is terminated.
   */
  async close(statusCode: number, reason: string, timeoutMs: number): Promise<void> {
    this.http.off('upgrade', this.onUpgrade);
    for (const endpoint of this.endpoints) endpoint.stop();
    const serverClosed = this.shared ? Promise.resolve() : this.closeOwnServer();
    const deadline = Date.now() + timeoutMs;
    let expire: NodeJS.Timeout | undefined;
    // A grace of 100 ms past the deadline, never past the longest delay a timer holds.
    const expired = new Promise<void>((resolve) => (expire = setTimeout(resolve, Math.min(timeoutMs + 100, MAX_TIMER_MS))));
    const closing = Promise.all(
      this.endpoints.flatMap((endpoint) => [...endpoint.connections]).map(async (connection) => {
        await Promise.race([connection.whenIdle(), expired]);
        await connection.closeWithin(statusCode, reason, Math.max(deadline - Date.now(), 0));
        await connection.whenFinished();
      }),
    );
    // A handler that never settles must not hold stop forever.
    await Promise.race([closing, expired]);
    clearTimeout(expire);
    if (!this.shared) this.http.closeAllConnections();
    await serverClosed;
  }

  private createOwnServer(): Server {
    const { tls, maxHeaderSize, handshakeTimeout } = this.config;
    const options = {
      maxHeaderSize,
      // A client that trickles its request headers is answered 408 and dropped after this.
      headersTimeout: handshakeTimeout * 1000,
      requestTimeout: handshakeTimeout * 1000,
      connectionsCheckingInterval: Math.min(1000, handshakeTimeout * 500),
    };
    // The TLS handshake has the same deadline (Node's default is 120 s).
    const server =
      tls === undefined ? createServer(options) : createSecureServer({ ...tls, ...options, handshakeTimeout: handshakeTimeout * 1000 });
    if (tls !== undefined) {
      // A failed TLS handshake is the peer's problem; it must not reach the process. With a
      // listener here Node leaves the socket open (a timed-out one for ever): close it.
      server.on('tlsClientError', (error: Error, socket: Duplex) => {
        this.logger.debug('TLS handshake failed', { listener: this.name, error });
        socket.destroy();
      });
    }
    return server as Server;
  }

  private closeOwnServer(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.http.listening) resolve();
      else this.http.close(() => resolve());
    });
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = request.url ?? '/';
    const match = this.routes.match(url);
    if (match === undefined) {
      // On an app's own server another upgrade listener may own this path.
      if (!this.shared || this.http.listenerCount('upgrade') === 1) this.refuse(socket, request, 404);
      return;
    }
    if (url.length > this.config.maxUriLength) return this.refuse(socket, request, 414);
    if (this.connectionCount + this.upgrading >= this.config.maxConnections) {
      return this.refuse(socket, request, 503, 'Too many connections', { 'Retry-After': '5' });
    }
    // What ws would refuse is refused before any check or hook runs.
    const invalid = handshakeRefusal(request);
    if (invalid !== undefined) return this.refuse(socket, request, invalid.status, invalid.body, invalid.headers);
    const tlsSocket = socket as Duplex & { encrypted?: boolean; authorized?: boolean; getPeerCertificate?: () => object };
    if (tlsSocket.encrypted && this.config.tls?.requestCert && !tlsSocket.authorized && hasCertificate(tlsSocket)) {
      // mutualSsl 'optional': no certificate is fine, a certificate that does not verify is not.
      return this.refuse(socket, request, 401, 'Client certificate not trusted');
    }
    match.value.admit(request, socket, head, match.params);
  }

  refuse(
    socket: Duplex,
    request: IncomingMessage,
    status: number,
    body?: string,
    headers?: Readonly<Record<string, string>>,
  ): void {
    if (this.observer !== undefined) this.observer.upgradeRefused?.(pathOf(request.url ?? '/'), status);
    refuseUpgrade(socket, status, body, headers);
  }

  private answerPlainRequest(request: IncomingMessage, response: ServerResponse): void {
    if (this.config.onRequest !== undefined) {
      this.config.onRequest(request, response);
      return;
    }
    // A plain HTTP request: the path of a service wants an upgrade, any other path is unknown.
    const status = this.routes.match(request.url ?? '/') === undefined ? 404 : 426;
    const headers: Record<string, string> = { 'Content-Type': 'text/plain', Connection: 'close' };
    if (status === 426) headers.Upgrade = 'websocket';
    response.writeHead(status, headers).end(`${STATUS_CODES[status]}\n`);
  }
}

function pathOf(url: string): string {
  const queryAt = url.indexOf('?');
  return queryAt === -1 ? url : url.slice(0, queryAt);
}

function hasCertificate(socket: { getPeerCertificate?: () => object }): boolean {
  const certificate = socket.getPeerCertificate?.();
  return certificate !== undefined && Object.keys(certificate).length > 0;
}
