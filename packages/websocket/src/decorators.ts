// The decorators users write. They only record metadata (through metadata.ts); the
// application reads it once at start and compiles routing tables from it.
import { injectable } from 'inversify';
import type { Caller } from './caller';
import { HandlerEvent, recordHandler, recordInterceptors, recordServiceConfig } from './metadata';
import type { InterceptorClass } from './policy/interceptor';
import type { RateLimit } from './policy/rate-limit';
import type { WebSocketServiceConfig } from './service-config';
import type { InferOutput, StandardSchemaV1 } from './messages/standard-schema';
import type { UpgradeRequest } from './upgrade-request';

/**
 * Declares a class as a WebSocket service on `config.path`. The class also becomes
 * injectable, so the container builds it with its constructor dependencies.
 *
 * @example
 * ```ts
 * @WebSocketService({ path: '/ws', subProtocols: ['json'], idleTimeout: 120 })
 * class EchoService {
 *   @OnText() onText(caller: Caller, text: string) { return `Echo: ${text}`; }
 * }
 * ```
 */
export function WebSocketService(config: WebSocketServiceConfig): ClassDecorator {
  return (target) => {
    recordServiceConfig(target, config);
    injectable()(target);
  };
}

type MethodOf<F> = <T extends F>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void;

function handlerDecorator<F>(event: HandlerEvent): () => MethodOf<F> {
  return () => (target, propertyKey) => {
    recordHandler(target.constructor, { event, method: propertyKey });
  };
}

/** Runs after the handshake: `(caller)`. An async handler settles before any message is handled. */
export const OnOpen = handlerDecorator<(caller: Caller) => unknown>(HandlerEvent.Open);

/** What may be asked of the sender of a message, per handler (`@OnText`, `@OnBinary`, `@OnMessage`). */
export interface MessagePolicyOptions {
  /**
   * Scopes the connection's principal must all hold, read when the message arrives (needs
   * `auth`). Lacking one, a typed message is answered with the error reply (code
   * `DUET_ERR_AUTHORIZATION`, `missingScopes`) and the connection stays open; a text or binary
   * frame closes it with 1008. `@OnError` gets an `AuthorizationError` either way.
   */
  scopes?: string[];
  /** How fast this handler's messages may come (a token bucket); see `RateLimit`. */
  rateLimit?: RateLimit;
}

/** A text message: `(caller, text)`. A returned value is sent back. */
export function OnText(options?: MessagePolicyOptions): MethodOf<(caller: Caller, text: string) => unknown> {
  return (target, propertyKey) => {
    recordHandler(target.constructor, { event: HandlerEvent.Text, method: propertyKey, options });
  };
}

/** A binary message: `(caller, data)`. A returned value is sent back. */
export function OnBinary(options?: MessagePolicyOptions): MethodOf<(caller: Caller, data: Buffer) => unknown> {
  return (target, propertyKey) => {
    recordHandler(target.constructor, { event: HandlerEvent.Binary, method: propertyKey, options });
  };
}

/**
 * Runs `interceptors` around the handlers of a service class, or around one handler method;
 * resolved from the container (mark them `@injectable()`). Order: the global ones of
 * `webSocketModule({ interceptors })`, then the class's, then the method's, each list as written.
 *
 * @example
 * ```ts
 * @UseInterceptors(AuditInterceptor)
 * @WebSocketService({ path: '/admin', auth: [...] })
 * class AdminService {
 *   @UseInterceptors(CacheInterceptor)
 *   @OnMessage('report') report(caller: Caller) { ... }
 * }
 * ```
 */
export function UseInterceptors(...interceptors: InterceptorClass[]): ClassDecorator & MethodDecorator {
  return ((target: object, propertyKey?: string | symbol) => {
    if (propertyKey === undefined) recordInterceptors(target, undefined, interceptors);
    else recordInterceptors(target.constructor, propertyKey, interceptors);
  }) as ClassDecorator & MethodDecorator;
}

/**
 * A ping: `(caller, data)`. With this handler there is no automatic pong: the service calls
 * `caller.pong(data)` or returns the pong payload.
 */
export const OnPing = handlerDecorator<(caller: Caller, data: Buffer) => unknown>(HandlerEvent.Ping);

/** A pong: `(caller, data)`. */
export const OnPong = handlerDecorator<(caller: Caller, data: Buffer) => unknown>(HandlerEvent.Pong);

/**
 * No frame received or sent for `idleTimeout` seconds: `(caller)`. Without this handler the
 * connection is closed with 1001 `idle timeout`.
 */
