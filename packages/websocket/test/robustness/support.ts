// Shared steps of the robustness cases: the health check that follows every hostile case (a
// fresh connection echoes, nothing unhandled was printed, the process is up), seeded garbage,
// and raw TCP connections that can be reset at any point.
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import { LOOPBACK, Opcode, RawClient, closePayload, upgradeRequest, newKey } from '../conformance/raw-client';
import type { ServerProcess } from './server-process';

/**
 * A fresh connection to `/echo` gets a text and a binary message back unchanged and a clean
 * close; the process is up and has reported and printed no unhandled rejection or exception.
 */
export async function expectHealthy(server: ServerProcess): Promise<void> {
  expect(server.alive).toBe(true);
  const client = await RawClient.connect(server.port, '/echo');
  try {
    const text = `still echoing ${randomBytes(6).toString('hex')}`;
    const bytes = randomBytes(300);
    client.send({ opcode: Opcode.Text, payload: text });
    client.send({ opcode: Opcode.Binary, payload: bytes });
    expect((await client.nextFrame()).payload.toString()).toBe(text);
    expect((await client.nextFrame()).payload.equals(bytes)).toBe(true);
    client.send({ opcode: Opcode.Close, payload: closePayload(1000) });
    expect((await client.serverClose()).code).toBe(1000);
  } finally {
    client.close();
  }
  expect(server.problems).toEqual([]);
  expect(server.printedProblems()).toEqual([]);
}

/**
 * The close the server starts: its close frame, answered as a polite client would (the same
 * code back), then the end of the TCP connection. Resolves with the server's code and reason.
 */
export async function serverInitiatedClose(client: RawClient, timeoutMs = 3000): Promise<{ code: number | undefined; reason: string }> {
  const { code, reason } = await client.nextClose(timeoutMs);
  client.send({ opcode: Opcode.Close, payload: code === undefined ? Buffer.alloc(0) : closePayload(code) });
  await client.ended(timeoutMs);
  return { code, reason };
}

/** Bytes from a seeded generator (xorshift32), so a failing garbage case can be replayed. */
export function garbage(seed: number, length: number): Buffer {
  let state = seed >>> 0 || 0x9e3779b9;
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

const sockets = new Set<Socket>();

/** A TCP connection to the server, tracked so `destroyRawSockets` can clean up after a case. */
export function tcpConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOOPBACK, port });
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // a reset from either side is what these cases are about
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes an upgrade request for `path`; resolves with the bytes after the 101 head once it arrives. */
export function handshake(socket: Socket, path: string, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let bytes = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no 101 for ${path} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const end = bytes.indexOf('\r\n\r\n');
      if (end === -1) return;
      const status = bytes.subarray(0, 12).toString('latin1');
      finish(status.startsWith('HTTP/1.1 101') ? undefined : new Error(`expected 101, got ${status}`), bytes.subarray(end + 4));
    };
    const onClose = () => finish(new Error(`the server closed the connection during the handshake for ${path}`));
    function finish(error: Error | undefined, rest = Buffer.alloc(0)) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(rest);
    }
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(upgradeRequest(path, newKey()));
  });
}

/** Ends a connection with a TCP reset (RST), not a FIN. */
export function reset(socket: Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}

export function destroyRawSockets(): void {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
}

/** Resolves once `socket` has closed (or fails after `timeoutMs`). */
export function closed(socket: Socket, timeoutMs = 5000): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the connection stayed open for ${timeoutMs} ms`)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
