// One HTTP server per listener port, shared by every service on it. The upgrade travels one
// straight line here: HTTP 'upgrade' → path match → version check → service instance →
// handshake (sub-protocol, frame limit) → Connection.
import { type IncomingMessage, type Server, STATUS_CODES, type ServerResponse, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { Connection } from './connection';
import { ListenError } from './errors';
import { HandlerEvent } from './metadata';
import type { Logger } from './logger';
import type { ListenerConfig } from './module';
import { type PathMatch, PathMatcher } from './path-matcher';
import type { RoutingTable } from './routing-table';
import { selectSubProtocol } from './sub-protocol';

/** A service as a listener serves it: its routing table and its handshake engine. */
interface Endpoint {
  readonly table: RoutingTable;
  readonly server: WebSocketServer;
}

export class Listener {
  readonly connections = new Set<Connection>();
  private readonly routes = new PathMatcher<Endpoint>();
  private readonly http: Server;
  private readonly forgetConnection = (connection: Connection) => this.connections.delete(connection);

  constructor(
    readonly name: string,
    private readonly config: ListenerConfig,
    tables: readonly RoutingTable[],
    private readonly logger: Logger,
  ) {
    for (const table of tables) this.routes.add(table.config.path, createEndpoint(table));
    this.http = createServer();
    this.http.on('request', (request: IncomingMessage, response: ServerResponse) => this.onRequest(request, response));
    this.http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(request, socket, head),
    );
  }

  /** Binds the port; rejects with `ListenError` (port in use, bad host…). */
  listen(): Promise<void> {
    const { port, host } = this.config;
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(new ListenError(this.name, port, host, error));
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
    return typeof address === 'object' && address !== null ? address.port : this.config.port;
  }

  /** Stops accepting, closes every connection with `statusCode`, resolves when all are gone. */
  async close(statusCode: number, reason: string, timeoutMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if (!this.http.listening) resolve();
      else this.http.close(() => resolve());
    });
    const connections = [...this.connections];
    const closing = Promise.all(
      connections.map((connection) =>
        connection.closeWithin(statusCode, reason, timeoutMs).then(() => connection.whenFinished()),
      ),
    );
    // Sockets are terminated at the deadline; a handler that never settles must not hold stop forever.
    let deadline: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => (deadline = setTimeout(resolve, timeoutMs + 100)));
    await Promise.race([closing, expired]);
    clearTimeout(deadline);
    this.http.closeAllConnections();
    await closed;
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    // A plain HTTP request: the path of a service wants an upgrade, any other path is unknown.
    const status = this.routes.match(request.url ?? '/') === undefined ? 404 : 426;
    const headers: Record<string, string> = { 'Content-Type': 'text/plain', Connection: 'close' };
    if (status === 426) headers.Upgrade = 'websocket';
    response.writeHead(status, headers).end(`${STATUS_CODES[status]}\n`);
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const match = this.routes.match(request.url ?? '/');
    if (match === undefined) return refuse(socket, 404);
    if (!isSupportedVersion(request.headers['sec-websocket-version'])) {
      return refuse(socket, 426, { 'Sec-WebSocket-Version': '13' });
    }
    let instance: object;
    try {
      instance = match.value.table.instanceForConnection();
    } catch (error) {
      this.logger.error('could not create the service instance for a connection', {
        service: match.value.table.serviceName,
        error,
      });
      return refuse(socket, 500);
    }
    match.value.server.handleUpgrade(request, socket, head, (ws: WebSocket) =>
      this.accept(ws, request, match, instance),
    );
  }

  private accept(ws: WebSocket, request: IncomingMessage, match: PathMatch<Endpoint>, instance: object): void {
    const connection = new Connection(ws, {
      table: match.value.table,
      instance,
      request,
      params: match.params,
      logger: this.logger,
      onClosed: this.forgetConnection,
    });
    if (connection.closeCode === undefined) this.connections.add(connection);
  }
}

function createEndpoint(table: RoutingTable): Endpoint {
  const supported = table.supportedSubProtocols;
  const server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: table.config.maxFrameSize,
    // With @OnPing the service answers pings itself.
    autoPong: table.handlers[HandlerEvent.Ping] === undefined,
    // Always given: without it ws would pick the client's first offer even when unsupported.
    handleProtocols: (offered: Set<string>) => selectSubProtocol(offered, supported),
  });
  return { table, server };
}

// RFC 6455 §4.2.2: a version the server does not speak is answered with 426 and the versions it does.
function isSupportedVersion(version: string | undefined): boolean {
  return version === undefined || version === '13' || version === '8';
}

function refuse(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  const body = `${STATUS_CODES[status] ?? 'Error'}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.on('error', () => {}); // the peer may already be gone; nothing more to tell it
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
