// The load generator's wire layer: client frames encoded (and masked) once, before a run, and
// a streaming reader of the server's unmasked frames that only counts, checks sizes and, when
// asked, keeps one payload. Nothing here allocates per message.
import { createHash } from 'node:crypto';

export const Opcode = { Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

// A fixed key: the server cannot tell, and the same bytes can then be written again and again.
const MASK_KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** One masked client frame (FIN set) carrying `payload`; `compressed` sets RSV1 (permessage-deflate). */
export function maskedFrame(opcode: number, payload: Buffer, compressed = false): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + lengthBytes + 4 + length);
  frame[0] = 0x80 | (compressed ? 0x40 : 0) | opcode;
  if (lengthBytes === 0) {
    frame[1] = 0x80 | length;
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const keyAt = 2 + lengthBytes;
  MASK_KEY.copy(frame, keyAt);
  for (let i = 0; i < length; i++) frame[keyAt + 4 + i] = payload[i] ^ MASK_KEY[i & 3];
  return frame;
}

/** `count` copies of `frame` back to back, so `k` frames are one `subarray(0, k * frame.length)`. */
export function repeatFrame(frame: Buffer, count: number): Buffer {
  const all = Buffer.alloc(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(all, i * frame.length);
  return all;
}

/** A masked close frame with status 1000. */
export function closeFrame(): Buffer {
  return maskedFrame(Opcode.Close, Buffer.from([0x03, 0xe8]));
}

const HANDSHAKE_KEY = 'ZHVldC1iZW5jaC1rZXkhIQ==';

/** The expected `Sec-WebSocket-Accept` for the fixed key (RFC 6455 §4.2.2). */
export const HANDSHAKE_ACCEPT = createHash('sha1')
  .update(`${HANDSHAKE_KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
  .digest('base64');

/** The opening handshake request, the same bytes for every connection. */
export function upgradeRequest(port: number, path: string, extensions?: string): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\n` +
      `Host: 127.0.0.1:${port}\r\n` +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${HANDSHAKE_KEY}\r\n` +
      (extensions === undefined ? '' : `Sec-WebSocket-Extensions: ${extensions}\r\n`) +
      'Sec-WebSocket-Version: 13\r\n\r\n',
    'latin1',
  );
}

/** What the reader reports for every complete frame. */
export type FrameListener = (opcode: number, length: number) => void;

/**
 * Reads the server's frames from a byte stream, in whatever pieces it arrives. Frames from a
 * server are never masked; a masked one is counted as a protocol error by the caller's check.
 */
export class FrameReader {
  /** Payload bytes of the current frame still to come (0: a header is next). */
  private remaining = 0;
  private opcode = 0;
  private length = 0;
  private readonly header = Buffer.alloc(14);
  private headerBytes = 0;
  /** When set, the payload of the next complete frame is copied here (then cleared). */
  private capture: Buffer | undefined;
  private captured = 0;
  /** The payload captured last (see `captureNext`). */
  lastCaptured: Buffer | undefined;
  /** Whether the frame reported last had RSV1 set (compressed, under permessage-deflate). */
  compressed = false;

  constructor(private readonly onFrame: FrameListener) {}

  /** Keeps the payload of the next frame (up to `max` bytes) in `lastCaptured`. */
  captureNext(max = 65536): void {
    this.capture = Buffer.alloc(max);
    this.captured = 0;
  }

  read(chunk: Buffer, start: number, end: number): void {
    let at = start;
    while (at < end) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, end - at);
        if (this.capture !== undefined) this.keep(chunk, at, take);
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.frameDone();
        continue;
      }
      // A whole header in this chunk (the common case): no copy.
      if (this.headerBytes === 0 && end - at >= 2) {
        const second = chunk[at + 1] & 0x7f;
        const size = second < 126 ? 2 : second === 126 ? 4 : 10;
        if (end - at >= size) {
          this.startFrame(chunk, at);
          at += size;
          if (this.remaining === 0) this.frameDone();
          continue;
        }
      }
      // A header split between chunks: gather it byte by byte.
      this.header[this.headerBytes++] = chunk[at++];
      if (this.headerBytes >= 2) {
        const second = this.header[1] & 0x7f;
        const size = second < 126 ? 2 : second === 126 ? 4 : 10;
        if (this.headerBytes === size) {
          this.startFrame(this.header, 0);
          this.headerBytes = 0;
          if (this.remaining === 0) this.frameDone();
        }
      }
    }
  }

  private startFrame(bytes: Buffer, at: number): void {
    this.opcode = bytes[at] & 0x0f;
    this.compressed = (bytes[at] & 0x40) !== 0;
    const second = bytes[at + 1];
    const short = second & 0x7f;
    let length = short;
    if (short === 126) length = bytes.readUInt16BE(at + 2);
    else if (short === 127) length = bytes.readUInt32BE(at + 2) * 2 ** 32 + bytes.readUInt32BE(at + 6);
    // A masked server frame is a protocol error; it shows up as a length the check rejects.
    if ((second & 0x80) !== 0) this.opcode = -1;
    this.length = length;
    this.remaining = length;
  }

  private keep(chunk: Buffer, at: number, take: number): void {
    const target = this.capture!;
    const room = Math.min(take, target.length - this.captured);
    if (room > 0) chunk.copy(target, this.captured, at, at + room);
    this.captured += take;
  }

  private frameDone(): void {
    if (this.capture !== undefined) {
      this.lastCaptured = this.capture.subarray(0, Math.min(this.captured, this.capture.length));
      this.capture = undefined;
    }
    this.onFrame(this.opcode, this.length);
  }
}