export const OnIdleTimeout = handlerDecorator<(caller: Caller) => unknown>(HandlerEvent.IdleTimeout);

/** The connection closed, whoever closed it; exactly once: `(caller, statusCode, reason)`. */
export const OnClose = handlerDecorator<(caller: Caller, statusCode: number, reason: string) => unknown>(
  HandlerEvent.Close,
);

/**
 * A resumable session (`resume` in `@WebSocketService`) took a new transport after a drop:
 * `(caller)`. Runs after the messages the client missed were replayed; `@OnOpen` does not run again.
 */
export const OnResume = handlerDecorator<(caller: Caller) => unknown>(HandlerEvent.Resume);

/**
 * A resumable session's transport dropped and the session waits `resume.window` seconds for the
 * client: `(caller, statusCode, reason)`. `@OnClose` runs only when the session ends.
 */
export const OnDisconnect = handlerDecorator<(caller: Caller, statusCode: number, reason: string) => unknown>(
  HandlerEvent.Disconnect,
);

/** A handler failed or the peer broke the protocol: `(caller, error)`. The connection is closed after it. */
export const OnError = handlerDecorator<(caller: Caller, error: Error) => unknown>(HandlerEvent.Error);

/**
 * Runs before the handshake is answered: `(request: UpgradeRequest)`, sync or async, after the
 * origin check and authentication. Throw `UpgradeError` to refuse with a status, body and
 * headers; return `{ headers }` to add headers to the 101 response.
 */
export const OnUpgrade = handlerDecorator<(request: UpgradeRequest) => unknown>(HandlerEvent.Upgrade);

/** Options of a typed `@OnMessage` handler. */
export interface OnMessageOptions<Schema extends StandardSchemaV1 = StandardSchemaV1> extends MessagePolicyOptions {
  /** Validates the whole parsed message (key included); the handler gets what it returns. */
  schema?: Schema;
  /** A JSON Schema of the message, for AsyncAPI when the validator cannot give one. */
  jsonSchema?: object;
  /** What the handler sends back, for AsyncAPI: a JSON Schema. */
  reply?: { jsonSchema?: object; schema?: StandardSchemaV1 };
  /** A line for the AsyncAPI document. */
  summary?: string;
}

/**
 * Handles messages by their content. `@OnMessage()` is the generic handler: JSON text arrives
 * parsed, other text as the string, binary as a `Buffer`. `@OnMessage('subscribe')` handles JSON
 * messages whose `dispatcherKey` field (default `type`) is `'subscribe'`; with a `schema` the
 * handler gets the validated value. `@OnText`/`@OnBinary`, when present, win for their frame type.
 *
 * @example
 * ```ts
 * const Subscribe = z.object({ type: z.literal('subscribe'), pair: z.string() });
 * @OnMessage('subscribe', { schema: Subscribe })
 * onSubscribe(caller: Caller, message: z.infer<typeof Subscribe>) { return { type: 'subscribed', pair: message.pair }; }
 * ```
 */
export function OnMessage(): MethodOf<(caller: Caller, message: unknown) => unknown>;
export function OnMessage<Schema extends StandardSchemaV1>(
  key: string,
  options: OnMessageOptions<Schema> & { schema: Schema },
): MethodOf<(caller: Caller, message: InferOutput<Schema>) => unknown>;
export function OnMessage(key: string, options?: OnMessageOptions): MethodOf<(caller: Caller, message: any) => unknown>;
export function OnMessage(key?: string, options?: OnMessageOptions): MethodOf<(caller: Caller, message: any) => unknown> {
  return (target, propertyKey) => {
    recordHandler(target.constructor, { event: HandlerEvent.Message, method: propertyKey, key, options });
  };
}

/**
 * Handles what goes wrong in the `@OnMessage` handler of the same key (`@OnMessageError()`: the
 * generic one): the message failing its schema (a `MessageValidationError`), or the handler
 * throwing or rejecting. It gets the error and the message as it arrived; what it returns is
 * sent as that message's reply (with its reply id) and the connection stays open. If it fails
 * itself, the usual rules apply (`@OnError`, then 1011).
 *
 * @example
 * ```ts
 * @OnMessageError('subscribe')
 * onSubscribeError(caller: Caller, error: Error, message: unknown) { return { type: 'subscribe-failed', reason: error.message }; }
 * ```
 */
export function OnMessageError(key?: string): MethodOf<(caller: Caller, error: any, message: any) => unknown> {
  return (target, propertyKey) => {
    recordHandler(target.constructor, { event: HandlerEvent.MessageError, method: propertyKey, key });
  };
}
