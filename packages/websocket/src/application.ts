// `WebSocketApplication`: reads the container once, validates every listener and service,
// compiles the routing tables, then opens the listeners. Nothing opens if anything is wrong.
import type { Container, Newable } from 'inversify';
import { CloseCode } from './close-codes';
import { ApplicationStateError, InvalidArgumentError, ListenerConfigError, ServiceConfigError } from './errors';
import { Listener } from './listener';
import { LOGGER, type Logger, consoleLogger } from './logger';
import { OBSERVER, type WebSocketObserver, combineObservers } from './monitoring/observer';
import { GLOBAL_INTERCEPTOR } from './policy/interceptor';
import { TrafficLogger } from './monitoring/traffic-logger';
import { BACKPLANE, type Backplane } from './registry/backplane';
import { ConnectionRegistry } from './registry/connection-registry';
import { type ResolvedListenerConfig, resolveListenerConfig } from './listener-config';
import { type ModuleDefinition, WEB_SOCKET_MODULE } from './module';
import { PathMatcher } from './path-matcher';
import { DEFAULT_LISTENER } from './service-config';
import { compileService } from './compiled-service';
import { type EngineName, chooseEngine } from './engine';
import { type BoundService, bindService } from './service-binding';
import { timerSecondsProblem } from './timer-limits';

export interface StopOptions {
  /**
   * Seconds to wait for each close handshake and `@OnClose` before sockets are terminated
   * (default 10; from 0 to 2147483, the longest a timer can wait).
   */
  timeout?: number;
}

export class WebSocketApplication {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly listeners: ReadonlyMap<string, Listener>,
    /** The compiled services, in the order they were declared. */
    readonly services: readonly BoundService[],
    /** Every open connection, rooms and broadcasts (the container's singleton). */
    readonly registry: ConnectionRegistry,
    private readonly logger: Logger,
    /** The engine carrying the connections: `'bun'` (Bun's native server) or `'ws'`. */
    readonly engine: EngineName,
  ) {}

  /**
   * Discovers the listeners and services of every loaded `webSocketModule`, validates them,
   * chooses the engine (`engine`), and starts listening. Rejects with a `ServiceConfigError`,
   * `ListenerConfigError` or `EngineConfigError` before any port is opened, or a `ListenError`
   * when a port cannot be bound.
   */
  static async start(container: Container): Promise<WebSocketApplication> {
    const definitions = collectDefinitions(container);
    const listenerConfigs = mergeListeners(definitions);
    const engine = chooseEngine(
      definitions.map((definition) => definition.engine),
      listenerConfigs,
    );
    const { tables, routes } = await compileServices(definitions, container, listenerConfigs);
    const logger = container.isBound(LOGGER) ? container.get<Logger>(LOGGER) : consoleLogger;
    const registry = container.get(ConnectionRegistry);
    const observer = collectObservers(container, definitions, logger);
    const listeners = new Map<string, Listener>();
    for (const [name, config] of listenerConfigs) {
      const served = routes.get(name) ?? new PathMatcher<BoundService>();
      listeners.set(name, new Listener(name, config, served, logger, registry, observer, engine));
    }
    const app = new WebSocketApplication(listeners, tables, registry, logger, engine);
    try {
      await registry.start(container.isBound(BACKPLANE) ? container.get<Backplane>(BACKPLANE) : undefined, logger);
      for (const listener of listeners.values()) await listener.listen();
    } catch (error) {
      await app.stop();
      throw error;
    }
    return app;
  }

  /** The port a listener is bound to (the real one for port 0). */
  port(name: string = DEFAULT_LISTENER): number {
    const listener = this.listeners.get(name);
    if (listener === undefined) throw new ApplicationStateError(`there is no listener named '${name}'`);
    return listener.port;
  }

  /** How many connections are open, over every listener. */
  connectionCount(): number {
    let count = 0;
    for (const listener of this.listeners.values()) count += listener.connectionCount;
    return count;
  }

  /**
   * Stops gracefully: no new connections; handlers in flight (and messages already received)
   * finish and send their replies; then every connection is closed with 1001 (going away) and
   * the close handshakes and `@OnClose` handlers are awaited — all within `timeout`, after
   * which sockets are terminated. Calling it again returns the same promise.
   *
   * Rejects with `InvalidArgumentError`, stopping nothing, when `timeout` is not a finite
   * number of seconds from 0 to 2147483 (a longer timer would fire at once).
   */
  stop(options: StopOptions = {}): Promise<void> {
    const problem = stopTimeoutProblem(options);
    if (problem !== undefined) return Promise.reject(new InvalidArgumentError(`stop: ${problem}`));
    const timeoutMs = (options.timeout ?? DEFAULT_STOP_TIMEOUT) * 1000;
    this.stopping ??= Promise.all(
      [...this.listeners.values()].map((listener) =>
        listener.close(CloseCode.GoingAway, 'server shutting down', timeoutMs),
      ),
    ).then(() => this.registry.stop());
    return this.stopping;
  }

  /**
   * Stops the application gracefully on `signals` (default SIGINT and SIGTERM): no new
   * connections, handlers in flight finish and send their replies, every client gets 1001.
   * Opt-in, as a library must not take over a process's signals on its own.
   *
   * @throws InvalidArgumentError when `options.timeout` is not one `stop` takes: found now,
   *   not when the signal comes.
   */
  enableShutdownHooks(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'], options: StopOptions = {}): this {
    const problem = stopTimeoutProblem(options);
    if (problem !== undefined) throw new InvalidArgumentError(`enableShutdownHooks: ${problem}`);
    const onSignal = (signal: NodeJS.Signals) => {
      for (const other of signals) process.off(other, onSignal);
      this.logger.info('shutting down', { signal });
      void this.stop(options);
    };
    for (const signal of signals) process.once(signal, onSignal);
    return this;
  }
}

