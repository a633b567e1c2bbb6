// How a fuzzed connection may end, and the judgement of one that did. The server must answer
// with well-formed frames only and end the connection with a close code from RFC 6455 §7.4.1
// (or echo the code of the client's own close frame), or with a plain TCP close.
import { type Frame, FrameParser } from '../conformance/raw-client';

/** The codes RFC 6455 §7.4.1 defines for an endpoint to send. */
export const RFC_CLOSE_CODES: readonly number[] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011];

/** Opcodes a server sends: text, binary, close, ping, pong (RFC 6455 §5.2). */
const SERVER_OPCODES = new Set([0x1, 0x2, 0x8, 0x9, 0xa]);

/** What the client saw of one fuzzed connection. */
export interface Observed {
  readonly frames: readonly Frame[];
  /** Bytes the frame parser could not read as a frame, if any. */
  readonly parseError: string | undefined;
  /** The server ended the TCP connection. */
  readonly ended: boolean;
}

export type Judgement = { ok: true; outcome: string } | { ok: false; reason: string };

/** Reads the server's bytes as frames, as they arrive. */
export class ServerFrames implements Observed {
  readonly frames: Frame[] = [];
  parseError: string | undefined;
  ended = false;
  private readonly parser = new FrameParser();

  push(chunk: Buffer): void {
    if (this.parseError !== undefined) return;
    try {
      this.frames.push(...this.parser.push(chunk));
    } catch (error) {
      this.parseError = (error as Error).message;
    }
  }

  get closeFrame(): Frame | undefined {
    return this.frames.find((frame) => frame.opcode === 0x8);
  }
}

/** Judges one case from what was sent (`sent`) and what came back. */
export function judge(sent: Buffer, observed: Observed): Judgement {
  if (observed.parseError !== undefined) return { ok: false, reason: `the server sent something that is not a frame: ${observed.parseError}` };
  let closeAt = -1;
  for (const [i, frame] of observed.frames.entries()) {
    if (closeAt !== -1) return { ok: false, reason: `the server sent a frame (opcode ${frame.opcode}) after its close frame` };
    if (frame.masked) return { ok: false, reason: 'the server sent a masked frame' };
    if (frame.rsv1 || frame.rsv2 || frame.rsv3) return { ok: false, reason: 'the server set a reserved bit' };
    if (!SERVER_OPCODES.has(frame.opcode)) return { ok: false, reason: `the server sent opcode ${frame.opcode}` };
    if (frame.opcode === 0x8) closeAt = i;
  }
  if (closeAt === -1) {
    return observed.ended ? { ok: true, outcome: 'TCP close' } : { ok: false, reason: 'the connection was neither closed nor ended' };
  }
  const payload = observed.frames[closeAt].payload;
  if (payload.length === 1) return { ok: false, reason: 'the server sent a close frame with a 1-byte payload' };
  const code = payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
  if (code !== undefined && RFC_CLOSE_CODES.includes(code)) return { ok: true, outcome: `close ${code}` };
  // Anything else is acceptable only as the echo of the client's own close frame.
  if (closeCodesSent(sent).has(code)) {
    return { ok: true, outcome: code === undefined ? 'close without a code (echoed)' : `close ${code < 3000 ? code : '3000–4999'} (echoed)` };
  }
  return { ok: false, reason: `the server closed with ${code ?? 'no code'}, which is neither in RFC 6455 §7.4.1 nor the client's own` };
}

/**
 * The codes of the close frames in a client's byte stream, read as a server would read it up
 * to the first frame that does not fit (`undefined` for a close frame without a code).
 */
export function closeCodesSent(bytes: Buffer): Set<number | undefined> {
  const codes = new Set<number | undefined>();
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at] & 0x0f;
    const masked = (bytes[at + 1] & 0x80) !== 0;
    let length = bytes[at + 1] & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (offset + 2 > bytes.length) break;
      length = bytes.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (offset + 8 > bytes.length) break;
      const declared = bytes.readBigUInt64BE(offset);
      if (declared > BigInt(bytes.length)) break;
      length = Number(declared);
      offset += 8;
    }
    const key = masked ? bytes.subarray(offset, offset + 4) : undefined;
    if (masked) offset += 4;
    if (offset + length > bytes.length) break;
    if (opcode === 0x8) {
      const payload = Buffer.from(bytes.subarray(offset, offset + length));
      if (key !== undefined) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
      codes.add(payload.length >= 2 ? payload.readUInt16BE(0) : undefined);
    }
    at = offset + length;
  }
  return codes;
}
