// Compiles one service, once, at start: validated config, the handler of each event as an
// array slot, and how to get the service instance. Connections only index into this.
import type { Container, Newable } from 'inversify';
import { ServiceConfigError } from './errors';
import { type MessageRouter, compileMessageRouter } from './messages/dispatcher';
import {
  HANDLER_DECORATOR_NAMES,
  type HandlerRecord,
  HANDLER_EVENT_COUNT,
  HandlerEvent,
  hasServiceConfig,
  readHandlers,
  readServiceConfig,
} from './metadata';
import { type AuthenticatorClass, compileAuthenticators, validateRequiredScopes } from './security/auth/auth-config';
import { authenticate } from './security/auth/authenticate';
import type { Authenticator } from './security/auth/authenticator';
import { compileOriginPolicy, type OriginPolicy } from './security/origin';
import { type ResolvedServiceConfig, resolveServiceConfig } from './service-config';
import type { Principal, UpgradeRequest } from './upgrade-request';

/** A handler as the connection calls it: `this` is the service instance. */
export type Handler = (this: object, caller: unknown, first?: unknown, second?: unknown) => unknown;

/** Accepts an upgrade request's credentials (resolving to who it is) or throws an `UpgradeError`. */
export interface UpgradeGate {
  authenticate(request: UpgradeRequest): Promise<Principal>;
}

export interface RoutingTable {
  readonly serviceClass: Newable<object>;
  readonly serviceName: string;
  readonly config: ResolvedServiceConfig;
  /** Indexed by `HandlerEvent`; `undefined` where the service has no handler. */
  readonly handlers: readonly (Handler | undefined)[];
  readonly supportedSubProtocols: ReadonlySet<string>;
  /** `@OnUpgrade`, run before the handshake with the `UpgradeRequest`. */
  readonly upgradeHandler: Handler | undefined;
  /** `@OnMessage` routing, when the service has such handlers. */
  readonly router: MessageRouter | undefined;
  /** Authentication on upgrade, when the service configures `auth`. */
  readonly gate: UpgradeGate | undefined;
  /** The `allowedOrigins` check, when the service has one. */
  readonly originPolicy: OriginPolicy | undefined;
  /** The instance for a new connection: shared for singletons, new otherwise. */
  instanceForConnection(): object;
}

export async function compileRoutingTable(serviceClass: Newable<object>, container: Container): Promise<RoutingTable> {
  if (typeof serviceClass !== 'function') {
    throw new ServiceConfigError(String(serviceClass), 'services', 'must list classes decorated with @WebSocketService');
  }
  const serviceName = serviceClass.name || '(anonymous service)';
  if (!hasServiceConfig(serviceClass)) {
    throw new ServiceConfigError(serviceName, '@WebSocketService', 'is missing on a class listed in services');
  }
  const raw = readServiceConfig(serviceClass);
  const config = resolveServiceConfig(serviceName, raw);
  const records = readHandlers(serviceClass);
  const handlers = compileHandlers(serviceName, serviceClass, records.filter((record) => record.event !== HandlerEvent.Message));
  const router = compileMessageRouter(
    serviceName,
    config,
    records.filter((record) => record.event === HandlerEvent.Message),
    serviceClass.prototype as Record<string | symbol, unknown>,
  );
  const gate = await compileGate(serviceName, raw as { auth?: unknown; requiredScopes?: unknown }, container);
  const instanceForConnection = instanceFactory(serviceClass, config, container);
  return Object.freeze({
    serviceClass,
    serviceName,
    config,
    handlers,
    supportedSubProtocols: new Set(config.subProtocols),
    upgradeHandler: handlers[HandlerEvent.Upgrade],
    router,
    gate,
    originPolicy: compileOriginPolicy(serviceName, config.allowedOrigins),
    instanceForConnection,
  });
}

async function compileGate(
  serviceName: string,
  raw: { auth?: unknown; requiredScopes?: unknown },
  container: Container,
): Promise<UpgradeGate | undefined> {
  const requiredScopes = validateRequiredScopes(serviceName, raw.requiredScopes);
  const authenticators = await compileAuthenticators(serviceName, raw.auth, (cls) => resolveAuthenticator(cls, container));
  if (authenticators.length === 0) {
    if (requiredScopes.length > 0) {
      throw new ServiceConfigError(serviceName, 'requiredScopes', "needs 'auth': without authentication no scope can be held");
    }
    return undefined;
  }
  return { authenticate: (request) => authenticate(authenticators, request, requiredScopes) };
}

// Authenticator classes come from the container so they get their own dependencies; one the
// user did not bind is bound here, as a singleton, like a service.
function resolveAuthenticator(cls: AuthenticatorClass, container: Container): Authenticator {
  if (!container.isBound(cls)) container.bind(cls).toSelf().inSingletonScope();
  return container.get(cls);
}

function compileHandlers(
  serviceName: string,
  serviceClass: Newable<object>,
  records: readonly HandlerRecord[],
): readonly (Handler | undefined)[] {
  const handlers: (Handler | undefined)[] = new Array(HANDLER_EVENT_COUNT).fill(undefined);
  const methods: (string | symbol | undefined)[] = new Array(HANDLER_EVENT_COUNT).fill(undefined);
  const prototype = serviceClass.prototype as Record<string | symbol, unknown>;
  for (const { event, method } of records) {
    const field = String(method);
    const decorator = HANDLER_DECORATOR_NAMES[event];
    const previous = methods[event];
    if (previous !== undefined && previous !== method) {
      throw new ServiceConfigError(serviceName, field, `has ${decorator}, which '${String(previous)}' already has`);
    }
    const fn = prototype[method];
    if (typeof fn !== 'function') {
      throw new ServiceConfigError(serviceName, field, `is decorated with ${decorator} but is not a method`);
    }
    methods[event] = method;
    handlers[event] = fn as Handler;
  }
  return Object.freeze(handlers);
}

function instanceFactory(
  serviceClass: Newable<object>,
  config: ResolvedServiceConfig,
  container: Container,
): () => object {
  if (config.scope === 'singleton') {
    // Resolved now, so a missing dependency fails start instead of the first connection.
    let instance: object;
    try {
      instance = container.get(serviceClass);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ServiceConfigError(serviceClass.name, 'constructor', `could not be resolved from the container: ${why}`);
    }
    return () => instance;
  }
  return () => container.get(serviceClass);
}

export { HandlerEvent };
