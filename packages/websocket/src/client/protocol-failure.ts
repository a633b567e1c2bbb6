// What the client reports when the server breaks the protocol. `ws` finds the fault, sends
// the close frame its code calls for and emits an 'error' carrying that code; the client turns
// it into the ConnectionClosedError its reads and writes reject with, with a reason a person
// can act on, instead of the 1006 the engine reports once the TCP connection is gone.
import { CloseCode, closeCodeOfEngineError } from '../close-codes';
import { ConnectionClosedError } from '../errors';

/**
 * The close a protocol error of the engine causes, or `undefined` for any other error (a reset
 * connection, say), which ends in an abnormal closure (1006) instead.
 */
export function protocolFailure(error: Error & { code?: unknown }, maxFrameSize: number): ConnectionClosedError | undefined {
  if (typeof error.code !== 'string' || !error.code.startsWith('WS_ERR_')) return undefined;
  const closeCode = closeCodeOfEngineError(error);
  if (closeCode === CloseCode.AbnormalClosure) return undefined;
  return new ConnectionClosedError(closeCode, reasonFor(error.code, closeCode, error.message, maxFrameSize));
}

function reasonFor(engineCode: string, closeCode: number, message: string, maxFrameSize: number): string {
  if (closeCode === CloseCode.MessageTooBig) return `the server sent a message larger than maxFrameSize (${maxFrameSize} bytes)`;
  if (closeCode === CloseCode.InvalidPayload) return 'the server sent invalid UTF-8 (in a text message or a close reason)';
  if (engineCode === 'WS_ERR_UNEXPECTED_MASK') return 'the server sent a masked frame (RFC 6455 §5.1: servers must not mask)';
  return `the server broke the WebSocket protocol: ${message}`;
}
