// The upgrade line of one service, after the listener has matched its path:
//   origin → authentication → service instance → @OnUpgrade → handshake (sub-protocol,
//   frame limit, extra headers) → Connection.
// Services with none of the optional steps take the synchronous path: no promise per handshake.
import { Connection } from './connection';
import type { ConnectionOptions } from './connection-options';
import { ConnectionReport } from './connection-report';
import { UpgradeAbandonedError, UpgradeError } from './errors';
import { Heartbeat } from './heartbeat';
import { KeepAlive } from './keep-alive';
import type { Logger } from './logger';
import type { WebSocketObserver } from './monitoring/observer';
import type { PathParams } from './path-matcher';
import type { ConnectionRegistry } from './registry/connection-registry';
import { MemberList } from './registry/member-list';
import { serviceTopic } from './registry/topics';
import type { BoundService } from './service-binding';
import { allowsRequest } from './security/origin';
import { selectSubProtocol } from './sub-protocol';
import type { EngineOptions, PendingUpgrade, TransportEngine } from './transport/transport';
import { type SessionAsk, SessionStore } from './session-store';
import { TokenRefresh } from './token-lifetime';
import { isSafeHeader } from './upgrade-refusal';
import { UpgradeRequest } from './upgrade-request';

/** What the endpoint needs from its listener. */
export interface EndpointHost {
  readonly logger: Logger;
  readonly registry: ConnectionRegistry;
  readonly observer: WebSocketObserver | undefined;
  /** Answers an upgrade with an HTTP error (and tells the observers). */
  refuse(upgrade: PendingUpgrade, status: number, body?: string, headers?: Readonly<Record<string, string>>): void;
  /** The engine that completes this service's handshakes, on the listener's server. */
  engineFor(options: EngineOptions): TransportEngine;
  /** Seconds an upgrade may take between its headers and the handshake. */
  readonly handshakeTimeout: number;
  /** An upgrade started (counts against maxConnections until it ends). */
  upgradeStarted(): void;
  upgradeEnded(): void;
}


export class ServiceEndpoint {
  private readonly engine: TransportEngine;
  private readonly needsAsyncAdmission: boolean;
  /** Shared by every connection of this service. */
  private readonly connectionOptions: ConnectionOptions;
  /** This service's open connections: the heartbeat, the listener's stop and the registry read them. */
  readonly connections = new MemberList<Connection>();
  private readonly heartbeat: Heartbeat | undefined;
  private readonly keepAlive: KeepAlive | undefined;
  /** The resumable sessions, when the service has `resume`. */
  private readonly sessions: SessionStore | undefined;

  constructor(
    readonly table: BoundService,
    private readonly host: EndpointHost,
  ) {
    const supported = table.supportedSubProtocols;
    this.engine = host.engineFor({
      maxPayload: table.config.maxFrameSize,
      maxFragments: table.config.maxFragments,
      selectSubProtocol: (offered) => selectSubProtocol(offered, supported),
      // Only @OnUpgrade adds headers to the 101.
      addsHeaders: table.upgradeHandler !== undefined,
      closeTimeoutMs: table.config.connectionClosureTimeout * 1000,
      compression: table.config.compression,
    });
    this.needsAsyncAdmission = table.gate !== undefined || table.upgradeHandler !== undefined;
    host.registry.addService(table.serviceClass, table.config.path, this.connections, table.config.presenceEvents);
    const report = new ConnectionReport(table, host.logger, host.observer);
    const { gate, config } = table;
    this.connectionOptions = {
      table,
      members: this.connections,
      report,
      registry: host.registry,
      serviceTopic: serviceTopic(config.path),
      tokens: gate === undefined ? undefined : new TokenRefresh(gate, config.dispatcherKey, config.tokenExpiry === 'close', report),
    };
    const { pingInterval, pongTimeout } = table.config;
    if (pingInterval > 0) this.heartbeat = new Heartbeat(pingInterval, pongTimeout, this.connections);
    const { keepAlive, dispatcherKey } = table.config;
    if (keepAlive > 0) this.keepAlive = new KeepAlive(keepAlive, dispatcherKey, this.connections);
    if (table.config.resume !== undefined) {
      this.sessions = new SessionStore(table.config.resume, dispatcherKey, host.registry, table.serviceName, host.observer);
    }
  }

