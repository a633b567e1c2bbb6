// The server of a listener on Bun: one `Bun.serve` whose `fetch` turns each upgrade request
// into a `PendingUpgrade` for the same upgrade line as Node (listener.ts, service-endpoint.ts)
// and answers it with what that line decides: a refusal `Response`, or `server.upgrade` with
// the socket's `BunTransport` as its data. Plain requests go to the listener's fetch-style app,
// or are answered 426 or 404.
import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedListenerConfig } from '../listener-config';
import { BUN_VERSIONS } from '../handshake-check';
import type { Logger } from '../logger';
import { refusalOf } from '../upgrade-refusal';
import { type BunTlsOptions, bunTlsOf } from './bun-tls';
import { type BunPerMessageDeflate, type BunServer, bunRuntime } from './bun-types';
import { type BunSocketOptions, BunTopics, bunSocketHandlers } from './bun-server-sockets';
import { BunTransport } from './bun-transport';
import type { EngineOptions, ListenerServer, PendingUpgrade, PeerSocket, Transport, TransportEngine, UpgradeLine } from './transport';

/** Bun.serve's longest HTTP idle timeout (seconds). */
const MAX_BUN_IDLE_TIMEOUT = 255;
/** The request head Bun itself accepts (its default --max-http-header-size); past it Bun answers 431. */
const BUN_MAX_HEADER_SIZE = 16384;

export class BunListenerServer implements ListenerServer {
  private server: BunServer | undefined;
  /** The largest maxFrameSize of the services on this server: Bun's limit is per server. */
  private maxPayload = 0;
  /** Bun's compressors, chosen by the first service with compression: Bun's setting is per server. */
  private perMessageDeflate: BunPerMessageDeflate | false = false;
  private stopped = false;
  /** Rooms and service broadcasts as topics of this server (Bun's pub/sub). */
  private readonly topics = new BunTopics();
  readonly versions = BUN_VERSIONS;

  constructor(
    private readonly line: UpgradeLine,
    private readonly config: ResolvedListenerConfig,
    private readonly logger: Logger,
  ) {}

  listen(): Promise<void> {
    const bun = bunRuntime();
    if (bun === undefined) return Promise.reject(new Error('the Bun engine needs the Bun runtime'));
    try {
      this.server = bun.serve<BunTransport>({
        port: this.config.port,
        hostname: this.config.host,
        // A silent client is dropped about handshakeTimeout later; unlike Node's request deadline,
        // Bun restarts this timer at every byte, so a trickling one is not (docs/engines.md).
        idleTimeout: Math.min(Math.ceil(this.config.handshakeTimeout) + 1, MAX_BUN_IDLE_TIMEOUT),
        // Start chose this engine only for TLS that bunTlsOf maps (engine.ts).
        tls: this.config.tls === undefined ? undefined : (bunTlsOf(this.config.tls) as BunTlsOptions),
        fetch: (request, server) => this.fetch(request, server),
        websocket: bunSocketHandlers(Math.max(this.maxPayload, 1), this.perMessageDeflate),
        error: (error) => {
          this.logger.error('listener error', { listener: this.line.name, error });
          return new Response('Internal Server Error\n', { status: 500 });
        },
      });
    } catch (error) {
      return Promise.reject(error);
    }
    this.topics.server = this.server;
    return Promise.resolve();
  }

  get port(): number {
    return this.server?.port ?? this.config.port ?? 0;
  }

  engineFor(options: EngineOptions): TransportEngine {
    this.maxPayload = Math.max(this.maxPayload, options.maxPayload);
    const { compression } = options;
    if (compression !== undefined && this.perMessageDeflate === false) {
      this.perMessageDeflate = {
        compress: compression.serverNoContextTakeover ? 'shared' : 'dedicated',
        decompress: compression.clientNoContextTakeover ? 'shared' : 'dedicated',
      };
    }
    return new BunEngine(options, this.topics);
  }

