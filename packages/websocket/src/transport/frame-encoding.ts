// RFC 6455 frame headers written by Duet itself (server frames: never masked): the header of a
// frame for a payload length, and a message framed once for many sockets (a broadcast). Plain
// bytes, no engine: the engine writes them (frame-writer.ts for ws).

export const TEXT_OPCODE = 0x81; // FIN + text
export const BINARY_OPCODE = 0x82; // FIN + binary

export function headerLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
}

export function writeHeader(target: Buffer, opcode: number, payloadLength: number): void {
  target[0] = opcode;
  if (payloadLength < 126) {
    target[1] = payloadLength;
  } else if (payloadLength < 65536) {
    target[1] = 126;
    target.writeUInt16BE(payloadLength, 2);
  } else {
    target[1] = 127;
    target[2] = target[3] = 0;
    target.writeUIntBE(payloadLength, 4, 6);
  }
}

/** A frame buffer with its header written and room for `length` payload bytes at its end. */
export function frameFor(opcode: number, length: number): Buffer {
  const frame = Buffer.allocUnsafe(headerLength(length) + length);
  writeHeader(frame, opcode, length);
  return frame;
}

/** A message framed once, for many sockets. */
export interface EncodedFrame {
  readonly payload: Buffer;
  readonly binary: boolean;
  /** Header and payload in one buffer. */
  readonly frame: Buffer;
  /**
   * The same message compressed, as a whole frame (RSV1 set), and the compressor it was made
   * for: filled by the first socket that shares one (permessage-deflate without server context
   * takeover), so the message is deflated once for all of them.
   */
  deflated: Buffer | undefined;
  deflatedBy: object | undefined;
}

export function encodeFrame(payload: Buffer, binary: boolean): EncodedFrame {
  const frame = frameFor(binary ? BINARY_OPCODE : TEXT_OPCODE, payload.length);
  payload.copy(frame, frame.length - payload.length);
  return { payload, binary, frame, deflated: undefined, deflatedBy: undefined };
}

