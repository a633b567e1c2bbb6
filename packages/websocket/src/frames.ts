// Frame helpers shared by the server's `Caller`, broadcasts and the client: which values are
// bytes, how a value becomes JSON text, and RFC 6455's limits on control payloads and close
// arguments. One copy, so the server and the client refuse the same things with the same errors.
import { MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD_BYTES, isSendableCloseCode } from './close-codes';
import { InvalidArgumentError, ReplyEncodingError } from './errors';
import { timerSecondsProblem } from './timer-limits';

/** Bytes a binary write accepts, on the server (`Caller`, broadcasts) and the client alike. */
export type BinaryData = Buffer | Uint8Array | ArrayBuffer;

/** What a data frame carries: text as a string, binary as bytes (what observers see sent, too). */
export type FrameData = string | BinaryData;

/** The two kinds of data message: a client's typed reads, observers' `messageReceived`/`messageSent`. */
export type MessageKind = 'text' | 'binary';

export function isBinaryData(data: unknown): data is BinaryData {
  return data instanceof Uint8Array || data instanceof ArrayBuffer;
}

/**
 * The JSON text of `value`, or a `ReplyEncodingError` when it has none (a cyclic object, a
 * BigInt, a function, a symbol). `what` names the value in the message ("the handler's return
 * value", "a broadcast", "writeMessage's value").
 */
export function toJsonFrame(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new ReplyEncodingError(`${what} cannot be sent as JSON: ${(error as Error).message}`, { cause: error });
  }
  if (json === undefined) throw new ReplyEncodingError(`${what} is a ${typeof value}, which has no JSON form`);
  return json;
}

/** An error when `data` cannot be a ping or pong payload (at most 125 bytes), otherwise `undefined`. */
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

/**
 * The `setAttribute` / `getAttribute` / `removeAttribute` store of a `Caller` or a client: the map
 * is made on the first `set`, so a connection that never stores anything allocates nothing.
 */
export class Attributes {
  private map: Map<string, unknown> | undefined;

  set(key: string, value: unknown): void {
    (this.map ??= new Map()).set(key, value);
  }

  get<T = unknown>(key: string): T | undefined {
    return this.map?.get(key) as T | undefined;
  }

  remove(key: string): void {
    this.map?.delete(key);
  }
}
