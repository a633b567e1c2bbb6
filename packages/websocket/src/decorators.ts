// The decorators users write. They only record metadata (through metadata.ts); the
// application reads it once at start and compiles routing tables from it.
import { injectable } from 'inversify';
import type { Caller } from './caller';
import { HandlerEvent, recordHandler, recordServiceConfig } from './metadata';
import type { WebSocketServiceConfig } from './service-config';
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

/** A text message: `(caller, text)`. A returned value is sent back. */
export const OnText = handlerDecorator<(caller: Caller, text: string) => unknown>(HandlerEvent.Text);

/** A binary message: `(caller, data)`. A returned value is sent back. */
export const OnBinary = handlerDecorator<(caller: Caller, data: Buffer) => unknown>(HandlerEvent.Binary);

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

/** A handler failed or the peer broke the protocol: `(caller, error)`. The connection is closed after it. */
export const OnError = handlerDecorator<(caller: Caller, error: Error) => unknown>(HandlerEvent.Error);

/**
 * Runs before the handshake is answered: `(request: UpgradeRequest)`, sync or async, after the
 * origin check and authentication. Throw `UpgradeError` to refuse with a status, body and
 * headers; return `{ headers }` to add headers to the 101 response.
 */
export const OnUpgrade = handlerDecorator<(request: UpgradeRequest) => unknown>(HandlerEvent.Upgrade);
