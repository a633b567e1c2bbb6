// A WebSocket client made of raw TCP and nothing else, for conformance cases written from
// RFC 6455: it can put any bytes on the wire (bad opcodes, reserved bits, lying lengths,
// unmasked frames) and reports exactly the bytes the server sends back.
import { createHash, randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';

/** The host every conformance case talks to; nothing is ever sent elsewhere. */
export const LOOPBACK = '127.0.0.1';

/** How long any single wait lasts unless a case says otherwise. */
export const DEFAULT_TIMEOUT_MS = 2000;

/** RFC 6455 §5.2 opcodes. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

// RFC 6455 §1.3: the GUID concatenated with Sec-WebSocket-Key before hashing.
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A frame as it was read off the wire. */
export interface Frame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  /** The payload, unmasked if the frame was masked. */
  readonly payload: Buffer;
  /** Every byte of the frame as received: header, mask key and payload. */
  readonly raw: Buffer;
}

/** What `encodeFrame` may be told; everything has the value a well-behaved client would use. */
export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** Default true. */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** The 4-byte masking key; `false` sends the frame unmasked. Default: a random key. */
  mask?: Buffer | false;
  /**
   * The payload length written in the header when it should differ from the real one
   * (a lie, or a header sent without its payload). A bigint reaches all 64 bits.
   */
  declaredLength?: number | bigint;
}

/** Encodes one frame. Lengths use the shortest form RFC 6455 §5.2 allows, as a server must. */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const length = BigInt(spec.declaredLength ?? payload.length);
  const mask = spec.mask === undefined ? randomBytes(4) : spec.mask;
  let first = spec.opcode & 0x0f;
  if (spec.fin ?? true) first |= 0x80;
  if (spec.rsv1) first |= 0x40;
  if (spec.rsv2) first |= 0x20;
  if (spec.rsv3) first |= 0x10;
  const maskBit = mask === false ? 0 : 0x80;
  let header: Buffer;
  if (length <= 125n) {
    header = Buffer.from([first, maskBit | Number(length)]);
  } else if (length <= 0xffffn) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(length, 2);
  }
  if (mask === false) return Buffer.concat([header, payload]);
  if (mask.length !== 4) throw new RangeError(`a masking key has 4 bytes, got ${mask.length}`);
  return Buffer.concat([header, mask, applyMask(payload, mask)]);
}

/** The exact bytes a server sends for a whole message or control frame: FIN, no mask, shortest length. */
export function serverFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  return encodeFrame({ opcode, payload, mask: false });
}

/** RFC 6455 §5.3: XOR with the key, byte i with key byte i mod 4 (its own inverse). */
export function applyMask(data: Buffer, mask: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ mask[i & 3];
  return out;
}

/** The payload of a close frame: a 2-byte status code, then the reason as UTF-8 (or raw bytes). */
export function closePayload(code: number, reason: string | Buffer = ''): Buffer {
  const status = Buffer.alloc(2);
  status.writeUInt16BE(code, 0);
  return Buffer.concat([status, typeof reason === 'string' ? Buffer.from(reason) : reason]);
}

/** Reads frames out of a byte stream that may split them anywhere. */
export class FrameParser {
  private buffered: Buffer = Buffer.alloc(0);

  /** Adds received bytes; returns the frames they completed, in order. */
  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    for (let frame = this.take(); frame !== undefined; frame = this.take()) frames.push(frame);
    return frames;
  }

  private take(): Frame | undefined {
    const bytes = this.buffered;
    if (bytes.length < 2) return undefined;
    const masked = (bytes[1] & 0x80) !== 0;
    let length = bytes[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (bytes.length < 4) return undefined;
      length = bytes.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (bytes.length < 10) return undefined;
      const declared = bytes.readBigUInt64BE(2);
      if (declared > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new RangeError(`the server declared a payload of ${declared} bytes`);
      }
      length = Number(declared);
      offset = 10;
    }
    const maskAt = offset;
    if (masked) offset += 4;
    if (bytes.length < offset + length) return undefined;
    const body = bytes.subarray(offset, offset + length);
    const payload = masked ? applyMask(body, bytes.subarray(maskAt, maskAt + 4)) : Buffer.from(body);
    const raw = Buffer.from(bytes.subarray(0, offset + length));
    this.buffered = bytes.subarray(offset + length);
    return {
      fin: (bytes[0] & 0x80) !== 0,
      rsv1: (bytes[0] & 0x40) !== 0,
      rsv2: (bytes[0] & 0x20) !== 0,
      rsv3: (bytes[0] & 0x10) !== 0,
      opcode: bytes[0] & 0x0f,
      masked,
      payload,
      raw,
    };
  }
}

