// Compiles one service from its decorators, once, with no container: the validated config, the
// handler of each event as an array slot, the @OnMessage router, the origin policy, and which
// event each kind of data frame goes to. Start-up binds it to the container
// (service-binding.ts); the AsyncAPI generator reads it as it is. Connections only index into it.
import type { Newable } from 'inversify';
import { ServiceConfigError } from './errors';
import { type MessageRouter, compileMessageRouter } from './messages/dispatcher';
import {
  HANDLER_DECORATOR_NAMES,
  HANDLER_EVENT_COUNT,
  HandlerEvent,
  type HandlerRecord,
  hasServiceConfig,
  readHandlers,
  readServiceConfig,
} from './metadata';
import { type OriginPolicy, compileOriginPolicy } from './security/origin';
import { type ResolvedServiceConfig, resolveServiceConfig } from './service-config';

/** A handler as the connection calls it: `this` is the service instance. */
export type Handler = (this: object, caller: unknown, first?: unknown, second?: unknown) => unknown;

export interface CompiledService {
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
  /** The `allowedOrigins` check, when the service has one. */
  readonly originPolicy: OriginPolicy | undefined;
  /**
   * Where a text frame goes: `@OnText`, else `@OnMessage`; `undefined` when the service takes
   * no text (the connection closes with 1003).
   */
  readonly textEvent: typeof HandlerEvent.Text | typeof HandlerEvent.Message | undefined;
  /** Where a binary frame goes: `@OnBinary`, else a generic `@OnMessage`; `undefined` when none. */
  readonly binaryEvent: typeof HandlerEvent.Binary | typeof HandlerEvent.Message | undefined;
}

/**
 * Compiles `serviceClass`; throws `ServiceConfigError` naming the class and field. `listedIn`
 * says where the class was given, for the error about a class without `@WebSocketService`.
 */
export function compileService(serviceClass: Newable<object>, listedIn = 'listed in services'): CompiledService {
  if (typeof serviceClass !== 'function') {
    throw new ServiceConfigError(String(serviceClass), 'services', 'must list classes decorated with @WebSocketService');
  }
  const serviceName = serviceClass.name || '(anonymous service)';
  if (!hasServiceConfig(serviceClass)) {
    throw new ServiceConfigError(serviceName, '@WebSocketService', `is missing on a class ${listedIn}`);
  }
  const config = resolveServiceConfig(serviceName, readServiceConfig(serviceClass));
  const records = readHandlers(serviceClass);
  const handlers = compileHandlers(serviceName, serviceClass, records.filter((record) => !isMessageRecord(record)));
  if (config.resume === undefined) refuseSessionHandlers(serviceName, records);
  const router = compileMessageRouter(
    serviceName,
    config,
    records.filter(isMessageRecord),
    serviceClass.prototype as Record<string | symbol, unknown>,
  );
  return Object.freeze({
    serviceClass,
    serviceName,
    config,
    handlers,
    supportedSubProtocols: new Set(config.subProtocols),
    upgradeHandler: handlers[HandlerEvent.Upgrade],
    router,
    originPolicy: compileOriginPolicy(serviceName, config.allowedOrigins),
    textEvent: handlers[HandlerEvent.Text] !== undefined ? HandlerEvent.Text : router !== undefined ? HandlerEvent.Message : undefined,
    binaryEvent:
      handlers[HandlerEvent.Binary] !== undefined ? HandlerEvent.Binary : router?.generic !== undefined ? HandlerEvent.Message : undefined,
  });
}

/** `@OnMessage` and `@OnMessageError` are compiled into the message router. */
function isMessageRecord(record: HandlerRecord): boolean {
  return record.event === HandlerEvent.Message || record.event === HandlerEvent.MessageError;
}

/** `@OnResume` and `@OnDisconnect` would never run on a service without `resume`: start says so. */
function refuseSessionHandlers(serviceName: string, records: readonly HandlerRecord[]): void {
  for (const { event, method } of records) {
    if (event === HandlerEvent.Resume || event === HandlerEvent.Disconnect) {
      const decorator = HANDLER_DECORATOR_NAMES[event];
      throw new ServiceConfigError(serviceName, String(method), `has ${decorator}, which runs only in a service with resume: { window, … }`);
    }
  }
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

