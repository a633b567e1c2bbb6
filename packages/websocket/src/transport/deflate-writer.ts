// Writes to a ws socket that negotiated permessage-deflate. Messages under the service's
// `threshold` leave uncompressed (RSV1 clear) and, when ws's sender is idle, through Duet's own
// frame writer as on any socket; larger ones go through ws's compressing sender (ws 8.23 would
// compress them all unless no-context-takeover was agreed, so the threshold is applied here).
// A broadcast to sockets that agreed no server context takeover is deflated once by the
// `SharedDeflater` of their parameters and the same frame is written to each of them.
import { constants, deflateRawSync } from 'node:zlib';
import type WebSocket from 'ws';
import { compressesText } from '../compression';
import { type FrameData, bytesOf } from '../replies';
import { BINARY_OPCODE, type EncodedFrame, TEXT_OPCODE, frameFor } from './frame-encoding';
import { FRAMES_WRITABLE_DIRECTLY, idleSender, writeBytes, writeSingle, writeString } from './frame-writer';

const RSV1 = 0x40;
const PLAIN_TEXT = { binary: false, compress: false } as const;
const PLAIN_BINARY = { binary: true, compress: false } as const;
const COMPRESSED_TEXT = { binary: false, compress: true } as const;
const COMPRESSED_BINARY = { binary: true, compress: true } as const;
/** What a deflate block flushed with Z_SYNC_FLUSH ends with; RFC 7692 7.2.1 has it removed. */
const FLUSH_TAIL_LENGTH = 4;

/**
 * One message deflated with no context before or after it, with fixed parameters: the same
 * bytes serve every socket that agreed them. One per service and negotiated window.
 */
export class SharedDeflater {
  private readonly options: { level: number; memLevel: number; windowBits: number; finishFlush: number };

  constructor(level: number, memLevel: number, windowBits: number) {
    this.options = { level, memLevel, windowBits, finishFlush: constants.Z_SYNC_FLUSH };
  }

  /** `encoded` as a compressed frame: made by the first socket that asks, kept on the frame for the others. */
  frameOf(encoded: EncodedFrame): Buffer {
    if (encoded.deflatedBy === this) return encoded.deflated!;
    // Synchronous: one deflate for the whole broadcast is cheaper than a trip to zlib's thread
    // pool per socket, and it lets the frame be written in order right now.
    const deflated = deflateRawSync(encoded.payload, this.options);
    const length = deflated.length - FLUSH_TAIL_LENGTH;
    const frame = frameFor((encoded.binary ? BINARY_OPCODE : TEXT_OPCODE) | RSV1, length);
    deflated.copy(frame, frame.length - length, 0, length);
    encoded.deflated = frame;
    encoded.deflatedBy = this;
    return frame;
  }
}

/** How one socket's agreed permessage-deflate is written: shared by every socket that agreed the same. */
export interface DeflateSending {
  readonly threshold: number;
  /** Present when the server keeps no context between messages: broadcasts are deflated once. */
  readonly shared: SharedDeflater | undefined;
}

/** Sends `data` on a compressing socket: a string as a text frame, bytes as a binary frame. */
export function writeCompressible(socket: WebSocket, data: FrameData, sending: DeflateSending): void {
  if (typeof data === 'string') {
    if (compressesText(data, sending.threshold)) {
      socket.send(data, COMPRESSED_TEXT);
      return;
    }
    const sender = idleSender(socket, FRAMES_WRITABLE_DIRECTLY);
    if (sender === undefined) socket.send(data, PLAIN_TEXT);
    else writeString(sender, data);
    return;
  }
  const bytes = bytesOf(data);
  if (bytes.length >= sending.threshold) {
    socket.send(bytes, COMPRESSED_BINARY);
    return;
  }
  const sender = idleSender(socket, FRAMES_WRITABLE_DIRECTLY);
  if (sender === undefined) socket.send(bytes, PLAIN_BINARY);
  else writeBytes(sender, BINARY_OPCODE, bytes);
}

/** Sends valid UTF-8 `bytes` as a text frame on a compressing socket. */
export function writeCompressibleText(socket: WebSocket, bytes: Buffer, sending: DeflateSending): void {
  if (bytes.length >= sending.threshold) {
    socket.send(bytes, COMPRESSED_TEXT);
    return;
  }
  const sender = idleSender(socket, FRAMES_WRITABLE_DIRECTLY);
  if (sender === undefined) socket.send(bytes, PLAIN_TEXT);
  else writeBytes(sender, TEXT_OPCODE, bytes);
}

/** Sends a message encoded for many sockets on a compressing socket. */
export function writeCompressibleEncoded(socket: WebSocket, encoded: EncodedFrame, sending: DeflateSending): void {
  if (encoded.payload.length < sending.threshold) {
    const sender = idleSender(socket, FRAMES_WRITABLE_DIRECTLY);
    if (sender === undefined) socket.send(encoded.payload, encoded.binary ? PLAIN_BINARY : PLAIN_TEXT);
    else writeSingle(sender, encoded.frame);
    return;
  }
  const shared = sending.shared;
  const sender = shared === undefined ? undefined : idleSender(socket, FRAMES_WRITABLE_DIRECTLY);
  // With context takeover each socket's compressor has its own history: ws deflates per socket.
  // A busy sender (a reply being deflated) keeps the order by queueing behind it.
  if (sender === undefined) socket.send(encoded.payload, encoded.binary ? COMPRESSED_BINARY : COMPRESSED_TEXT);
  else writeSingle(sender, shared!.frameOf(encoded));
}