  stopAccepting(): Promise<void> {
    this.stopped = true;
    // Stops listening; the open sockets stay, for the graceful close.
    void this.server?.stop(false);
    return Promise.resolve();
  }

  closeAll(): void {
    void this.server?.stop(true);
  }

  private fetch(request: Request, server: BunServer): Response | undefined | Promise<Response | undefined> {
    const url = targetOf(request.url);
    if (this.stopped) return new Response('Service Unavailable\n', { status: 503, headers: { Connection: 'close' } });
    // Node's parser enforces maxHeaderSize; Bun only its own, larger limit.
    const { maxHeaderSize } = this.config;
    if (maxHeaderSize < BUN_MAX_HEADER_SIZE && headSize(request, url) > maxHeaderSize) {
      return new Response('Request Header Fields Too Large\n', { status: 431, headers: { Connection: 'close' } });
    }
    if (!isUpgrade(request)) {
      // The port's fetch-style app takes every request that is not an upgrade (a failure: Bun's error handler, 500).
      if (this.config.fetch !== undefined) return this.config.fetch(request);
      const status = this.line.plainRequestStatus(url);
      const headers: Record<string, string> = { 'Content-Type': 'text/plain', Connection: 'close' };
      if (status === 426) headers.Upgrade = 'websocket';
      return new Response(status === 426 ? 'Upgrade Required\n' : 'Not Found\n', { status, headers });
    }
    const upgrade = new BunUpgrade(request, url, server, this.config.tls !== undefined);
    this.line.upgrade(upgrade);
    return upgrade.answer();
  }
}

/** The handshakes of one service on a Bun server. */
class BunEngine implements TransportEngine {
  /** What every socket of this service shares. */
  private readonly sockets: BunSocketOptions;

  constructor(
    private readonly options: EngineOptions,
    topics: BunTopics,
  ) {
    const { compression } = options;
    this.sockets = { maxPayload: options.maxPayload, threshold: compression === undefined ? -1 : compression.threshold, topics };
  }

  accept(
    pending: PendingUpgrade,
    headers: Readonly<Record<string, string>> | undefined,
    onAccepted: (transport: Transport) => void,
  ): void {
    // A Bun listener hands its engines only the upgrades its own fetch made.
    const upgrade = pending as BunUpgrade;
    const { request } = upgrade;
    // Only what is there is given to Bun: each header it is handed, and each change to the
    // request's headers, costs native memory for as long as the socket is open.
    let added: Record<string, string> | undefined = headers === undefined ? undefined : { ...headers };
    let protocol = '';
    const offered = upgrade.headers['sec-websocket-protocol'];
    if (typeof offered === 'string') {
      // Bun would agree to the client's first offer: the service's choice is given instead,
      // and when it agrees to none the offer is taken out of the request.
      const chosen = this.options.selectSubProtocol(new Set(offered.split(',').map((name) => name.trim())));
      if (chosen === false) request.headers.delete('sec-websocket-protocol');
      else (added ??= {})['Sec-WebSocket-Protocol'] = protocol = chosen;
    }
    // Bun negotiates permessage-deflate for every socket of its server; a service without
    // compression never sees the client's offer.
    if (this.options.compression === undefined && upgrade.headers['sec-websocket-extensions'] !== undefined) {
      request.headers.delete('sec-websocket-extensions');
    }
    const transport = new BunTransport(this.sockets, onAccepted, protocol, upgrade.endedCallback);
    // Bun opens the socket (and the connection is made) inside upgrade().
    const options = added === undefined ? { data: transport } : { data: transport, headers: added };
    if (upgrade.server.upgrade(request, options)) upgrade.upgraded();
    else upgrade.refuse(400, 'Invalid WebSocket handshake');
  }
}

