// What runs around a handler: the `Interceptor` interface users implement, and the context it is
// given. Interceptors are classes resolved from the container at start (their constructors get
// their dependencies); `@UseInterceptors` and `webSocketModule({ interceptors })` name them.
import type { Newable } from 'inversify';
import type { Caller } from '../caller';

/** The event a handler runs for, as `HandlerContext.event` names it. */
export type HandlerEventName = 'open' | 'text' | 'binary' | 'message' | 'ping' | 'pong' | 'idle' | 'close' | 'error';

/** One handler call, as an interceptor sees it. */
export interface HandlerContext {
  readonly caller: Caller;
  /** The service class. */
  readonly service: Newable<object>;
  /** The handler's method name. */
  readonly method: string;
  readonly event: HandlerEventName;
  /** A typed `@OnMessage(key)` message: its dispatcher value (`key`); otherwise `undefined`. */
  readonly messageType: string | undefined;
  /**
   * What the handler is given: the validated message (`'message'`), the text or bytes (`'text'`,
   * `'binary'`, `'ping'`, `'pong'`), the error (`'error'`), the close code (`'close'`); else `undefined`.
   */
  readonly message: unknown;
  /**
   * An `@OnMessage` message as JSON decoded it, before its schema ran: fields the schema strips
   * (a `traceparent`, say) are still here. `undefined` for other events and non-JSON frames.
   */
  readonly decoded: unknown;
}

/**
 * Runs around handler calls. `next()` runs the rest of the chain and the handler — inside this
 * call, so whatever context `intercept` sets up (an OpenTelemetry span, an AsyncLocalStorage
 * store) is the active one while the handler runs — and resolves to what the handler returned
 * (or rejects with what it threw). What `intercept` returns is the handler's result: return
 * `next()`'s value to keep it, or another value to send that instead. A throw counts as the
 * handler's failure, except an `AuthorizationError` or `RateLimitError` on a typed message:
 * that is answered with the error reply, `@OnError` hears it, and the connection stays open.
 *
 * @example
 * ```ts
 * @injectable()
 * class Timing implements Interceptor {
 *   constructor(@inject(Metrics) private readonly metrics: Metrics) {}
 *   async intercept(context: HandlerContext, next: () => Promise<unknown>) {
 *     const started = performance.now();
 *     try {
 *       return await next();
 *     } finally {
 *       this.metrics.record(`${context.service.name}.${context.method}`, performance.now() - started);
 *     }
 *   }
 * }
 * ```
 */
export interface Interceptor {
  intercept(context: HandlerContext, next: () => Promise<unknown>): unknown;
}

/** An interceptor class, as `@UseInterceptors` and `webSocketModule({ interceptors })` take it. */
export type InterceptorClass = Newable<Interceptor>;

/**
 * The container token for interceptor classes that run around every handler, outermost (before
 * those of `webSocketModule({ interceptors })`). A feature's `ContainerModule` binds its class
 * here: `bind(GLOBAL_INTERCEPTOR).toConstantValue(TracingInterceptor)`.
 */
export const GLOBAL_INTERCEPTOR = Symbol.for('@duet/websocket:global-interceptor');
