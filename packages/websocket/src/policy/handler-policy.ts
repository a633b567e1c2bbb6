// The handler slot a policy makes, compiled once per handler at start (service-policy.ts decides
// which apply): rate limits and scopes checked before the call, interceptors run around it. A
// handler with none of them keeps its own function in its slot, so its connections run exactly
// the code they ran without this file.
import type { Newable } from 'inversify';
import type { Caller } from '../caller';
import type { Handler } from '../compiled-service';
import { AuthorizationError, RateLimitError } from '../errors';
import { CloseCode } from '../close-codes';
import type { HandlerContext, HandlerEventName, Interceptor } from './interceptor';
import type { RateLimiter } from './rate-limit';
import { isThenable } from '../thenable';

/** What applies to one handler. */
export interface HandlerPlan {
  readonly service: Newable<object>;
  readonly method: string;
  readonly event: HandlerEventName;
  /** The dispatcher value of a typed `@OnMessage(key)`. */
  readonly messageType: string | undefined;
  /** Global, then the class's, then the method's. */
  readonly interceptors: readonly Interceptor[];
  readonly scopes: readonly string[];
  /** The service's limiter, then the handler's. */
  readonly limiters: readonly RateLimiter[];
  /** A typed message, answered with the error reply; a plain frame is dropped or closed instead. */
  readonly typed: boolean;
  /** Counts a message a limiter refused (`registry.stats().rateLimited`). */
  readonly countRefused: () => void;
}

/** `handler` itself when nothing applies; otherwise a function that checks, then calls through the interceptors. */
export function withPolicy(handler: Handler, plan: HandlerPlan): Handler {
  const { limiters, scopes, interceptors } = plan;
  const call = interceptors.length === 0 ? handler : intercepted(handler, plan);
  if (limiters.length === 0 && scopes.length === 0) return call;
  const { typed, countRefused } = plan;
  return function guarded(this: object, caller: unknown, first?: unknown, second?: unknown): unknown {
    for (let i = 0; i < limiters.length; i++) {
      const limiter = limiters[i];
      if (limiter.take(caller as Caller)) continue;
      countRefused();
      const { onExceed } = limiter.limit;
      if (onExceed === 'close') throw new RateLimitError('Too many messages: the connection is closed.', CloseCode.PolicyViolation);
      // A plain frame has no error reply to carry the refusal: under 'error' it is dropped.
      if (onExceed === 'drop' || !typed) return undefined;
      throw new RateLimitError();
    }
    if (scopes.length > 0) {
      const missing = missingScopes((caller as Caller).principal?.scopes, scopes);
      if (missing !== undefined) {
        throw new AuthorizationError(`This message needs the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`, missing);
      }
    }
    return call.call(this, caller, first, second);
  };
}

function missingScopes(granted: readonly string[] | undefined, required: readonly string[]): string[] | undefined {
  let missing: string[] | undefined;
  for (const scope of required) if (granted === undefined || !granted.includes(scope)) (missing ??= []).push(scope);
  return missing;
}

/**
 * The chain: the first interceptor is called with `next`, which calls the second, … and the last
 * `next` calls the handler, synchronously inside its interceptor's call. A context and one
 * `next` per interceptor are made per call: the price of intercepting, paid only where it is asked.
 * When every interceptor hands back the very promise `next()` gave it (they pass through) and the
 * handler returned a plain value, that value is returned as the handler's own: the connection
 * stays on its synchronous path instead of waiting a turn for a promise that is already settled.
 */
function intercepted(handler: Handler, plan: HandlerPlan): Handler {
  const { interceptors, service, method, event, messageType } = plan;
  const count = interceptors.length;
  const message = event === 'message';
  return function interceptedHandler(this: object, caller: unknown, first?: unknown, second?: unknown): unknown {
    const instance = this;
    const context: HandlerContext = {
      caller: caller as Caller,
      service,
      method,
      event,
      messageType,
      message: first,
      decoded: message ? second : undefined,
    };
    let settled: Promise<unknown> | undefined;
    let value: unknown;
    const step = (index: number): Promise<unknown> => {
      try {
        if (index < count) return Promise.resolve(interceptors[index].intercept(context, () => step(index + 1)));
        const result = handler.call(instance, caller, first, second);
        if (isThenable(result)) return Promise.resolve(result);
        value = result;
        return (settled = Promise.resolve(result));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const result = interceptors[0].intercept(context, () => step(1));
    return settled !== undefined && result === settled ? value : result;
  };
}

