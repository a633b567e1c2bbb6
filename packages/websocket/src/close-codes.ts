// WebSocket close codes (RFC 6455 §7.4.1 and the IANA registry), named so that code reads as
// the guide does: `caller.close(CloseCode.GoingAway)`.

/** Close codes Duet sends or reports. */
export const CloseCode = {
  NormalClosure: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  NoStatusReceived: 1005,
  AbnormalClosure: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Whether `code` may be put on the wire in a close frame. 1005 and 1006 only ever describe a
 * close locally; 1004 and 1015 are reserved; 3000–4999 belong to libraries and applications.
 */
export function isSendableCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
      (code >= 3000 && code <= 4999))
  );
}

/** A close reason travels in a control frame: at most 123 bytes of UTF-8 after the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** Control frame payloads (ping, pong) are limited to 125 bytes. */
export const MAX_CONTROL_PAYLOAD_BYTES = 125;

/** The close code a `ws` protocol error causes: ws keeps it under a symbol property of the error. */
export function closeCodeOfEngineError(error: object): number {
  for (const symbol of Object.getOwnPropertySymbols(error)) {
    const value = (error as Record<symbol, unknown>)[symbol];
    if (typeof value === 'number' && value >= 1000 && value <= 4999) return value;
  }
  return CloseCode.AbnormalClosure;
}

/** The reason Duet sends with a close it makes after a failure (never the error's own text). */
export function closeReasonFor(code: number): string {
  switch (code) {
    case CloseCode.UnsupportedData:
      return 'unsupported message type';
    case CloseCode.TryAgainLater:
      return 'too many pending messages';
    default:
      return 'internal error';
  }
}
