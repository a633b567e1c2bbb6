// A service with `contract`: its `@OnMessage(name)` routes take their schemas from the contract,
// start fails when a handler and the contract disagree, and (outside production) a request
// handler's return value is checked against the request's `reply` schema before it is sent.
import type { AnyContract, MessageSpec, RequestSpec } from '@duet/contract';
import { ServiceConfigError, type MessageValidationError } from '../errors';
import type { MessageRoute } from './dispatcher';
import { isAsyncIterable } from './reply-streams';
import type { StandardResult, StandardSchemaV1 } from './standard-schema';
import { replySchemaError } from './validation';
import { isThenable } from '../thenable';

type MessageHandler = MessageRoute['handler'];

/**
 * What a request handler returned that its `reply` schema refused: the connection answers it as
 * a bad message (the error reply with the request's id, then `@OnError`) instead of sending it.
 */
export class InvalidReply {
  constructor(readonly error: MessageValidationError) {}
}

/**
 * The route of `@OnMessage(route.key)` under `contract`: the contract's message schema (a
 * handler's own schema must be that same one), and for a request, its reply schema, checked on
 * every return value when `checkReplies`.
 */
export function contractRoute(serviceName: string, contract: AnyContract, route: MessageRoute, checkReplies: boolean): MessageRoute {
  const key = route.key!;
  const field = String(route.method);
  const request: RequestSpec | undefined = Object.hasOwn(contract.requests, key) ? contract.requests[key] : undefined;
  const message: MessageSpec | undefined = request ?? (Object.hasOwn(contract.messages, key) ? contract.messages[key] : undefined);
  if (message === undefined) {
    throw new ServiceConfigError(
      serviceName,
      field,
      `has @OnMessage('${key}'), which the contract names neither as a request nor as a message ` +
        `(requests: ${names(contract.requests)}; messages: ${names(contract.messages)})`,
    );
  }
  const where = `contract.${request === undefined ? 'messages' : 'requests'}.${key}`;
  if (route.schema !== undefined && route.schema !== message.message) {
    throw new ServiceConfigError(serviceName, field, `has a schema of its own for '${key}': leave it out, the contract's (${where}.message) is used`);
  }
  if (request !== undefined && route.replySchema !== undefined && route.replySchema !== request.reply) {
    throw new ServiceConfigError(serviceName, field, `has a reply schema of its own for '${key}': leave it out, the contract's (${where}.reply) is used`);
  }
  return Object.freeze({
    ...route,
    schema: message.message,
    replySchema: request?.reply,
    handler: request !== undefined && checkReplies ? replyChecked(route.handler, key, request.reply) : route.handler,
  });
}

/** Every request and message of the contract has a typed handler, or start fails naming it. */
export function checkContractCovered(serviceName: string, contract: AnyContract, typed: ReadonlyMap<string, MessageRoute>): void {
  for (const table of ['requests', 'messages'] as const) {
    for (const key of Object.keys(contract[table])) {
      if (!typed.has(key)) {
        throw new ServiceConfigError(serviceName, `contract.${table}.${key}`, `has no @OnMessage('${key}') handler in the service`);
      }
    }
  }
}

// Made once per route at start; per message it costs the schema's validate, and only outside production.
function replyChecked(handler: MessageHandler, key: string, schema: StandardSchemaV1): MessageHandler {
  const verdict = (result: StandardResult<unknown>, value: unknown): unknown =>
    result.issues === undefined ? value : new InvalidReply(replySchemaError(key, result.issues));
  const check = (value: unknown): unknown => {
    if (isAsyncIterable(value)) return value; // a stream's items are not a reply to check
    const result = schema['~standard'].validate(value);
    return isThenable(result) ? result.then((settled) => verdict(settled, value)) : verdict(result, value);
  };
  return function checkedReply(this: object, caller: unknown, message: unknown): unknown {
    const value = handler.call(this, caller, message);
    return isThenable(value) ? value.then(check) : check(value);
  };
}

function names(table: object): string {
  const keys = Object.keys(table);
  return keys.length === 0 ? 'none' : keys.join(', ');
}

