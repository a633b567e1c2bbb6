// Compiles a service's `@OnMessage` handlers, once at start, into a router: a Map from the
// dispatch key's value to its handler and schema, plus the generic handler. Per message the
// connection does one JSON.parse, one property read and one lookup (route-table.ts).
import { ServiceConfigError } from '../errors';
import { HandlerEvent, type HandlerRecord } from '../metadata';
import type { ResolvedServiceConfig } from '../service-config';
import { checkContractCovered, contractRoute } from './contract-routes';
import { RouteTable } from './route-table';
import { type StandardSchemaV1, isStandardSchema } from './standard-schema';

/** A handler as the connection calls it: `this` is the service instance. */
type MessageHandler = (this: object, caller: unknown, message: unknown) => unknown;

export interface MessageRoute {
  /** The dispatch key value, `undefined` for the generic handler. */
  readonly key: string | undefined;
  readonly method: string | symbol;
  readonly handler: MessageHandler;
  readonly schema: StandardSchemaV1 | undefined;
  readonly jsonSchema: object | undefined;
  readonly replyJsonSchema: object | undefined;
  readonly replySchema: StandardSchemaV1 | undefined;
  readonly summary: string | undefined;
  /** `@OnMessageError` of the same key: gets what went wrong in this route, its return is the reply. */
  readonly onError: MessageErrorHandler | undefined;
}

/** An `@OnMessageError` method: `this` is the service instance. */
type MessageErrorHandler = (this: object, caller: unknown, error: unknown, message: unknown) => unknown;

export interface MessageRouter {
  readonly dispatcherKey: string;
  readonly streamId: string | undefined;
  readonly typed: ReadonlyMap<string, MessageRoute>;
  /** `typed` as the router searches it for every message (route-table.ts). */
  readonly lookup: RouteTable;
  readonly generic: MessageRoute | undefined;
}

/** A router of these routes, with the lookup made from `typed`. */
export function messageRouter(parts: Omit<MessageRouter, 'lookup'>): MessageRouter {
  const { dispatcherKey, streamId, typed, generic } = parts;
  return Object.freeze({ dispatcherKey, streamId, typed, lookup: new RouteTable(typed), generic });
}

export function compileMessageRouter(
  serviceName: string,
  config: ResolvedServiceConfig,
  records: readonly HandlerRecord[],
  prototype: Record<string | symbol, unknown>,
): MessageRouter | undefined {
  const contract = config.contract;
  if (records.length === 0) {
    if (contract !== undefined) checkContractCovered(serviceName, contract, new Map());
    return undefined;
  }
  // Read once, at start: replies are checked against the contract outside production only.
  const checkReplies = process.env.NODE_ENV !== 'production';
  const typed = new Map<string, MessageRoute>();
  let generic: MessageRoute | undefined;
  const errorHandlers = compileErrorHandlers(serviceName, records, prototype);
  for (const record of records) {
    if (record.event === HandlerEvent.MessageError) continue;
    let route = compileRoute(serviceName, record, prototype, errorHandlers.get(record.key));
    if (contract !== undefined && route.key !== undefined) route = contractRoute(serviceName, contract, route, checkReplies);
    if (route.key === undefined) {
      if (generic !== undefined && generic.method !== route.method) {
        throw new ServiceConfigError(serviceName, String(route.method), `has @OnMessage(), which '${String(generic.method)}' already has`);
      }
      generic = route;
      continue;
    }
    const previous = typed.get(route.key);
    if (previous !== undefined && previous.method !== route.method) {
      throw new ServiceConfigError(
        serviceName,
        String(route.method),
        `has @OnMessage('${route.key}'), which '${String(previous.method)}' already has`,
      );
    }
    typed.set(route.key, route);
  }
  for (const [key, { method }] of errorHandlers) {
    if (key === undefined ? generic === undefined : !typed.has(key)) {
      const handler = key === undefined ? '@OnMessage()' : `@OnMessage('${key}')`;
      throw new ServiceConfigError(serviceName, String(method), `has @OnMessageError(${key === undefined ? '' : `'${key}'`}) but the service has no ${handler}`);
    }
  }
  if (contract !== undefined) checkContractCovered(serviceName, contract, typed);
  return messageRouter({ dispatcherKey: config.dispatcherKey, streamId: config.dispatcherStreamId, typed, generic });
}

