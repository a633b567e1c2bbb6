// The error catalogue. Every error Duet raises is a class with a stable `code`; where a
// WebSocket close follows, the close code travels with it. Users match on class or code.
import { CloseCode } from './close-codes';

/** Base class of every Duet error: `name` is the class name, `code` is stable. */
export abstract class DuetError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A write, ping, pong or read on a connection that is not open (a close has begun or ended).
 * `closeCode` and `reason` are those of the close when it is known; `statusCode` is the same
 * value under the seed guide's name, kept for good for code written against it.
 */
export class ConnectionClosedError extends DuetError {
  readonly code = 'DUET_ERR_CONNECTION_CLOSED';
  /** The close code, as every other error names it. */
  readonly closeCode: number | undefined;

  constructor(
    readonly statusCode?: number,
    readonly reason: string = '',
  ) {
    super(
      statusCode === undefined
        ? 'The WebSocket connection is not open.'
        : `The WebSocket connection is closed (${statusCode}${reason ? `: ${reason}` : ''}).`,
    );
    this.closeCode = statusCode;
  }
}

/**
 * Base of every configuration error (service, listener, client, Redis backplane): `scope` names
 * what was being configured (the service class, the listener, `WebSocketClient`…) and `field`
 * the option at fault. Catch `ConfigError` to handle them all alike.
 */
export abstract class ConfigError extends DuetError {
  constructor(
    readonly scope: string,
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A service's configuration is invalid; thrown by `WebSocketApplication.start` before any port opens. */
export class ServiceConfigError extends ConfigError {
  readonly code = 'DUET_ERR_SERVICE_CONFIG';

  constructor(
    readonly service: string,
    field: string,
    problem: string,
  ) {
    super(service, field, `${service}: '${field}' ${problem}`);
  }
}

/** A listener declared in `webSocketModule` is invalid or declared twice. */
export class ListenerConfigError extends ConfigError {
  readonly code = 'DUET_ERR_LISTENER_CONFIG';

  constructor(
    readonly listener: string,
    field: string,
    problem: string,
  ) {
    super(listener, field, `listener '${listener}': '${field}' ${problem}`);
  }
}

/** A listener could not bind its port (in use, no permission, bad host). */
export class ListenError extends DuetError {
  readonly code = 'DUET_ERR_LISTEN';

  constructor(
    readonly listener: string,
    readonly port: number,
    readonly host: string | undefined,
    cause: unknown,
  ) {
    const where = host === undefined ? `port ${port}` : `${host}:${port}`;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`listener '${listener}' could not listen on ${where}: ${why}`, { cause });
  }
}

/** An argument given to a `Caller` method is not acceptable (a bad close code, an oversized ping…). */
export class InvalidArgumentError extends DuetError {
  readonly code: string = 'DUET_ERR_INVALID_ARGUMENT';
}

/**
 * The peer broke the WebSocket protocol (invalid UTF-8, an oversized message, a bad frame).
 * `closeCode` is the code the connection is closed with; `protocolCode` is the engine's own code.
 */
export class ProtocolError extends DuetError {
  readonly code = 'DUET_ERR_PROTOCOL';

