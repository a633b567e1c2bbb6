// Checks and encodings of what the client sends: a value given to `writeMessage` becomes a
// text or binary frame, and ping/pong payloads are held to the 125-byte control frame limit.
import { MAX_CONTROL_PAYLOAD_BYTES } from '../close-codes';
import { InvalidArgumentError } from '../errors';

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
