// `CloseFrame`: what a handler returns to close its connection (Ballerina's close frames). The
// connection closes with it once the replies written before are out, as `caller.close` would,
// and waits `connectionClosureTimeout` for the client's answer. A code that may not be sent
// fails where the frame is made, so the handler throws: `@OnError`, then 1011.
import { CloseCode, MAX_CLOSE_REASON_BYTES, isSendableCloseCode } from './close-codes';
import { InvalidArgumentError } from './errors';

export class CloseFrame {
  /** 1000: the purpose of the connection is fulfilled. */
  static readonly NormalClosure = new CloseFrame(CloseCode.NormalClosure);
  /** 1001: the server is going away (shutting down, or the user left). */
  static readonly GoingAway = new CloseFrame(CloseCode.GoingAway);
  /** 1003: a kind of data the service does not take. */
  static readonly UnsupportedData = new CloseFrame(CloseCode.UnsupportedData);
  /** 1007: data that does not match its message type (not UTF-8, not the expected format). */
  static readonly InvalidPayload = new CloseFrame(CloseCode.InvalidPayload);
  /** 1008: a message that violates the service's policy. */
  static readonly PolicyViolation = new CloseFrame(CloseCode.PolicyViolation);
  /** 1009: a message too big to process. */
  static readonly MessageTooBig = new CloseFrame(CloseCode.MessageTooBig);
  /** 1011: the server met a condition that kept it from fulfilling the request. */
  static readonly InternalServerError = new CloseFrame(CloseCode.InternalError);

  /**
   * @param code a close code that may be sent: 1000-1003, 1007-1014, or 3000-4999 for
   *   libraries and applications; any other throws `InvalidArgumentError`
   * @param reason at most 123 bytes of UTF-8
   */
  constructor(
    readonly code: number,
    readonly reason = '',
  ) {
    if (typeof code !== 'number' || !isSendableCloseCode(code)) {
      throw new InvalidArgumentError(`CloseFrame: ${String(code)} is not a close code that may be sent`);
    }
    if (typeof reason !== 'string' || Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
      throw new InvalidArgumentError(`CloseFrame: a close reason must be a string of at most ${MAX_CLOSE_REASON_BYTES} bytes`);
    }
    Object.freeze(this);
  }
}
