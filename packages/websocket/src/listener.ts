// One listener: a port (or an app's server) shared by every service on it, and the start of
// the upgrade line, the same whichever engine's server received the request:
//   upgrade request → path match → limits (URI length, connections, connections per address) → what the engine would
//   refuse (method, key, version…) → client certificate → the service's endpoint.
// The server itself is the engine's: node:http + ws (transport/node-listener.ts) or Bun.serve
// (transport/bun-listener.ts). Stopping is here too: it closes the connections, not the server.
import type { EngineName } from './engine';
import { ListenError } from './errors';
import { handshakeRefusal } from './handshake-check';
import type { Logger } from './logger';
import type { WebSocketObserver } from './monitoring/observer';
import type { ResolvedListenerConfig } from './listener-config';
import { PathMatcher } from './path-matcher';
import { PeerCounts } from './peer-counts';
import type { ConnectionRegistry } from './registry/connection-registry';
import type { BoundService } from './service-binding';
import { type EndpointHost, ServiceEndpoint } from './service-endpoint';
import { MAX_TIMER_MS } from './timer-limits';
import { BunListenerServer } from './transport/bun-listener';
import { NodeListenerServer } from './transport/node-listener';
import type { EngineOptions, ListenerServer, PendingUpgrade, TransportEngine, UpgradeLine } from './transport/transport';

export class Listener implements EndpointHost, UpgradeLine {
  private readonly endpoints: ServiceEndpoint[] = [];
  readonly handshakeTimeout: number;
  private readonly routes: PathMatcher<ServiceEndpoint>;
  private readonly server: ListenerServer;
  private upgrading = 0;
  /** Sockets per peer address, when `maxConnectionsPerIp` is set. */
  private readonly peers: PeerCounts | undefined;

  constructor(
    readonly name: string,
    private readonly config: ResolvedListenerConfig,
    routes: PathMatcher<BoundService>,
    readonly logger: Logger,
    readonly registry: ConnectionRegistry,
    readonly observer: WebSocketObserver | undefined,
    engine: EngineName,
  ) {
    this.handshakeTimeout = config.handshakeTimeout;
    if (config.maxConnectionsPerIp !== undefined) this.peers = new PeerCounts(config.maxConnectionsPerIp);
    this.server = engine === 'bun' ? new BunListenerServer(this, config, logger) : new NodeListenerServer(this, config, logger);
    this.routes = routes.map((table) => {
      const endpoint = new ServiceEndpoint(table, this);
      this.endpoints.push(endpoint);
      return endpoint;
    });
  }

  /** Binds the port (not for a shared server, which its app binds); rejects with `ListenError`. */
  async listen(): Promise<void> {
    try {
      await this.server.listen();
    } catch (error) {
      throw new ListenError(this.name, this.config.port ?? 0, this.config.host, error);
    }
  }

  /** The bound port (the real one when the listener was declared with port 0). */
  get port(): number {
    return this.server.port;
  }

  engineFor(options: EngineOptions): TransportEngine {
    return this.server.engineFor(options);
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
    for (const endpoint of this.endpoints) endpoint.stop();
    const serverClosed = this.server.stopAccepting();
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
    this.server.closeAll();
    await serverClosed;
  }

  upgrade(upgrade: PendingUpgrade): void {
    const url = upgrade.url;
    const match = this.routes.match(url);
    if (match === undefined) {
      if (!upgrade.othersMayServe) this.refuse(upgrade, 404);
      return;
    }
    if (url.length > this.config.maxUriLength) return this.refuse(upgrade, 414);
    if (this.connectionCount + this.upgrading >= this.config.maxConnections) {
      return this.refuse(upgrade, 503, 'Too many connections', { 'Retry-After': '5' });
    }
    if (this.peers !== undefined && !this.admitPeer(upgrade)) {
      return this.refuse(upgrade, 429, 'Too many connections from this address', { 'Retry-After': '5' });
    }
    // What the engine would refuse is refused before any check or hook runs.
    const invalid = handshakeRefusal(upgrade, this.server.versions);
    if (invalid !== undefined) return this.refuse(upgrade, invalid.status, invalid.body, invalid.headers);
    if (upgrade.untrustedCertificate) return this.refuse(upgrade, 401, 'Client certificate not trusted');
    match.value.admit(upgrade, match.params);
  }

  /**
   * Takes a slot of the peer's address, given back once the request's connection is over, however
   * it ends. An upgrade without a known address (a socket already gone) holds no slot.
   */
  private admitPeer(upgrade: PendingUpgrade): boolean {
    const address = upgrade.socket.remoteAddress;
    if (address === undefined) return true;
    const peers = this.peers!;
    if (!peers.take(address)) return false;
    upgrade.onEnded(() => peers.release(address));
    return true;
  }

  refuse(upgrade: PendingUpgrade, status: number, body?: string, headers?: Readonly<Record<string, string>>): void {
    if (this.observer !== undefined) this.observer.upgradeRefused?.(pathOf(upgrade.url), status, upgrade.headers);
    upgrade.refuse(status, body, headers);
  }

  plainRequestStatus(url: string): 404 | 426 {
    // A plain HTTP request: the path of a service wants an upgrade, any other path is unknown.
    return this.routes.match(url) === undefined ? 404 : 426;
  }
}

function pathOf(url: string): string {
  const queryAt = url.indexOf('?');
  return queryAt === -1 ? url : url.slice(0, queryAt);
}