/** `@OnMessageError` methods by the key they handle (`undefined`: the generic handler's). */
function compileErrorHandlers(
  serviceName: string,
  records: readonly HandlerRecord[],
  prototype: Record<string | symbol, unknown>,
): Map<string | undefined, { method: string | symbol; handler: MessageErrorHandler }> {
  const handlers = new Map<string | undefined, { method: string | symbol; handler: MessageErrorHandler }>();
  for (const { event, key, method } of records) {
    if (event !== HandlerEvent.MessageError) continue;
    const field = String(method);
    const handler = prototype[method];
    if (typeof handler !== 'function') throw new ServiceConfigError(serviceName, field, 'is decorated with @OnMessageError but is not a method');
    if (key !== undefined && (typeof key !== 'string' || key === '')) {
      throw new ServiceConfigError(serviceName, field, '@OnMessageError takes a non-empty string key');
    }
    const previous = handlers.get(key);
    if (previous !== undefined && previous.method !== method) {
      throw new ServiceConfigError(serviceName, field, `has @OnMessageError for the same key as '${String(previous.method)}'`);
    }
    handlers.set(key, { method, handler: handler as MessageErrorHandler });
  }
  return handlers;
}

function compileRoute(
  serviceName: string,
  record: HandlerRecord,
  prototype: Record<string | symbol, unknown>,
  onError: { handler: MessageErrorHandler } | undefined,
): MessageRoute {
  const field = String(record.method);
  const handler = prototype[record.method];
  if (typeof handler !== 'function') {
    throw new ServiceConfigError(serviceName, field, 'is decorated with @OnMessage but is not a method');
  }
  if (record.key !== undefined && (typeof record.key !== 'string' || record.key === '')) {
    throw new ServiceConfigError(serviceName, field, '@OnMessage takes a non-empty string key');
  }
  const options = (record.options ?? {}) as {
    schema?: unknown;
    jsonSchema?: unknown;
    reply?: { jsonSchema?: unknown; schema?: unknown };
    summary?: unknown;
  };
  if (typeof options !== 'object') throw new ServiceConfigError(serviceName, field, '@OnMessage options must be an object');
  if (options.schema !== undefined && !isStandardSchema(options.schema)) {
    throw new ServiceConfigError(serviceName, field, 'has a schema that does not implement Standard Schema v1 (zod ≥ 3.24, valibot, arktype…)');
  }
  if (options.schema !== undefined && record.key === undefined) {
    throw new ServiceConfigError(serviceName, field, 'a schema needs a typed handler: @OnMessage(key, { schema })');
  }
  if (options.reply?.schema !== undefined && !isStandardSchema(options.reply.schema)) {
    throw new ServiceConfigError(serviceName, field, 'has a reply schema that does not implement Standard Schema v1');
  }
  return Object.freeze({
    key: record.key,
    method: record.method,
    handler: handler as MessageHandler,
    schema: options.schema as StandardSchemaV1 | undefined,
    jsonSchema: objectOrUndefined(options.jsonSchema),
    replyJsonSchema: objectOrUndefined(options.reply?.jsonSchema),
    replySchema: options.reply?.schema as StandardSchemaV1 | undefined,
    summary: typeof options.summary === 'string' ? options.summary : undefined,
    onError: onError?.handler,
  });
}

function objectOrUndefined(value: unknown): object | undefined {
  return value !== null && typeof value === 'object' ? value : undefined;
}