/** An HTTP response head (and whatever body arrived before the connection ended). */
export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A close frame as received: `code` is undefined when the payload was empty. */
export interface CloseFrame {
  readonly code: number | undefined;
  readonly reason: string;
  readonly frame: Frame;
}

const open = new Set<Socket>();

/**
 * Sends `request` verbatim (a head, perhaps followed by frames) and resolves with the response
 * once the server has ended the connection.
 */
export function httpExchange(port: number, request: string | Buffer, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<HttpResponse> {
  const socket = track(connect({ host: LOOPBACK, port }));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {}); // a reset after the response is the server's right; the bytes decide
  socket.write(request);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return withTimeout(ended, timeoutMs, 'the server to answer and end the HTTP exchange').then(() => {
    const text = Buffer.concat(chunks).toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end === -1) throw new Error(`no complete HTTP response head in ${JSON.stringify(text)}`);
    return { ...parseHead(text.slice(0, end)), body: text.slice(end + 4) };
  });
}

/** An upgrade request with every header a correct client sends, for the given path and key. */
export function upgradeRequest(path: string, key: string, extraHeaders: Record<string, string> = {}): string {
  const headers: Record<string, string> = {
    Host: LOOPBACK,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
    ...extraHeaders,
  };
  return requestText('GET', path, headers);
}

/** Serialises a request head, headers in the order given. */
export function requestText(method: string, path: string, headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A fresh Sec-WebSocket-Key: 16 random bytes in base64 (RFC 6455 §4.1). */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** The Sec-WebSocket-Accept a server must answer `key` with (RFC 6455 §4.2.2). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
}

