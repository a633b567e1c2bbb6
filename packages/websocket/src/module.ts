// `webSocketModule` — the container module that declares listeners and services. It binds
// the service classes with their scope and one definition object the application collects.
import { ContainerModule, type Newable } from 'inversify';
import type { EngineOption } from './engine';
import { hasServiceConfig, readServiceConfig } from './metadata';
import type { ListenerConfig } from './listener-config';
import type { TrafficLogOptions } from './monitoring/traffic-logger';
import type { InterceptorClass } from './policy/interceptor';
import { BACKPLANE, type Backplane } from './registry/backplane';
import { ConnectionRegistry } from './registry/connection-registry';
import { DEFAULT_LISTENER } from './service-config';

/** A class decorated with `@WebSocketService`. */
export type ServiceClass = Newable<object>;


/** The argument of `webSocketModule`: either named `listeners` or the `port` shorthand. */
export interface WebSocketModuleOptions {
  /** Listeners by name; services pick one with `listener` (default `'default'`). */
  listeners?: Record<string, ListenerConfig>;
  /** Shorthand for `listeners: { default: { port, host } }`. */
  port?: number;
  host?: string;
  /** The service classes, each decorated with `@WebSocketService`. */
  services: ServiceClass[];
  /** Carries broadcasts to other processes (e.g. `RedisBackplane` from @duet/redis); in-memory by default. */
  backplane?: Backplane;
  /** Logs every connection's traffic at debug level, payloads cut short (for debugging). */
  trafficLog?: boolean | TrafficLogOptions;
  /**
   * The engine: `'auto'` (default) runs Bun's native server under Bun and `ws` on Node; `'ws'`
   * always runs `ws`; `'bun'` requires Bun (start fails on Node with `EngineConfigError`).
   * `app.engine` tells which one runs. See docs/engines.md for what differs.
   */
  engine?: EngineOption;
  /**
   * Interceptors run around every handler of every service of the app, before the class's and
   * the method's (`@UseInterceptors`); resolved from the container (mark them `@injectable()`).
   */
  interceptors?: InterceptorClass[];
}

/** What one loaded module contributes; collected by `WebSocketApplication.start`. */
export interface ModuleDefinition {
  readonly listeners: Readonly<Record<string, unknown>>;
  readonly services: readonly Newable<object>[];
  /** When both `listeners` and `port` were given, which is a mistake reported at start. */
  readonly conflictingListenerOptions: boolean;
  readonly trafficLog: boolean | TrafficLogOptions | undefined;
  /** As given; validated at start. */
  readonly engine: unknown;
  /** The global interceptor classes, as given; resolved and validated at start. */
  readonly interceptors: unknown;
}

/** The container token under which every `webSocketModule` binds its definition. */
export const WEB_SOCKET_MODULE = Symbol.for('@duet/websocket:module');

/**
 * Declares listeners and services for a container.
 *
 * @example
 * ```ts
 * const container = new Container();
 * container.load(webSocketModule({ port: 8080, services: [EchoService] }));
 * const app = await WebSocketApplication.start(container);
 * ```
 */
export function webSocketModule(options: WebSocketModuleOptions): ContainerModule {
  const definition = defineModule(options);
  return new ContainerModule(({ bind, isBound }) => {
    bind(WEB_SOCKET_MODULE).toConstantValue(definition);
    if (!isBound(ConnectionRegistry)) bind(ConnectionRegistry).toSelf().inSingletonScope();
    if (options?.backplane !== undefined) bind(BACKPLANE).toConstantValue(options.backplane);
    for (const service of definition.services) {
      if (typeof service !== 'function') continue; // reported at start, with the other config errors
      const binding = bind(service).toSelf();
      if (scopeOf(service) === 'singleton') binding.inSingletonScope();
      else binding.inTransientScope();
    }
  });
}

function defineModule(options: WebSocketModuleOptions): ModuleDefinition {
  const services = Array.isArray(options?.services) ? [...options.services] : [];
  const hasPort = options?.port !== undefined;
  const listeners: Record<string, unknown> = { ...(options?.listeners ?? {}) };
  if (hasPort && options.listeners === undefined) {
    listeners[DEFAULT_LISTENER] = { port: options.port, host: options.host };
  }
  return Object.freeze({
    listeners: Object.freeze(listeners),
    services: Object.freeze(services),
    conflictingListenerOptions: hasPort && options.listeners !== undefined,
    trafficLog: options?.trafficLog,
    engine: options?.engine,
    interceptors: options?.interceptors ?? [],
  });
}

// Bindings are made when the module loads, before start validates the rest of the config.
function scopeOf(service: Newable<object>): unknown {
  if (!hasServiceConfig(service)) return undefined;
  const config = readServiceConfig(service) as { scope?: unknown } | undefined;
  return config?.scope;
}
