// Binds a compiled service to the container at start: its authenticators (they get their
// own dependencies) and how to get its instance for a connection. What needs no container is
// compiled in compiled-service.ts.
import type { Container, Newable } from 'inversify';
import { type CompiledService } from './compiled-service';
import { ServiceConfigError } from './errors';
import { readServiceConfig } from './metadata';
import { compilePolicies } from './policy/service-policy';
import { ConnectionRegistry } from './registry/connection-registry';
import { type AuthenticatorClass, compileAuthenticators, validateRequiredScopes } from './security/auth/auth-config';
import { authenticate } from './security/auth/authenticate';
import type { Authenticator } from './security/auth/authenticator';
import type { ResolvedServiceConfig } from './service-config';
import type { Principal, UpgradeRequest } from './upgrade-request';

/** Accepts an upgrade request's credentials (resolving to who it is) or throws an `UpgradeError`. */
export interface UpgradeGate {
  authenticate(request: UpgradeRequest): Promise<Principal>;
}

/** A compiled service bound to the container: what its endpoint runs. */
export interface BoundService extends CompiledService {
  /** Authentication on upgrade, when the service configures `auth`. */
  readonly gate: UpgradeGate | undefined;
  /** The instance for a new connection: shared for singletons, new otherwise. */
  instanceForConnection(): object;
}

/**
 * Binds `compiled` to `container`; `globalInterceptors` are those of `webSocketModule({ interceptors })`.
 * Handlers with interceptors, scopes or a rate limit get their policy compiled into their slot.
 */
export async function bindService(
  compiled: CompiledService,
  container: Container,
  globalInterceptors: readonly unknown[] = [],
): Promise<BoundService> {
  const raw = readServiceConfig(compiled.serviceClass) as { auth?: unknown; requiredScopes?: unknown };
  const gate = await compileGate(compiled.serviceName, raw, container);
  const registry = container.isBound(ConnectionRegistry) ? container.get(ConnectionRegistry) : undefined;
  const { handlers, router } = compilePolicies(compiled, {
    container,
    globalInterceptors,
    hasAuth: gate !== undefined,
    countRefused: registry === undefined ? () => {} : () => registry.countRateLimited(),
  });
  const instanceForConnection = instanceFactory(compiled.serviceClass, compiled.config, container);
  return Object.freeze({ ...compiled, handlers, router, gate, instanceForConnection });
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

