// The errors only the client raises. Like the rest of the catalogue in ../errors they are
// classes with a stable `code`; they keep plain values (status, codes, counts) and never a
// socket or a request, so they can be logged and serialised as they are.
import { ConfigError, DuetError } from '../errors';
import type { MessageKind } from '../frames';

/** `WebSocketClient.connect` was given a configuration it cannot use; `field` names the option. */
export class ClientConfigError extends ConfigError {
  readonly code = 'DUET_ERR_CLIENT_CONFIG';

  constructor(field: string, problem: string) {
    super('WebSocketClient', field, `WebSocketClient config: '${field}' ${problem}`);
  }
}

/** The server answered the opening handshake with an HTTP response other than 101. */
export class HandshakeError extends DuetError {
  readonly code = 'DUET_ERR_HANDSHAKE';

  constructor(
    /** The HTTP status of the refusal (401, 404, 503…). */
    readonly status: number,
    /** The start of the response body, as text (at most 4 KiB). */
    readonly body: string,
  ) {
    super(`The server refused the WebSocket handshake with HTTP ${status}.`);
  }
}

/**
 * The server could not be reached, or the handshake did not complete: connection refused or
 * reset, unknown host, handshake timeout, a response that is not a valid WebSocket upgrade.
 */
export class ConnectError extends DuetError {
  readonly code = 'DUET_ERR_CONNECT';

  constructor(
    message: string,
    /** The system or engine code when there is one (`ECONNREFUSED`, `ETIMEDOUT`…). */
    readonly systemCode: string | undefined,
  ) {
    super(message);
  }
}

/** The TLS handshake of a `wss` connection failed: an untrusted or invalid certificate, say. */
export class TlsError extends DuetError {
  readonly code = 'DUET_ERR_TLS';

  constructor(
    message: string,
    /** OpenSSL's or Node's code for the failure, e.g. `SELF_SIGNED_CERT_IN_CHAIN`. */
    readonly tlsCode: string | undefined,
  ) {
    super(message);
  }
}

/** No message arrived within `readTimeout`; the connection stays open and usable. */
export class ReadTimeoutError extends DuetError {
  readonly code = 'DUET_ERR_READ_TIMEOUT';

  constructor(readonly timeoutSeconds: number) {
    super(`No message arrived within the read timeout of ${timeoutSeconds} s.`);
  }
}

/**
 * `refreshToken` was refused by the server (`remoteCode`: `DUET_ERR_AUTHENTICATION` for a token
 * that is not valid…, with the server's message). The connection goes on with its current token.
 */
export class TokenRefusedError extends DuetError {
  readonly code = 'DUET_ERR_TOKEN_REFUSED';

  constructor(
    message: string,
    /** The code of the server's answer, when it gave one. */
    readonly remoteCode: string | undefined,
  ) {
    super(message);
  }
}

/**
 * A write was not handed to the operating system within `writeTimeout` (the peer stopped
 * reading). The frame stays queued and is still sent if the peer catches up.
 */
export class WriteTimeoutError extends DuetError {
  readonly code = 'DUET_ERR_WRITE_TIMEOUT';

  constructor(readonly timeoutSeconds: number) {
    super(`A write did not complete within the write timeout of ${timeoutSeconds} s.`);
  }
}

/**
 * `readTextMessage()` found a binary message next, or `readBinaryMessage()` a text one. The
 * message stays first in the queue for a read of the right kind.
 */
export class MessageTypeError extends DuetError {
  readonly code = 'DUET_ERR_MESSAGE_TYPE';

  constructor(
    readonly expected: MessageKind,
    readonly actual: MessageKind,
  ) {
    super(`Expected a ${expected} message but the next message is ${actual}; it is left for the next read.`);
  }
}

/** Every attempt allowed by `retryConfig` failed; `lastError` is why the last one did. */
export class RetryExhaustedError extends DuetError {
  readonly code = 'DUET_ERR_RETRY_EXHAUSTED';

  constructor(
    /** How many connection attempts were made in all. */
    readonly attempts: number,
    readonly lastError: Error,
  ) {
    super(`Could not connect after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${lastError.message}`);
  }
}