  constructor(
    message: string,
    readonly closeCode: number,
    readonly protocolCode: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Messages kept arriving while a handler was still busy, past the service's `maxPendingMessages`.
 * The connection is closed with 1013 (try again later) instead of queueing without bound.
 */
export class PendingMessagesOverflowError extends DuetError {
  readonly code = 'DUET_ERR_PENDING_MESSAGES_OVERFLOW';
  readonly closeCode = CloseCode.TryAgainLater;

  constructor(readonly limit: number) {
    super(`More than ${limit} messages waited for a busy handler; the connection is closed with 1013.`);
  }
}

/** A message of a kind the service has no handler for (text without `@OnText`, say); closed with 1003. */
export class UnsupportedMessageError extends DuetError {
  readonly code = 'DUET_ERR_UNSUPPORTED_MESSAGE';
  readonly closeCode = CloseCode.UnsupportedData;
}

/** `start` called on a running application, or a method used in the wrong state. */
export class ApplicationStateError extends DuetError {
  readonly code = 'DUET_ERR_APPLICATION_STATE';
}

/**
 * A value has no JSON form (a function, a symbol, a BigInt, a cyclic object…), so it cannot be
 * sent as a JSON text frame: a handler's return value, a `writeMessage` argument on a `Caller`,
 * a broadcast or the client. It is an `InvalidArgumentError` too.
 */
export class ReplyEncodingError extends InvalidArgumentError {
  override readonly code = 'DUET_ERR_REPLY_ENCODING';
}

/**
 * Refuses an upgrade: throw it from `@OnUpgrade` (or an authenticator) and the client gets
 * this HTTP `status`, the message as the body, and `headers`.
 *
 * @example
 * ```ts
 * @OnUpgrade()
 * check(request: UpgradeRequest) {
 *   if (!request.query.has('room')) throw new UpgradeError(400, 'room is required');
 * }
 * ```
 */
export class UpgradeError extends DuetError {
  readonly code: string = 'DUET_ERR_UPGRADE_REFUSED';

  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Credentials were given but are not valid (wrong password, bad or expired token): 401. */
export class AuthenticationError extends UpgradeError {
  override readonly code = 'DUET_ERR_AUTHENTICATION';

  constructor(message: string, headers: Readonly<Record<string, string>> = {}) {
    super(401, message, headers);
  }
}

/**
 * A principal without every scope required: at the upgrade (`requiredScopes`) it is answered 403;
 * on a message (`scopes` of `@OnMessage`, `@OnText`, `@OnBinary`, or thrown by an interceptor) a
 * typed message gets the error reply with this code and `missingScopes` and the connection stays
 * open, while a text or binary frame closes it with 1008.
 */
export class AuthorizationError extends UpgradeError {
  override readonly code = 'DUET_ERR_AUTHORIZATION';

  constructor(
    message: string,
    readonly missingScopes: readonly string[],
  ) {
    super(403, message);
  }
}

/** TLS key material or options are invalid; thrown at start, naming the file. */
export class TlsConfigError extends DuetError {
  readonly code = 'DUET_ERR_TLS_CONFIG';

  constructor(
    readonly listener: string,
    readonly file: string | undefined,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`listener '${listener}': ${file === undefined ? '' : `${file}: `}${problem}`, options);
  }
}

/** One problem found in a message: what is wrong and where (`['items', 0, 'price']`). */
export interface MessageIssue {
  readonly message: string;
  readonly path: readonly (string | number)[];
}

/**
 * A message the service cannot take: text that is not JSON where JSON is required
 * (`kind: 'invalid-json'`, close code 1007), one a schema refused (`'schema'`, 1008), or one no
 * handler matches under `onUnmatched: 'error'` (`'unmatched'`, 1008). By default the client is
 * answered with the issues and the connection stays open.
 */
export class MessageValidationError extends DuetError {
  readonly code = 'DUET_ERR_MESSAGE_VALIDATION';

  constructor(
    message: string,
    readonly kind: 'invalid-json' | 'schema' | 'unmatched',
    readonly issues: readonly MessageIssue[],
  ) {
    super(message);
  }

  /** 1007 for text that is not JSON, 1008 (policy) for the rest. */
  get closeCode(): number {
    return this.kind === 'invalid-json' ? CloseCode.InvalidPayload : CloseCode.PolicyViolation;
  }
}

/**
 * The reason of `UpgradeRequest.signal` once an upgrade no longer waits for its checks: it was
 * answered (refused, or 503 after `handshakeTimeout`) or its client left. A check that stops
 * on the signal may reject with it; nothing more is sent to that client either way.
 */
export class UpgradeAbandonedError extends DuetError {
  readonly code = 'DUET_ERR_UPGRADE_ABANDONED';
}

/**
 * A peer read too slowly: its outbound buffer went past the service's `maxBufferedBytes` under
 * `slowConsumerPolicy: 'close'`, so the connection is closed with 1013 (try again later).
 */
export class SlowConsumerError extends DuetError {
  readonly code = 'DUET_ERR_SLOW_CONSUMER';
  readonly closeCode = CloseCode.TryAgainLater;

  constructor(readonly maxBufferedBytes?: number) {
    super(
      maxBufferedBytes === undefined
        ? 'The peer reads too slowly; the connection is closed with 1013.'
        : `The peer's outbound buffer went past maxBufferedBytes (${maxBufferedBytes}); the connection is closed with 1013.`,
    );
  }
}

/**
 * An authenticator failed instead of accepting or refusing: it returned something that is not a
 * `Principal`, or could not reach its keys (a JWKS endpoint down). The upgrade is answered 500
 * and the detail logged; the client never sees it. `authenticator` is the class name.
 */
export class AuthenticatorError extends DuetError {
  readonly code = 'DUET_ERR_AUTHENTICATOR';
  readonly status = 500;

  constructor(
    readonly authenticator: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The `engine` chosen in `webSocketModule` cannot run here: not one of 'auto', 'ws', 'bun';
 * 'bun' outside the Bun runtime; or two modules asking for different engines. Thrown by
 * `WebSocketApplication.start` before any port opens.
 */
export class EngineConfigError extends ConfigError {
  readonly code = 'DUET_ERR_ENGINE_CONFIG';

  constructor(problem: string) {
    super('webSocketModule', 'engine', `webSocketModule: 'engine' ${problem}`);
  }
}

/**
 * A message over a `rateLimit` (under `onExceed: 'error'` or `'close'`), or thrown by an
 * interceptor that limits on its own. A typed message gets the error reply with this code and
 * the connection stays open; under `'close'` the connection is closed with 1008 `rate limit`
 * (`closeCode`).
 */
export class RateLimitError extends DuetError {
  readonly code = 'DUET_ERR_RATE_LIMITED';

  constructor(
    message = 'Too many messages: slow down.',
    /** 1008 when the connection is closed for it (`onExceed: 'close'`); `undefined` when it stays open. */
    readonly closeCode?: number,
  ) {
    super(message);
  }
}