  /** Stops the heartbeat (the listener closes the connections). */
  stop(): void {
    this.heartbeat?.stop();
    this.keepAlive?.stop();
  }

  /** Takes an upgrade request whose path matched this service. */
  admit(upgrade: PendingUpgrade, params: PathParams): void {
    const { originPolicy } = this.table;
    if (originPolicy !== undefined && !allowsRequest(originPolicy, upgrade.headers)) {
      this.host.refuse(upgrade, 403, 'Origin not allowed');
      return;
    }
    const upgradeRequest = new UpgradeRequest(upgrade, params);
    if (!this.needsAsyncAdmission) {
      const ask = this.sessions?.ask(upgradeRequest);
      if (this.resumed(upgrade, ask)) return;
      const instance = this.createInstance(upgrade);
      if (instance !== undefined) this.handshake(upgrade, upgradeRequest, instance, undefined, ask);
      return;
    }
    this.host.upgradeStarted();
    void this.admitAfterChecks(upgrade, upgradeRequest);
  }

  /**
   * Runs the checks, then the handshake. The upgrade's slot in `maxConnections` is held until
   * the request is answered, and at the latest until `handshakeTimeout`: a check that never
   * settles is answered 503 then and its slot is freed; whatever it does later is ignored.
   */
  private async admitAfterChecks(upgrade: PendingUpgrade, upgradeRequest: UpgradeRequest): Promise<void> {
    let ended = false;
    // `abandoned`: why the request's checks may stop; none once the handshake is made.
    const end = (abandoned?: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      stopWatching();
      if (abandoned !== undefined) upgradeRequest.abandon(abandoned);
      this.host.upgradeEnded();
    };
    // A client that leaves ends nothing yet (its check still runs and holds the slot), but
    // checks waiting for their turn (password hashing) skip it.
    const stopWatching = upgrade.watchClient(() => upgradeRequest.abandon('the client left'));
    const timer = setTimeout(() => {
      this.host.refuse(upgrade, 503, 'The upgrade took too long');
      end('the upgrade took longer than handshakeTimeout');
    }, this.host.handshakeTimeout * 1000);
    try {
      const { gate, upgradeHandler } = this.table;
      if (gate !== undefined) upgradeRequest.principal = await gate.authenticate(upgradeRequest);
      if (ended || upgrade.gone) return;
      // A resume skips @OnUpgrade: the session's instance ran it when the session began.
      const ask = this.sessions?.ask(upgradeRequest);
      if (this.resumed(upgrade, ask, upgradeRequest)) {
        stopWatching();
        end();
        return;
      }
      const instance = this.createInstance(upgrade);
      if (instance === undefined) return;
      let headers: Readonly<Record<string, string>> | undefined;
      if (upgradeHandler !== undefined) {
        const result = await upgradeHandler.call(instance, upgradeRequest);
        if (ended || upgrade.gone) return;
        headers = this.extraHeaders(result);
      }
      if (ended || upgrade.gone) return;
      stopWatching();
      // Counted as open by the time the slot is given back (both engines complete the handshake synchronously).
      this.handshake(upgrade, upgradeRequest, instance, headers, ask);
      end();
    } catch (error) {
      // Answered already, or the client left (and a check stopped on request.signal): no one to tell.
      if (ended || upgrade.gone || error instanceof UpgradeAbandonedError) return;
      this.refuseFor(error, upgrade);
    } finally {
      end('the upgrade was refused');
    }
  }

