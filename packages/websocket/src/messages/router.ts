// The runtime half of `@OnMessage` dispatch (messages/dispatcher.ts compiles it): one message
// decoded, routed by the dispatcher key, its reply id read. It returns a decision and leaves
// the message's context in one record per connection, reused for every message, so the
// connection only has to act on it: call a handler, validate first, or treat a bad message.
import type { MessageValidationError } from '../errors';
import type { Handler } from '../compiled-service';
import type { MessageRoute, MessageRouter } from './dispatcher';
import type { StandardResult } from './standard-schema';
import { invalidJsonError, schemaError } from './validation';

/** What to do with the message just routed. */
export const Routed = {
  /** Call `handler` with `value`. */
  Call: 0,
  /** Validate `value` with `route`'s schema first (then `validated`). */
  Validate: 1,
  /** A bad message: `error` says why. */
  Invalid: 2,
  /** No handler matches its key (`unmatchedKey`). */
  Unmatched: 3,
} as const;
export type Routed = (typeof Routed)[keyof typeof Routed];

/** One connection's routing, and the context of the message being handled. */
export class MessageRouting {
  /** The `dispatcherStreamId` value of the message being handled, for its reply. */
  replyId: unknown;
  handler: Handler | undefined;
  value: unknown;
  /** The message as JSON decoded it, before a schema ran (fields it strips are still here); undefined for a frame that was not JSON. */
  decoded: unknown;
  /** The typed route whose schema is validating the current message, while it does. */
  validating: MessageRoute | undefined;
  error: MessageValidationError | undefined;
  unmatchedKey: unknown;
  /** The route the message being handled took: its `@OnMessageError` hears what goes wrong. */
  matchedRoute: MessageRoute | undefined;
  /** The route's `@OnMessageError` is running: what goes wrong now follows the usual rules. */
  handlingError = false;

  constructor(readonly router: MessageRouter) {}

  /** JSON text → typed handler by key (validated), else the generic handler, else unmatched. */
  route(raw: string | Buffer): Routed {
    const router = this.router;
    this.replyId = undefined;
    this.matchedRoute = undefined;
    this.handlingError = false;
    this.decoded = undefined;
    if (typeof raw !== 'string') return this.call(router.generic!, raw);
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      if (router.generic !== undefined) return this.call(router.generic, raw);
      this.error = invalidJsonError();
      return Routed.Invalid;
    }
    this.decoded = message;
    const isObject = message !== null && typeof message === 'object' && !Array.isArray(message);
    if (isObject && router.streamId !== undefined) this.replyId = (message as Record<string, unknown>)[router.streamId];
    const key = isObject && router.typed.size > 0 ? (message as Record<string, unknown>)[router.dispatcherKey] : undefined;
    const route = typeof key === 'string' ? router.lookup.find(key) : undefined;
    if (route !== undefined) {
      if (route.schema === undefined) return this.call(route, message);
      this.validating = this.matchedRoute = route;
      this.value = message;
      return Routed.Validate;
    }
    if (router.generic !== undefined) return this.call(router.generic, message);
    this.unmatchedKey = key;
    return Routed.Unmatched;
  }

  /** The schema's verdict on the message being validated: call its handler, or a bad message. */
  validated(result: StandardResult<unknown>): Routed {
    const route = this.validating!;
    this.validating = undefined;
    if (result.issues !== undefined) {
      this.error = schemaError(route.key!, result.issues);
      return Routed.Invalid;
    }
    return this.call(route, result.value);
  }

  /** With `dispatcherStreamId`, a reply to a message that carried an id carries it too. */
  withReplyId(value: unknown, id: unknown): unknown {
    if (id === undefined) return value;
    const key = this.router.streamId!;
    if (isPlainObject(value)) return { ...value, [key]: id };
    return { [key]: id, data: value };
  }

  /**
   * The `@OnMessageError` to run for a failure of the message being handled, if its route has
   * one and it is not that handler itself failing; from then on, failures follow the usual rules.
   */
  takeErrorHandler(): Handler | undefined {
    const onError = this.matchedRoute?.onError;
    if (onError === undefined || this.handlingError) return undefined;
    this.handlingError = true;
    return onError as Handler;
  }

  private call(route: MessageRoute, value: unknown): Routed {
    this.matchedRoute = route;
    this.handler = route.handler;
    this.value = value;
    return Routed.Call;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
