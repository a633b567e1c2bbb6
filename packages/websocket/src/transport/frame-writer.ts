// Server frames written in one piece. `ws.send` builds an options object, a header buffer and
// a corked two-part write for every frame; here a frame is its header and payload in one
// buffer handed to ws's sender, and a broadcast frames its message once for every socket.
// Only the sender's `sendFrame` is used (the route engine.io takes for its pre-encoded
// broadcasts), and only while ws has nothing queued of its own; the installed ws is probed
// once, and without that method every frame goes through `ws.send`.
import WebSocket from 'ws';
import { type FrameData, bytesOf } from '../replies';
import { BINARY_OPCODE, type EncodedFrame, TEXT_OPCODE, frameFor, headerLength, writeHeader } from './frame-encoding';

/**
 * Payloads up to this size are copied behind their header, in a slice of Node's shared buffer
 * pool; larger ones go out as header and payload in one corked write, as ws.send does (a
 * buffer of their own per frame costs more than the two-part write).
 */
const COPY_LIMIT = 4000;
const TEXT_OPTIONS = { binary: false } as const;
const BINARY_OPTIONS = { binary: true } as const;

/** The part of ws's per-socket sender used here (ws 8.18+: `_state` 0 is idle, `_queue` holds deferred frames). */
interface WsSender {
  sendFrame(list: (Buffer | string | undefined)[], cb: undefined): void;
  readonly _state: number;
  readonly _queue: readonly unknown[];
}

type SocketWithSender = WebSocket & { readonly _sender: WsSender | null };

/** Whether the installed ws has the sender this file writes through. */
export const FRAMES_WRITABLE_DIRECTLY = probeSender();

function probeSender(): boolean {
  const SenderClass = (WebSocket as unknown as { Sender?: new (socket: null) => Partial<WsSender> }).Sender;
  if (typeof SenderClass !== 'function') return false;
  try {
    const probe = new SenderClass(null);
    return typeof probe.sendFrame === 'function' && probe._state === 0 && Array.isArray(probe._queue);
  } catch {
    return false;
  }
}

/** Whether frames may be written directly to this socket: no extension (compression) negotiated. */
export function acceptsDirectFrames(socket: WebSocket): boolean {
  return FRAMES_WRITABLE_DIRECTLY && socket.extensions === '';
}

// One slot reused for every single-part frame: `sendFrame` reads it synchronously.
const single: (Buffer | undefined)[] = [undefined];

/**
 * The sender, when the connection may write to it directly (`direct`: its `acceptsDirectFrames`)
 * and it has nothing of its own queued, so a direct frame keeps the order.
 */
export function idleSender(socket: WebSocket, direct: boolean): WsSender | undefined {
  if (!direct) return undefined;
  const sender = (socket as SocketWithSender)._sender;
  if (sender === null || sender._state !== 0 || sender._queue.length !== 0) return undefined;
  return sender;
}

export function writeSingle(sender: WsSender, frame: Buffer): void {
  single[0] = frame;
  sender.sendFrame(single, undefined);
  single[0] = undefined;
}

function writeTwoParts(sender: WsSender, opcode: number, length: number, payload: Buffer | string): void {
  const header = Buffer.allocUnsafe(headerLength(length));
  writeHeader(header, opcode, length);
  sender.sendFrame([header, payload], undefined);
}

/** Payload bytes behind their header: copied into one buffer when small, two parts when large. */
export function writeBytes(sender: WsSender, opcode: number, payload: Buffer): void {
  const length = payload.length;
  if (length > COPY_LIMIT) {
    writeTwoParts(sender, opcode, length, payload);
    return;
  }
  const frame = frameFor(opcode, length);
  payload.copy(frame, frame.length - length);
  writeSingle(sender, frame);
}

/** A string as a text frame: encoded straight behind its header when small. */
export function writeString(sender: WsSender, text: string): void {
  const length = Buffer.byteLength(text);
  if (length > COPY_LIMIT) {
    writeTwoParts(sender, TEXT_OPCODE, length, text);
    return;
  }
  const frame = frameFor(TEXT_OPCODE, length);
  frame.write(text, frame.length - length, length, 'utf8');
  writeSingle(sender, frame);
}

/**
 * Sends `data` on an open socket: a string as a text frame, bytes as a binary frame.
 * `direct`: the connection's `acceptsDirectFrames`.
 */
export function writeFrame(socket: WebSocket, data: FrameData, direct: boolean): void {
  const sender = idleSender(socket, direct);
  if (sender === undefined) socket.send(data);
  else if (typeof data === 'string') writeString(sender, data);
  else writeBytes(sender, BINARY_OPCODE, bytesOf(data));
}

/**
 * Sends `bytes`, which are valid UTF-8 (a text message as received), as a text frame: for a
 * reply that is the very text just received, no re-encoding of the string.
 */
export function writeTextBytes(socket: WebSocket, bytes: Buffer, direct: boolean): void {
  const sender = idleSender(socket, direct);
  if (sender === undefined) socket.send(bytes, TEXT_OPTIONS);
  else writeBytes(sender, TEXT_OPCODE, bytes);
}

/** Sends an encoded frame (or, when the socket cannot take it directly, its payload through ws). */
export function writeEncodedFrame(socket: WebSocket, encoded: EncodedFrame, direct: boolean): void {
  const sender = idleSender(socket, direct);
  if (sender === undefined) socket.send(encoded.payload, encoded.binary ? BINARY_OPTIONS : TEXT_OPTIONS);
  else writeSingle(sender, encoded.frame);
}
