// One client connection of the load generator: a plain TCP socket that does the opening
// handshake by hand and reads into one buffer shared by every socket (`onread`), so reading
// allocates nothing. What to do with frames is the driver's business.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameReader, HANDSHAKE_ACCEPT, closeFrame, upgradeRequest } from './frames';

/** What a scenario does with its connections' events. */
export interface LoadDriver {
  /** A connection is being made: before its handshake, so before any frame of it. */
  connecting?(connection: LoadConnection): void;
  frame(connection: LoadConnection, opcode: number, length: number): void;
  /** After all frames of one read were reported: the moment to write replies in one go. */
  readDone(connection: LoadConnection): void;
  closed(connection: LoadConnection): void;
}

// Every read lands here; the callback consumes it before the next read can happen.
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const CLOSE_FRAME = closeFrame();
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HANDSHAKE_BYTES = 4096;

export class LoadConnection {
  readonly socket: net.Socket;
  readonly reader: FrameReader;
  /** `performance.now()` (ms) when the current read arrived. */
  readAt = 0;
  /** Why the connection failed or closed unexpectedly, if it did. */
  problem: string | undefined;
  isOpen = false;
  /** Free for the driver (a ring of send times, a counter…). */
  state: unknown;
  /** Bytes read from the server since the handshake: what it put on the wire. */
  bytesIn = 0;
  /** The server's Sec-WebSocket-Extensions answer ('' when none). */
  extensions = '';

  private handshake: Buffer | undefined = Buffer.alloc(0);
  private closing = false;
  private readonly opened: Promise<void>;
  private readonly ended: Promise<void>;

  /** `extensions`: the Sec-WebSocket-Extensions offer, if any (permessage-deflate). */
  constructor(port: number, path: string, private readonly driver: LoadDriver, extensions?: string) {
    this.reader = new FrameReader((opcode, length) => driver.frame(this, opcode, length));
    driver.connecting?.(this);
    let resolveOpen!: () => void;
    let rejectOpen!: (error: Error) => void;
    this.opened = new Promise((resolve, reject) => {
      resolveOpen = resolve;
      rejectOpen = reject;
    });
    this.opened.catch(() => undefined);
    this.socket = net.connect({
      host: '127.0.0.1',
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          this.readAt = performance.now();
          if (this.handshake !== undefined) this.readHandshake(buffer as Buffer, bytes, resolveOpen, rejectOpen);
          else {
            this.bytesIn += bytes;
            this.readFrames(buffer as Buffer, 0, bytes);
          }
          return true;
        },
      },
    });
    this.socket.on('connect', () => this.socket.write(upgradeRequest(port, path, extensions)));
    this.socket.on('error', (error) => {
      this.problem ??= error.message;
      rejectOpen(error);
    });
    this.ended = new Promise((resolve) =>
      this.socket.on('close', () => {
        const wasOpen = this.isOpen;
        this.isOpen = false;
        rejectOpen(new Error(this.problem ?? 'closed during the handshake'));
        if (wasOpen && !this.closing) this.problem ??= 'closed by the server';
        if (wasOpen) driver.closed(this);
        resolve();
      }),
    );
  }

  /** Resolves once the handshake succeeded; rejects with what went wrong. */
  whenOpen(): Promise<void> {
    return this.opened;
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }

  /**
   * Sends a close frame and lets the server end the TCP connection first (RFC 6455 §7.1.1), so
   * the TIME_WAIT state stays on the server's side: ten thousand client ports in TIME_WAIT per
   * turn would slow the next turn's connects. Resolves when the socket has closed (destroyed
   * after `timeoutMs`).
   */
  close(timeoutMs = 3000): Promise<void> {
    this.closing = true;
    if (!this.socket.destroyed) {
      if (this.isOpen) this.socket.write(CLOSE_FRAME);
      else this.socket.end();
      const timer = setTimeout(() => this.socket.destroy(), timeoutMs);
      void this.ended.then(() => clearTimeout(timer));
    }
    return this.ended;
  }

  /** Drops the connection at once (no close handshake). */
  destroy(): Promise<void> {
    this.closing = true;
    this.socket.destroy();
    return this.ended;
  }

  private readHandshake(buffer: Buffer, bytes: number, resolve: () => void, reject: (error: Error) => void): void {
    const soFar = Buffer.concat([this.handshake!, buffer.subarray(0, bytes)]);
    const end = soFar.indexOf(HEADER_END);
    if (end < 0) {
      if (soFar.length > MAX_HANDSHAKE_BYTES) this.fail('handshake answer too long', reject);
      else this.handshake = soFar;
      return;
    }
    const head = soFar.toString('latin1', 0, end);
    if (!head.startsWith('HTTP/1.1 101') || !head.includes(HANDSHAKE_ACCEPT)) {
      this.fail(`handshake refused: ${head.split('\r\n')[0]}`, reject);
      return;
    }
    this.handshake = undefined;
    this.extensions = /\r\nsec-websocket-extensions: *([^\r]*)/i.exec(head)?.[1] ?? '';
    this.isOpen = true;
    resolve();
    const rest = end + HEADER_END.length;
    if (rest < soFar.length) this.readFrames(soFar, rest, soFar.length);
  }

  private readFrames(buffer: Buffer, start: number, end: number): void {
    this.reader.read(buffer, start, end);
    this.driver.readDone(this);
  }

  private fail(problem: string, reject: (error: Error) => void): void {
    this.problem = problem;
    this.handshake = undefined;
    reject(new Error(problem));
    this.socket.destroy();
  }
}

export interface OpenResult {
  connections: LoadConnection[];
  failed: number;
  firstProblem: string | undefined;
  /** Wall time from the first connect to the last completed handshake. */
  seconds: number;
}

/**
 * Opens `count` connections with at most `concurrency` handshakes under way at once (a
 * client never has more than that waiting, so the rate is the server's, not the backlog's).
 */
export async function openConnections(
  port: number,
  path: string,
  count: number,
  concurrency: number,
  driver: LoadDriver,
  deadline: number,
  extensions?: string,
): Promise<OpenResult> {
  const connections: LoadConnection[] = [];
  let failed = 0;
  let firstProblem: string | undefined;
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      next++;
      const connection = new LoadConnection(port, path, driver, extensions);
      try {
        await connection.whenOpen();
        connections.push(connection);
      } catch (error) {
        failed++;
        firstProblem ??= (error as Error).message;
        connection.socket.destroy();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const seconds = (performance.now() - started) / 1000;
  if (next < count) {
    failed += count - next;
    firstProblem ??= 'the deadline passed before every connection was opened';
  }
  return { connections, failed, firstProblem, seconds };
}

/** Closes connections with a close handshake, many at a time, within `timeoutMs`. */
export async function closeConnections(connections: readonly LoadConnection[], timeoutMs = 5000): Promise<void> {
  await Promise.all(connections.map((connection) => connection.close(timeoutMs)));
}
