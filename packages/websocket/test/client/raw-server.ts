// A hostile server for the client's tests: a bare TCP server on 127.0.0.1 that writes the
// handshake and the frames by hand, so it can send what `ws` never would (a masked frame,
// invalid UTF-8, a frame over the client's limit, a 101 one byte at a time), and counts the
// connections it accepted, which is what a retry policy must bound.
import { createHash } from 'node:crypto';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface RawServer {
  readonly url: string;
  /** TCP connections accepted so far. */
  readonly accepted: number;
  /** Bytes each connection sent after its handshake request, in order of connection. */
  readonly received: Buffer[][];
  close(): Promise<void>;
}

/**
 * Calls `onRequest` with the socket and the handshake request (its head, as text) of every
 * connection. What the client sends after the head is collected in `received`.
 */
export async function startRawServer(onRequest: (socket: Socket, head: string) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const received: Buffer[][] = [];
  let accepted = 0;
  // Half-open allowed: a client's FIN does not close the server's side; only the test does.
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    const chunks: Buffer[] = [];
    received.push(chunks);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (end + 4 < head.length) chunks.push(head.subarray(end + 4));
      socket.on('data', (data: Buffer) => chunks.push(data));
      onRequest(socket, head.subarray(0, end + 4).toString('latin1'));
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    get accepted() {
      return accepted;
    },
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The 101 answer to `head`, with the Sec-WebSocket-Accept its key asks for. */
export function switchingProtocols(head: string): string {
  const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? '';
  const accept = createHash('sha1').update(`${key}${GUID}`).digest('base64');
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
}

/** One frame as a server writes it (unmasked), or masked when `mask` is given. */
export function frame(opcode: number, payload: Buffer, options: { fin?: boolean; mask?: Buffer } = {}): Buffer {
  const { fin = true, mask } = options;
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + extended + (mask === undefined ? 0 : 4));
  header[0] = (fin ? 0x80 : 0) | opcode;
  header[1] = (mask === undefined ? 0 : 0x80) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) header.writeUInt16BE(length, 2);
  if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2);
  if (mask === undefined) return Buffer.concat([header, payload]);
  mask.copy(header, 2 + extended);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
  return Buffer.concat([header, masked]);
}

/** The first frame a client sent on a connection, unmasked: its opcode and payload. */
export function firstFrame(bytes: Buffer): { opcode: number; payload: Buffer } | undefined {
  if (bytes.length < 2) return undefined;
  const opcode = bytes[0] & 0x0f;
  const masked = (bytes[1] & 0x80) !== 0;
  let length = bytes[1] & 0x7f;
  let at = 2;
  if (length === 126) {
    length = bytes.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    length = Number(bytes.readBigUInt64BE(2));
    at = 10;
  }
  const mask = masked ? bytes.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (bytes.length < at + length) return undefined;
  const payload = Buffer.from(bytes.subarray(at, at + length));
  if (mask !== undefined) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
  return { opcode, payload };
}

/** The close frame the client sent on connection `index`, once it has arrived (looked for up to `ms`). */
export function closeFrameFrom(server: RawServer, index: number, ms = 2000): Promise<{ code: number; reason: string }> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const look = () => {
      const found = firstFrame(Buffer.concat(server.received[index] ?? []));
      if (found?.opcode === 0x8) {
        const { payload } = found;
        resolve({ code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString() });
      } else if (Date.now() > deadline) {
        reject(new Error(`no close frame from the client on connection ${index} within ${ms} ms`));
      } else {
        setTimeout(look, 10);
      }
    };
    look();
  });
}

/** Writes `text` one byte every `everyMs` until it is written or the socket closes. */
export function trickle(socket: Socket, text: string, everyMs: number): void {
  const bytes = Buffer.from(text, 'latin1');
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= bytes.length) {
      clearInterval(timer);
      return;
    }
    socket.write(bytes.subarray(at, at + 1));
    at++;
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}
