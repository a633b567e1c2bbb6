// A transport in memory: what a connection sends is recorded as frames, and the peer (a spec)
// drives the events and decides when the "kernel" accepts what was sent. It makes the
// connection's ordered dispatch, close-once and slow-consumer decisions testable in
// milliseconds, without sockets; the socket-level suite tests the real engine.
import { bytesOf, type FrameData } from '../replies';
import type { EncodedFrame } from './frame-encoding';
import type { Transport, TransportHandler } from './transport';

/** One frame the connection sent. */
export interface SentFrame {
  readonly kind: 'text' | 'binary' | 'ping' | 'pong' | 'close';
  /** Text for text frames and close reasons, bytes otherwise. */
  readonly data: string | Buffer;
  /** The close code, for a close frame. */
  readonly code?: number;
}

export class MemoryTransport implements Transport {
  readonly sent: SentFrame[] = [];
  /** When false, what is sent piles up unaccepted (a peer that does not read) until `drain()`. */
  accepting = true;
  /** Bytes sent that the "kernel" has not accepted. */
  unaccepted = 0;
  /** Whether the connection stopped reading. */
  paused = false;
  protocol = '';
  extensions = '';
  handler: TransportHandler | undefined;
  watchesActivity = false;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private flushWaiters: (() => void)[] = [];

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** The texts of the text frames sent, in order. */
  get texts(): string[] {
    return this.sent.filter((frame) => frame.kind === 'text').map((frame) => frame.data as string);
  }

  attach(handler: TransportHandler, watchActivity: boolean): void {
    this.handler = handler;
    this.watchesActivity = watchActivity;
  }

  backlog(): number {
    return this.unaccepted;
  }

  send(data: FrameData): void {
    if (typeof data === 'string') this.record({ kind: 'text', data }, Buffer.byteLength(data));
    else this.record({ kind: 'binary', data: bytesOf(data) }, data.byteLength);
  }

  sendTextBytes(bytes: Buffer): void {
    this.record({ kind: 'text', data: bytes.toString() }, bytes.length);
  }

  sendEncoded(frame: EncodedFrame): void {
    if (frame.binary) this.record({ kind: 'binary', data: frame.payload }, frame.payload.length);
    else this.record({ kind: 'text', data: frame.payload.toString() }, frame.payload.length);
  }

  sendAndFlush(data: FrameData): Promise<boolean> {
    this.send(data);
    return new Promise((resolve) => this.onFlushed(() => resolve(this.state !== 'closed')));
  }

  ping(data?: FrameData): void {
    this.record({ kind: 'ping', data: data === undefined ? Buffer.alloc(0) : Buffer.from(bytesOrText(data)) }, 2);
  }

  pong(data?: FrameData): void {
    this.record({ kind: 'pong', data: data === undefined ? Buffer.alloc(0) : Buffer.from(bytesOrText(data)) }, 2);
  }

  close(code: number, reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.sent.push({ kind: 'close', data: reason, code });
  }

  terminate(): void {
    this.peerCloses(1006, '');
  }

  pauseReading(): void {
    this.paused = true;
  }

  resumeReading(): void {
    this.paused = false;
  }

  onFlushed(callback: () => void): void {
    if (this.unaccepted === 0 || this.state === 'closed') queueMicrotask(callback);
    else this.flushWaiters.push(callback);
  }

  // --- the peer's side ----------------------------------------------------------------------

  /** The peer reads everything sent so far. */
  drain(): void {
    this.unaccepted = 0;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const callback of waiters) callback();
  }

  receiveText(text: string): void {
    if (this.watchesActivity) this.handler!.transportActivity();
    this.handler!.transportMessage(Buffer.from(text), false);
  }

  receiveBinary(bytes: Buffer): void {
    if (this.watchesActivity) this.handler!.transportActivity();
    this.handler!.transportMessage(bytes, true);
  }

  receivePing(data: Buffer = Buffer.alloc(0)): void {
    this.handler!.transportPing(data);
  }

  /** The close completes (or the peer goes away): the connection hears `code`. */
  peerCloses(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.drain();
    this.handler!.transportClose(code, reason);
  }

  private record(frame: SentFrame, size: number): void {
    this.sent.push(frame);
    if (!this.accepting) this.unaccepted += size;
  }
}

function bytesOrText(data: FrameData): Buffer | string {
  return typeof data === 'string' ? data : bytesOf(data);
}
