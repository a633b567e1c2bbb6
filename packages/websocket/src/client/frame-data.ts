// Checks and encodings of what the client sends: a value given to `writeMessage` becomes a
// text or binary frame; ping/pong payloads and close arguments are held to RFC 6455's limits.
import { MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD_BYTES, isSendableCloseCode } from '../close-codes';
import { InvalidArgumentError } from '../errors';
import { timerSecondsProblem } from '../timer-limits';

/** Bytes a binary write accepts. */
export type ClientBinaryData = Buffer | Uint8Array | ArrayBuffer;

export function isBinaryData(data: unknown): data is ClientBinaryData {
  return data instanceof Uint8Array || data instanceof ArrayBuffer;
}

/** A string stays text, bytes stay binary, anything else becomes JSON text. */
export function toMessageData(value: unknown): string | ClientBinaryData {
  if (typeof value === 'string' || isBinaryData(value)) return value;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new InvalidArgumentError(`writeMessage cannot send this value as JSON: ${(error as Error).message}`);
  }
  if (json === undefined) throw new InvalidArgumentError(`writeMessage cannot send a ${typeof value}`);
  return json;
}

/** An error when `data` cannot be a ping or pong payload, otherwise `undefined`. */
export function checkControlPayload(kind: string, data: unknown): InvalidArgumentError | undefined {
  if (data === undefined) return undefined;
  const size = typeof data === 'string' ? Buffer.byteLength(data) : isBinaryData(data) ? data.byteLength : -1;
  if (size < 0) return new InvalidArgumentError(`${kind} data must be a Buffer, Uint8Array, ArrayBuffer or string`);
  if (size > MAX_CONTROL_PAYLOAD_BYTES) {
    return new InvalidArgumentError(`${kind} data is ${size} bytes; control frames carry at most ${MAX_CONTROL_PAYLOAD_BYTES}`);
  }
  return undefined;
}

/** An error when `close(statusCode, reason, timeoutSeconds)` cannot be done as asked, otherwise `undefined`. */
export function checkCloseArguments(statusCode: unknown, reason: unknown, timeoutSeconds: unknown): InvalidArgumentError | undefined {
  if (typeof statusCode !== 'number' || !isSendableCloseCode(statusCode)) {
    return new InvalidArgumentError(`${String(statusCode)} is not a close code that may be sent`);
  }
  if (typeof reason !== 'string' || Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
    return new InvalidArgumentError(`a close reason must be a string of at most ${MAX_CLOSE_REASON_BYTES} bytes`);
  }
  const problem = timerSecondsProblem(timeoutSeconds, 'zero allowed');
  if (problem !== undefined) return new InvalidArgumentError(`close: timeoutSeconds ${problem}`);
  return undefined;
}