/** An open WebSocket connection driven byte by byte. */
export class RawClient {
  /** Every frame the server has sent, in order, including those already taken. */
  readonly received: Frame[] = [];
  private readonly parser = new FrameParser();
  private taken = 0;
  private endedAt = false;
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly socket: Socket,
    /** The server's 101 response. */
    readonly handshake: HttpResponse,
    leftover: Buffer,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    socket.on('error', (error) => {
      this.failure ??= error;
      this.notify();
    });
    if (leftover.length > 0) this.onData(leftover);
    socket.resume(); // paused after the handshake head so that no frame byte was lost
  }

  /**
   * Opens a TCP connection to 127.0.0.1:`port`, performs the opening handshake for `path`
   * with a random key and checks the 101 answer and its Sec-WebSocket-Accept. `headers` are
   * added to the request (an extension offer, say).
   */
  static async connect(port: number, path: string, timeoutMs = DEFAULT_TIMEOUT_MS, headers: Record<string, string> = {}): Promise<RawClient> {
    const socket = track(connect({ host: LOOPBACK, port }));
    socket.setNoDelay(true);
    const key = newKey();
    const { head, leftover } = await withTimeout(readHead(socket), timeoutMs, `the handshake answer from ${path}`);
    if (head.status !== 101) {
      socket.destroy();
      throw new Error(`expected 101 Switching Protocols from ${path}, got ${head.status}`);
    }
    const accept = head.headers['sec-websocket-accept'];
    if (accept !== acceptFor(key)) {
      socket.destroy();
      throw new Error(`Sec-WebSocket-Accept is ${accept}, expected ${acceptFor(key)}`);
    }
    return new RawClient(socket, { ...head, body: '' }, leftover);

    function readHead(s: Socket): Promise<{ head: Omit<HttpResponse, 'body'>; leftover: Buffer }> {
      return new Promise((resolve, reject) => {
        let bytes = Buffer.alloc(0);
        const onData = (chunk: Buffer) => {
          bytes = Buffer.concat([bytes, chunk]);
          const end = bytes.indexOf('\r\n\r\n');
          if (end === -1) return;
          s.off('data', onData);
          s.off('error', reject);
          s.off('close', onClose);
          s.pause();
          resolve({ head: parseHead(bytes.subarray(0, end).toString('latin1')), leftover: bytes.subarray(end + 4) });
        };
        const onClose = () => reject(new Error(`the server closed the connection during the handshake for ${path}`));
        s.on('data', onData);
        s.once('error', reject);
        s.once('close', onClose);
        // Written only now that the answer is listened for, so no early byte is missed.
        s.write(upgradeRequest(path, key, headers));
      });
    }
  }

  /** Encodes and writes one frame. */
  send(spec: FrameSpec): void {
    this.write(encodeFrame(spec));
  }

  /** Writes bytes as they are (several frames at once, or part of one). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Writes `bytes` in pieces of `chunkSize`, each flushed to the kernel before the next. */
  async writeSlowly(bytes: Buffer, chunkSize = 1): Promise<void> {
    for (let at = 0; at < bytes.length; at += chunkSize) {
      const piece = bytes.subarray(at, at + chunkSize);
      await new Promise<void>((resolve, reject) =>
        this.socket.write(piece, (error) => (error ? reject(error) : resolve())),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The next frame not yet taken. */
  async nextFrame(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    await this.until(() => this.taken < this.received.length, timeoutMs, 'the next frame');
    return this.received[this.taken++];
  }

  /** The next frame, which must be a close frame; its status code and reason. */
  async nextClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CloseFrame> {
    const frame = await this.nextFrame(timeoutMs);
    if (frame.opcode !== Opcode.Close) {
      throw new Error(`expected a close frame, got opcode ${frame.opcode} with ${describe(frame.payload)}`);
    }
    const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined;
    return { code, reason: frame.payload.subarray(2).toString(), frame };
  }

  /** The close the server starts or answers with: its close frame (the next frame), then the TCP end. */
  async serverClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ code: number | undefined; reason: string }> {
    const { code, reason } = await this.nextClose(timeoutMs);
    await this.ended(timeoutMs);
    return { code, reason };
  }

  /** Resolves when the server has ended the TCP connection with a FIN (a reset fails the wait). */
  async ended(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.until(() => this.endedAt, timeoutMs, 'the server to end the TCP connection');
  }

  /** Frames received but not yet taken. */
  get untaken(): readonly Frame[] {
    return this.received.slice(this.taken);
  }

  /** Whether the server has ended the TCP connection. */
  get isEnded(): boolean {
    return this.endedAt;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      this.received.push(...this.parser.push(chunk));
    } catch (error) {
      this.failure ??= error as Error;
    }
    this.notify();
  }

  private onEnd(): void {
    this.endedAt = true;
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      // A stream error or an unparseable frame ends every wait; so does an end that can bring nothing more.
      if (this.failure !== undefined) throw new Error(`while waiting for ${what}: ${this.failure.message}`);
      if (this.endedAt && !condition()) {
        throw new Error(`the server ended the connection while the client waited for ${what}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), left, what).catch(() => {});
    }
  }
}

/** Destroys every socket this module opened; call it after each case. */
export function closeAllRawSockets(): void {
  for (const socket of open) socket.destroy();
  open.clear();
}

function track(socket: Socket): Socket {
  open.add(socket);
  socket.once('close', () => open.delete(socket));
  return socket;
}

function parseHead(head: string): Omit<HttpResponse, 'body'> {
  const [statusLine, ...lines] = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (match === null) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { status: Number(match[1]), headers };
}

function describe(payload: Buffer): string {
  return payload.length <= 32 ? `payload ${payload.toString('hex') || '(empty)'}` : `${payload.length} bytes`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
