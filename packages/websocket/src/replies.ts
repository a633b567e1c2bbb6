// Turns what a handler returned into frame data: a string is a text frame, bytes are a binary
// frame, anything else is JSON text. `undefined` means "no reply" and never reaches here.
import { MAX_CONTROL_PAYLOAD_BYTES } from './close-codes';
import { ReplyEncodingError } from './errors';
import { type FrameData, toJsonFrame } from './frames';

export type { FrameData };

/** Binary frame data as a Buffer over the same memory (no copy). */
export function bytesOf(data: Buffer | Uint8Array | ArrayBuffer): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** A ping's or pong's payload as an engine takes it: a string, or bytes over the same memory. */
export function controlData(data: FrameData | undefined): string | Uint8Array | undefined {
  return data === undefined || typeof data === 'string' ? data : bytesOf(data);
}

/** The length of frame data: UTF-16 units of a string (enough to tell an empty one), bytes otherwise. */
export function byteLengthOf(data: FrameData): number {
  return typeof data === 'string' ? data.length : data.byteLength;
}

export function toFrameData(value: unknown): FrameData {
  if (typeof value === 'string' || value instanceof Uint8Array || value instanceof ArrayBuffer) return value;
  return toJsonFrame(value, "the handler's return value");
}

/** A pong carries bytes (at most 125): a returned string is sent as its UTF-8 bytes. */
export function toPongData(value: unknown): Buffer | Uint8Array | ArrayBuffer | string {
  if (typeof value !== 'string' && !(value instanceof Uint8Array) && !(value instanceof ArrayBuffer)) {
    throw new ReplyEncodingError(`an @OnPing handler must return bytes, a string or nothing, got ${typeof value}`);
  }
  const size = typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
  if (size > MAX_CONTROL_PAYLOAD_BYTES) throw new ReplyEncodingError(`a pong carries at most 125 bytes, got ${size}`);
  return value;
}
