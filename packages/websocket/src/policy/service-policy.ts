// Start-time half of the policies on live connections: reads `@UseInterceptors`, the global
// interceptors, `scopes` and `rateLimit` of a compiled service, resolves the interceptors from
// the container, validates the lot (ServiceConfigError naming class and field), and gives back
// the handler slots and message routes with their policies compiled in (handler-policy.ts).
import type { Container, Newable } from 'inversify';
import type { CompiledService, Handler } from '../compiled-service';
import { ServiceConfigError } from '../errors';
import { type MessageRoute, type MessageRouter, messageRouter } from '../messages/dispatcher';
import { HandlerEvent, type HandlerRecord, readHandlers, readInterceptors } from '../metadata';
import { scopeListProblem } from '../security/auth/authenticate';
import type { ConfigErrorFactory } from '../validate';
import { type HandlerPlan, withPolicy } from './handler-policy';
import type { HandlerEventName, Interceptor } from './interceptor';
import { RateLimiter, resolveRateLimit } from './rate-limit';

/** What a policy needs from start-up besides the compiled service. */
export interface PolicyInputs {
  readonly container: Container;
  /** `webSocketModule({ interceptors })` of every loaded module, in load order. */
  readonly globalInterceptors: readonly unknown[];
  /** The service authenticates (`auth`): without it no scope can be held. */
  readonly hasAuth: boolean;
  readonly countRefused: () => void;
}

/** The events interceptors run around, by `HandlerEvent` index. */
const EVENT_NAMES: Partial<Record<HandlerEvent, HandlerEventName>> = {
  [HandlerEvent.Open]: 'open',
  [HandlerEvent.Text]: 'text',
  [HandlerEvent.Binary]: 'binary',
  [HandlerEvent.Ping]: 'ping',
  [HandlerEvent.Pong]: 'pong',
  [HandlerEvent.IdleTimeout]: 'idle',
  [HandlerEvent.Close]: 'close',
  [HandlerEvent.Error]: 'error',
  [HandlerEvent.Message]: 'message',
};

/** The service's handler slots and router with their policies; the very same objects when none applies. */
export function compilePolicies(
  compiled: CompiledService,
  inputs: PolicyInputs,
): { handlers: readonly (Handler | undefined)[]; router: MessageRouter | undefined } {
  const { serviceClass, serviceName } = compiled;
  const error: ConfigErrorFactory = (field, problem) => new ServiceConfigError(serviceName, field, problem);
  const records = readHandlers(serviceClass);
  const declared = readInterceptors(serviceClass);
  const resolve = (field: string, classes: readonly unknown[]) => classes.map((cls) => resolveInterceptor(cls, inputs.container, field, error));
  const outer = [...resolve('interceptors', inputs.globalInterceptors), ...resolve('@UseInterceptors', declared.service)];
  for (const method of declared.methods.keys()) {
    if (!records.some((record) => record.method === method && EVENT_NAMES[record.event] !== undefined)) {
      throw error(String(method), 'has @UseInterceptors but no handler decorator that interceptors run around (@OnOpen, @OnText, @OnMessage, …)');
    }
  }
  const serviceLimit = compiled.config.rateLimit;
  if (serviceLimit?.key === 'principal' && !inputs.hasAuth) throw error('rateLimit.key', "'principal' needs 'auth': without authentication there is no principal");
  const serviceLimiter = serviceLimit === undefined ? undefined : new RateLimiter(serviceLimit);

  const plan = (event: HandlerEvent, record: HandlerRecord | undefined, messageType: string | undefined): HandlerPlan => {
    const method = record?.method;
    const field = String(method);
    const isData = event === HandlerEvent.Text || event === HandlerEvent.Binary || event === HandlerEvent.Message;
    const options = (isData ? record?.options : undefined) as { scopes?: unknown; rateLimit?: unknown } | undefined;
    const scopes = options?.scopes === undefined ? [] : validScopes(options.scopes, `${field}.scopes`, inputs.hasAuth, error);
    const limit = resolveRateLimit(error, `${field}.rateLimit`, options?.rateLimit);
    if (limit?.key === 'principal' && !inputs.hasAuth) throw error(`${field}.rateLimit.key`, "'principal' needs 'auth'");
    const limiters: RateLimiter[] = [];
    if (isData && serviceLimiter !== undefined) limiters.push(serviceLimiter);
    if (limit !== undefined) limiters.push(new RateLimiter(limit));
    const own = method === undefined ? [] : resolve(`${field} @UseInterceptors`, declared.methods.get(method) ?? []);
    return {
      service: serviceClass as Newable<object>,
      method: field,
      event: EVENT_NAMES[event]!,
      messageType,
      interceptors: [...outer, ...own],
      scopes,
      limiters,
      typed: messageType !== undefined,
      countRefused: inputs.countRefused,
    };
  };

  let changed = false;
  const handlers = compiled.handlers.map((handler, event) => {
    if (handler === undefined || EVENT_NAMES[event as HandlerEvent] === undefined) return handler;
    const record = records.find((each) => each.event === event);
    const wrapped = withPolicy(handler, plan(event as HandlerEvent, record, undefined));
    if (wrapped !== handler) changed = true;
    return wrapped;
  });
  const router = compiled.router;
  if (router === undefined) return { handlers: changed ? Object.freeze(handlers) : compiled.handlers, router };
  let routerChanged = false;
  const withRoutePolicy = (route: MessageRoute): MessageRoute => {
    const record = records.find((each) => each.event === HandlerEvent.Message && each.method === route.method && each.key === route.key);
    const handler = withPolicy(route.handler as Handler, plan(HandlerEvent.Message, record, route.key));
    if (handler === route.handler) return route;
    routerChanged = true;
    return Object.freeze({ ...route, handler: handler as MessageRoute['handler'] });
  };
  const typed = new Map([...router.typed].map(([key, route]) => [key, withRoutePolicy(route)]));
  const generic = router.generic === undefined ? undefined : withRoutePolicy(router.generic);
  return {
    handlers: changed ? Object.freeze(handlers) : compiled.handlers,
    router: routerChanged ? messageRouter({ ...router, typed, generic }) : router,
  };
}

function validScopes(value: unknown, field: string, hasAuth: boolean, error: ConfigErrorFactory): readonly string[] {
  const problem = scopeListProblem(value);
  if (problem !== undefined) throw error(field, problem);
  if (!hasAuth) throw error(field, "needs 'auth': without authentication no scope can be held");
  return Object.freeze([...(value as string[])]);
}

// Interceptors come from the container, like authenticators, so they get their dependencies;
// one the user did not bind is bound here as a singleton.
function resolveInterceptor(cls: unknown, container: Container, field: string, error: ConfigErrorFactory): Interceptor {
  if (typeof cls !== 'function') throw error(field, `must list interceptor classes, got ${String(cls)}`);
  const interceptorClass = cls as Newable<Interceptor>;
  let instance: Interceptor;
  try {
    if (!container.isBound(interceptorClass)) container.bind(interceptorClass).toSelf().inSingletonScope();
    instance = container.get(interceptorClass);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw error(field, `lists ${interceptorClass.name}, which could not be resolved from the container (is it @injectable()?): ${why}`);
  }
  if (typeof instance?.intercept !== 'function') throw error(field, `lists ${interceptorClass.name}, which has no intercept(context, next) method`);
  return instance;
}
