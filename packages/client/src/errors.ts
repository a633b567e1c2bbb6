// The client's errors. Each is a class with a stable `code`; the client runs in browsers, so the
// base is @duet/contract's CodedError rather than @duet/websocket's DuetError.
import { CodedError, type StandardIssue } from '@duet/contract';
import type { CloseInfo } from './close-info';

/** `request()` got no reply within its timeout (counted from the call, queued time included). */
export class RequestTimeoutError extends CodedError {
  readonly code = 'DUET_ERR_REQUEST_TIMEOUT';

  constructor(
    readonly request: string,
    readonly timeoutSeconds: number,
  ) {
    super(`No reply to the '${request}' request within ${timeoutSeconds} s.`);
  }
}

/** The connection dropped after a request was sent and before its reply; the request may or may not have run. */
export class ConnectionLostError extends CodedError {
  readonly code = 'DUET_ERR_CONNECTION_LOST';

  constructor(
    readonly request: string,
    readonly closeCode: number,
    readonly reason: string,
  ) {
    super(`The connection closed (${closeCode}${reason ? `: ${reason}` : ''}) before the reply to '${request}' arrived.`);
  }
}

/**
 * The server answered a request with its error reply (`{ type: 'error', message, issues, id }`).
 * `message` and `issues` are the server's; `remoteCode` is the reply's `code` when it has one.
 */
export class RemoteError extends CodedError {
  readonly code = 'DUET_ERR_REMOTE';

  constructor(
    readonly request: string,
    message: string,
    readonly issues: readonly StandardIssue[],
    readonly remoteCode: string | undefined,
    readonly reply: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/**
 * `refreshToken` was refused: the server did not accept the token (`remoteCode`, e.g.
 * `DUET_ERR_AUTHENTICATION`, with the server's message), or the client was not connected.
 * The connection goes on with its current token.
 */
export class TokenRefreshError extends CodedError {
  readonly code = 'DUET_ERR_TOKEN_REFRESH';

  constructor(
    message: string,
    readonly remoteCode: string | undefined,
  ) {
    super(message);
  }
}

/** A send or request while not connected found the offline queue full (`offlineQueue`). */
export class OfflineQueueFullError extends CodedError {
  readonly code = 'DUET_ERR_OFFLINE_QUEUE_FULL';

  constructor(
    readonly limit: number,
    readonly messageName: string,
  ) {
    super(`The offline queue already holds ${limit} messages: '${messageName}' was not queued (raise offlineQueue or wait for opened()).`);
  }
}

/** The client is closed (by `close()`, by a close that is not retried, or after its last attempt): `closeInfo` says why. */
export class ClientClosedError extends CodedError {
  readonly code = 'DUET_ERR_CLIENT_CLOSED';

  constructor(readonly closeInfo: CloseInfo) {
    super(`The client is closed (${describeClose(closeInfo)}).`);
  }
}

/** `createClient` options that cannot work; `field` names the option. */
export class ClientOptionsError extends CodedError {
  readonly code = 'DUET_ERR_CLIENT_OPTIONS';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`Invalid client option ${field}: ${message}`);
  }
}

/** A bad argument to a client method: a name the contract does not have, a payload that is not a JSON object, a bad close code… */
export class ClientArgumentError extends CodedError {
  readonly code = 'DUET_ERR_CLIENT_ARGUMENT';
}

function describeClose(info: CloseInfo): string {
  const status = info.status === undefined ? '' : `, HTTP ${info.status}`;
  return `${info.by}: ${info.code}${info.reason ? ` ${info.reason}` : ''}${status}`;
}