const DEFAULT_STOP_TIMEOUT = 10;

function stopTimeoutProblem(options: StopOptions): string | undefined {
  if (options === null || typeof options !== 'object') return 'the options must be an object { timeout? }';
  if (options.timeout === undefined) return undefined;
  const problem = timerSecondsProblem(options.timeout, 'zero allowed');
  return problem === undefined ? undefined : `timeout ${problem}`;
}

function collectDefinitions(container: Container): readonly ModuleDefinition[] {
  if (!container.isBound(WEB_SOCKET_MODULE)) {
    throw new ListenerConfigError(DEFAULT_LISTENER, 'webSocketModule', 'no webSocketModule is loaded in the container');
  }
  return container.getAll<ModuleDefinition>(WEB_SOCKET_MODULE);
}

function collectObservers(
  container: Container,
  definitions: readonly ModuleDefinition[],
  logger: Logger,
): WebSocketObserver | undefined {
  const observers = container.isBound(OBSERVER) ? [...container.getAll<WebSocketObserver>(OBSERVER)] : [];
  const trafficLog = definitions.find((definition) => definition.trafficLog !== undefined)?.trafficLog;
  if (trafficLog !== undefined && trafficLog !== false) {
    observers.push(new TrafficLogger(logger, trafficLog === true ? {} : trafficLog));
  }
  return combineObservers(observers, (error) => logger.error('an observer failed', { error }));
}

function mergeListeners(definitions: readonly ModuleDefinition[]): Map<string, ResolvedListenerConfig> {
  const listeners = new Map<string, ResolvedListenerConfig>();
  for (const definition of definitions) {
    if (definition.conflictingListenerOptions) {
      throw new ListenerConfigError(DEFAULT_LISTENER, 'port', "give either 'port' or 'listeners', not both");
    }
    for (const [name, raw] of Object.entries(definition.listeners)) {
      if (listeners.has(name)) throw new ListenerConfigError(name, 'name', 'is declared by two modules');
      listeners.set(name, resolveListenerConfig(name, raw));
    }
  }
  return listeners;
}

async function compileServices(
  definitions: readonly ModuleDefinition[],
  container: Container,
  listeners: ReadonlyMap<string, ResolvedListenerConfig>,
): Promise<{ tables: BoundService[]; routes: ReadonlyMap<string, PathMatcher<BoundService>> }> {
  const seen = new Set<Newable<object>>();
  // Interceptors bound under GLOBAL_INTERCEPTOR (by feature modules such as @duet/opentelemetry)
  // run outermost, before those of webSocketModule({ interceptors }).
  const bound = container.isBound(GLOBAL_INTERCEPTOR) ? container.getAll<unknown>(GLOBAL_INTERCEPTOR) : [];
  const interceptors = [
    ...bound,
    ...definitions.flatMap((definition) => {
      if (Array.isArray(definition.interceptors)) return definition.interceptors as unknown[];
      throw new ServiceConfigError('webSocketModule', 'interceptors', 'must be an array of interceptor classes');
    }),
  ];
  const tables: BoundService[] = [];
  const paths = new Map<string, PathMatcher<BoundService>>();
  for (const definition of definitions) {
    for (const serviceClass of definition.services) {
      if (seen.has(serviceClass)) {
        throw new ServiceConfigError(serviceClass.name, 'services', 'is listed twice');
      }
      seen.add(serviceClass);
      const table = await bindService(compileService(serviceClass), container, interceptors);
      const { listener, path } = table.config;
      if (!listeners.has(listener)) {
        throw new ServiceConfigError(table.serviceName, 'listener', `names '${listener}', which is not declared`);
      }
      let matcher = paths.get(listener);
      if (matcher === undefined) paths.set(listener, (matcher = new PathMatcher()));
      const clash = matcher.add(path, table);
      if (clash !== undefined) {
        throw new ServiceConfigError(
          table.serviceName,
          'path',
          `'${path}' is already served by ${clash.serviceName} on listener '${listener}'`,
        );
      }
      tables.push(table);
    }
  }
  // Each listener routes with the matcher built here, where clashes were found.
  return { tables, routes: paths };
}
