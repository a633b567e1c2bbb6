// The server of a listener on Node: a node:http(s) server of its own (or an app's, on which
// Duet takes only its paths) whose 'upgrade' events become `PendingUpgrade`s for the upgrade
// line, and whose handshakes ws completes (ws-transport.ts). Refusals are written on the raw
// socket (upgrade-refusal.ts).
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES, createServer } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ResolvedListenerConfig } from '../listener-config';
import { WS_VERSIONS } from '../handshake-check';
import type { Logger } from '../logger';
import { refuseUpgrade } from '../upgrade-refusal';
import { answerWithFetch } from './fetch-bridge';
import type { EngineOptions, ListenerServer, PendingUpgrade, TransportEngine, UpgradeLine } from './transport';
import { WsEngine } from './ws-transport';

export class NodeListenerServer implements ListenerServer {
  private readonly http: Server;
  private readonly shared: boolean;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    this.line.upgrade(new NodeUpgrade(request, socket, head, this));
  private readonly onRequest = (request: IncomingMessage, response: ServerResponse) =>
    this.answerPlainRequest(request, response);

  constructor(
    private readonly line: UpgradeLine,
    private readonly config: ResolvedListenerConfig,
    private readonly logger: Logger,
  ) {
    this.shared = config.server !== undefined;
    this.http = config.server ?? this.createOwnServer();
    this.http.on('upgrade', this.onUpgrade);
    if (!this.shared) this.http.on('request', this.onRequest);
  }

  /** Binds the port (not for a shared server, which its app binds). */
  listen(): Promise<void> {
    if (this.shared) return Promise.resolve();
    const { port, host } = this.config;
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        this.http.on('error', (error) => this.logger.error('listener error', { listener: this.line.name, error }));
        resolve();
      });
    });
  }

  get port(): number {
    const address = this.http.address();
    return typeof address === 'object' && address !== null ? address.port : (this.config.port ?? 0);
  }

  readonly versions = WS_VERSIONS;

  engineFor(options: EngineOptions): TransportEngine {
    return new WsEngine(options);
  }

  /** Whether an app's other upgrade handlers may take a path no service serves. */
  get othersMayServe(): boolean {
    return this.shared && this.http.listenerCount('upgrade') > 1;
  }

  /** Whether a client's certificate must verify when it presents one (mutual TLS). */
  get checksCertificates(): boolean {
    return this.config.tls?.requestCert === true;
  }

  stopAccepting(): Promise<void> {
    this.http.off('upgrade', this.onUpgrade);
    if (this.shared) return Promise.resolve();
    return new Promise((resolve) => {
      if (!this.http.listening) resolve();
      else this.http.close(() => resolve());
    });
  }

  closeAll(): void {
    if (!this.shared) this.http.closeAllConnections();
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
        this.logger.debug('TLS handshake failed', { listener: this.line.name, error });
        socket.destroy();
      });
    }
    return server as Server;
  }

  private answerPlainRequest(request: IncomingMessage, response: ServerResponse): void {
    if (this.config.onRequest !== undefined) {
      this.config.onRequest(request, response);
      return;
    }
    if (this.config.fetch !== undefined) {
      void answerWithFetch(this.config.fetch, request, response, this.config.tls !== undefined, this.logger);
      return;
    }
    const status = this.line.plainRequestStatus(request.url ?? '/');
    const headers: Record<string, string> = { 'Content-Type': 'text/plain', Connection: 'close' };
    if (status === 426) headers.Upgrade = 'websocket';
    response.writeHead(status, headers).end(`${STATUS_CODES[status]}\n`);
  }
}

/** An upgrade request on node:http: the request, its raw socket and what was read past the head. */
export class NodeUpgrade implements PendingUpgrade {
  readonly method: string;
  readonly url: string;

  constructor(
    readonly request: IncomingMessage,
    readonly stream: Duplex,
    readonly head: Buffer,
    private readonly server: NodeListenerServer,
  ) {
    this.method = request.method ?? 'GET';
    this.url = request.url ?? '/';
  }

  get headers(): IncomingMessage['headers'] {
    return this.request.headers;
  }

  get socket(): TLSSocket {
    return this.request.socket as TLSSocket;
  }

  get gone(): boolean {
    return this.stream.destroyed;
  }

  get othersMayServe(): boolean {
    return this.server.othersMayServe;
  }

  get untrustedCertificate(): boolean {
    const socket = this.stream as Duplex & { encrypted?: boolean; authorized?: boolean; getPeerCertificate?: () => object };
    // mutualSsl 'optional': no certificate is fine, a certificate that does not verify is not.
    return socket.encrypted === true && this.server.checksCertificates && !socket.authorized && hasCertificate(socket);
  }

  watchClient(onLeft: () => void): () => void {
    const stream = this.stream;
    // A half-closed client cannot take a handshake (ws would destroy it): it has left too.
    const onEnded = () => stream.destroy();
    // Until ws takes the socket, its errors (a client that left) are ours to absorb.
    stream.on('error', ignore);
    stream.once('close', onLeft);
    stream.once('end', onEnded);
    return () => {
      stream.off('close', onLeft);
      stream.off('end', onEnded);
      stream.off('error', ignore);
    };
  }

  onEnded(callback: () => void): void {
    // ws keeps the raw socket for the WebSocket: its close ends a refusal and a connection alike.
    if (this.stream.destroyed) callback();
    else this.stream.once('close', callback);
  }

  refuse(status: number, body?: string, headers?: Readonly<Record<string, string>>): void {
    refuseUpgrade(this.stream, status, body, headers);
  }
}

function hasCertificate(socket: { getPeerCertificate?: () => object }): boolean {
  const certificate = socket.getPeerCertificate?.();
  return certificate !== undefined && Object.keys(certificate).length > 0;
}

function ignore(): void {}