/** An upgrade request received by Bun's fetch; answered once, by a Response or the upgrade. */
class BunUpgrade implements PendingUpgrade {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly socket: PeerSocket;
  readonly untrustedCertificate = false;
  readonly othersMayServe = false;
  readonly ownHeaders = true;
  private answered = false;
  private response: Response | undefined;
  private settle: ((response: Response | undefined) => void) | undefined;
  /** `onEnded`'s callback, called at most once; the socket's close calls it once upgraded. */
  endedCallback: (() => void) | undefined;

  constructor(
    readonly request: Request,
    readonly url: string,
    readonly server: BunServer,
    encrypted: boolean,
  ) {
    this.method = request.method;
    this.headers = headersOf(request.headers);
    // No peer certificate: a Request does not carry it (UpgradeRequest.clientCertificate is undefined).
    this.socket = { remoteAddress: server.requestIP(request)?.address, encrypted };
  }

  get gone(): boolean {
    return this.answered || this.request.signal.aborted;
  }

  watchClient(onLeft: () => void): () => void {
    const { signal } = this.request;
    signal.addEventListener('abort', onLeft, { once: true });
    return () => signal.removeEventListener('abort', onLeft);
  }

  onEnded(callback: () => void): void {
    // Made apart from this upgrade: the socket keeps it as long as it lives.
    this.endedCallback = calledOnce(callback);
    // A client that leaves before the answer; once answered, the refusal or the socket's close
    // counts instead, and the listener goes: Bun keeps an upgraded request's signal, with its
    // listeners, as long as the socket is open.
    this.request.signal.addEventListener('abort', this.endedCallback, { once: true });
  }

  refuse(status: number, body?: string, headers?: Readonly<Record<string, string>>): void {
    const refusal = refusalOf(status, body, headers);
    this.finish(new Response(refusal.text, { status: refusal.status, statusText: refusal.statusText, headers: refusal.headers as [string, string][] }));
  }

  /** The handshake was made: Bun has answered 101. */
  upgraded(): void {
    this.finish(undefined);
  }

  /** What fetch returns: the answer, or a promise of it while checks run. */
  answer(): Response | undefined | Promise<Response | undefined> {
    if (this.answered) return this.response;
    return new Promise((resolve) => (this.settle = resolve));
  }

  private finish(response: Response | undefined): void {
    if (this.answered) return;
    this.answered = true;
    this.response = response;
    this.settle?.(response);
    const ended = this.endedCallback;
    if (ended === undefined) return;
    this.request.signal.removeEventListener('abort', ended);
    // Refused: the request's connection is over (an upgrade ends at its socket's close).
    if (response !== undefined) ended();
  }
}

/** `callback`, run at most once however often the result is called. */
function calledOnce(callback: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    callback();
  };
}

function isUpgrade(request: Request): boolean {
  // As node:http tells an upgrade from a request: an Upgrade header and Connection: upgrade.
  return request.headers.has('upgrade') && (request.headers.get('connection') ?? '').toLowerCase().includes('upgrade');
}

/** The bytes of a request head as sent: request line and header lines (as node:http counts them). */
function headSize(request: Request, target: string): number {
  let size = request.method.length + target.length + 12; // 'GET /x HTTP/1.1\r\n'
  request.headers.forEach((value, name) => {
    size += name.length + value.length + 4; // 'name: value\r\n'
  });
  return size;
}

/** The request target (path and query) of the absolute URL Bun gives. */
function targetOf(url: string): string {
  const schemeEnd = url.indexOf('://');
  const pathAt = url.indexOf('/', schemeEnd === -1 ? 0 : schemeEnd + 3);
  return pathAt === -1 ? '/' : url.slice(pathAt);
}

/** Lower-case names, as node:http gives them (repeated headers are joined with ', '). */
function headersOf(headers: Headers): IncomingHttpHeaders {
  const result: IncomingHttpHeaders = {};
  headers.forEach((value, name) => {
    result[name] = value;
  });
  return result;
}