  /** Answers an upgrade whose check threw: an `UpgradeError`'s own answer, else 500 (logged). */
  private refuseFor(error: unknown, upgrade: PendingUpgrade): void {
    if (error instanceof UpgradeError) {
      const { status } = error;
      if (Number.isInteger(status) && status >= 400 && status <= 599) {
        this.host.refuse(upgrade, status, error.message, error.headers);
        return;
      }
      // An UpgradeError answers with an HTTP error; any other status is a bug of the thrower.
      this.host.logger.error('an UpgradeError was thrown with a status outside 400-599; answered 500 instead', {
        service: this.table.serviceName,
        status,
        error,
      });
    } else {
      this.host.logger.error('the upgrade failed', { service: this.table.serviceName, error });
    }
    this.host.refuse(upgrade, 500);
  }

  private createInstance(upgrade: PendingUpgrade): object | undefined {
    try {
      return this.table.instanceForConnection();
    } catch (error) {
      this.host.logger.error('could not create the service instance for a connection', {
        service: this.table.serviceName,
        error,
      });
      this.host.refuse(upgrade, 500);
      return undefined;
    }
  }

  private handshake(
    upgrade: PendingUpgrade,
    upgradeRequest: UpgradeRequest,
    instance: object,
    headers: Readonly<Record<string, string>> | undefined,
    ask: SessionAsk,
  ): void {
    this.engine.accept(upgrade, headers, (transport) => {
      // A client that asked for a session gets one: the connection runs on it as on a socket.
      const session = typeof ask === 'object' && ask.session === undefined ? this.sessions!.open(transport, upgradeRequest, ask.refusal) : transport;
      // Only the synchronous path gives the request to no check or hook, and a session keeps it.
      const unseen = !this.needsAsyncAdmission && session === transport;
      new Connection(session, this.connectionOptions, instance, upgradeRequest.connectionMade(upgrade, unseen));
    });
  }

  /**
   * Answers a resume request that is not a new session: 400 when malformed, else the session
   * takes the new socket. False when a connection is still to be made.
   */
  private resumed(upgrade: PendingUpgrade, ask: SessionAsk, upgradeRequest?: UpgradeRequest): boolean {
    if (ask === 'malformed') {
      this.host.refuse(upgrade, 400, 'Malformed resume request');
      return true;
    }
    if (ask === undefined || ask.session === undefined) return false;
    const { session, ack } = ask;
    this.engine.accept(upgrade, undefined, (transport) => {
      session.resume(transport, ack);
      // The same principal came back with the credentials of this upgrade: its expiry is theirs.
      if (upgradeRequest?.principal !== undefined) session.host.token?.renewed(upgradeRequest.principal);
    });
    return true;
  }

  /**
   * `{ headers }` returned by @OnUpgrade; anything else adds nothing. A header the handshake
   * writes itself (`Upgrade`, `Connection`, `Sec-WebSocket-*`) is left out with a warning, as
   * is one that cannot be sent: a second `Sec-WebSocket-Accept` would break the handshake.
   */
  private extraHeaders(result: unknown): Readonly<Record<string, string>> | undefined {
    if (result === null || typeof result !== 'object' || !('headers' in result)) return undefined;
    const headers = (result as { headers: unknown }).headers;
    if (headers === null || typeof headers !== 'object') return undefined;
    const safe: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (isHandshakeHeader(name)) {
        this.host.logger.warn("@OnUpgrade returned a header the handshake writes itself; left out", { name });
      } else if (isSafeHeader(name, value)) {
        safe[name] = value;
      } else {
        this.host.logger.warn('@OnUpgrade returned a header that cannot be sent; left out', { name });
      }
    }
    return safe;
  }
}

// The 101's own headers (RFC 6455 §4.2.2), every Sec-WebSocket-* name the protocol reserves,
// and the framing headers a 1xx answer must not carry (RFC 9110 §8.6, RFC 9112 §6.1).
function isHandshakeHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === 'upgrade' ||
    lower === 'connection' ||
    lower === 'content-length' ||
    lower === 'transfer-encoding' ||
    lower.startsWith('sec-websocket-')
  );
}
