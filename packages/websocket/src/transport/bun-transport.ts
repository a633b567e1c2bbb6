// The Bun engine's sockets: a `BunTransport` is one socket accepted by `Bun.serve` (uWebSockets
// inside). It is the socket's `data`, so Bun's handlers (`bunSocketHandlers`, one set for the
// whole server: bun-server-sockets.ts) reach it without a closure per connection. Where Bun behaves unlike ws, the
// difference is absorbed here so a connection sees the same events (docs/engines.md):
//   - a message over the service's maxFrameSize is caught here when the server's limit (the
//     largest of its services') lets it through; Bun's own refusal arrives as a close with 1006.
//     Either way the peer gets 1009 and the connection a ProtocolError, then 1006, as on ws;
//   - Bun answers every ping itself, so the connection's own answer to it is not sent again;
//   - Bun runs the close handler inside `close()`, which a connection does not expect: it is
//     reported a microtask later.
// Broadcasts reach these sockets through their server's topics (`BunTopics`): subscribed with
// `ws.subscribe`, one `server.publish` per server and topic; Bun unsubscribes a closed socket.
import { CloseCode } from '../close-codes';
import { ProtocolError } from '../errors';
import { byteLengthOf, bytesOf, controlData, type FrameData } from '../replies';
import { compressesText } from '../compression';
import { type BunSocketOptions, type BunTopics, bunDataOf } from './bun-server-sockets';
import type { BunSocket } from './bun-types';
import type { EncodedFrame } from './frame-encoding';
import type { TopicSocket, Transport, TransportHandler } from './transport';

const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

/** Bun's reason for the close it makes itself when a message is over `maxPayloadLength`. */
const TOO_BIG_REASON = 'Received too big message';

// `BunTransport.bits`: its state (the low two bits) and its flags, in one number — an idle
// socket costs only what it must hold.
const STATE = 3;
/** Report every read to the connection (for idleTimeout). */
const WATCH_ACTIVITY = 4;
/** Inside our own `close()`/`terminate()`: Bun reports the close synchronously there. */
const CLOSING_NOW = 8;
/** The peer broke a limit: the connection hears 1006 whatever was sent, as on ws. */
const FAILED = 16;
/** Inside the connection's handling of a ping: its pong would be Bun's second. */
const ANSWERING_PING = 32;
/**
 * A send found Bun's buffer holding data for the peer, or a publish may have left some there:
 * `backlog()` asks Bun until it is empty.
 */
const PRESSED = 64;
/** Whether everything sent had been flushed when the socket closed (what sendAndFlush waits for). */
const FLUSHED_AT_CLOSE = 128;

/** What few sockets hold: a sub-protocol, a count of connections per address, a wait for the flush. */
interface BunTransportRare {
  readonly protocol: string;
  /** Called once the socket closed (the listener's count of connections per address). */
  readonly onEnded: (() => void) | undefined;
  flushWaiters: (() => void)[] | undefined;
}

/** What `BunTransport.handler` holds until Bun opens the socket: what to do then. */
type OnAccepted = (transport: Transport) => void;

export class BunTransport implements Transport, TopicSocket {
  private socket!: BunSocket<BunTransport>;
  /**
   * Until Bun opens the socket, what to do then (a function); after, the connection's handler
   * (an object). One field for both, and the rare state in one object made only when there is
   * some: an idle socket of a service without sub-protocols holds five fields (64 bytes on JSC).
   */
  private handler: TransportHandler | OnAccepted | undefined;
  private bits = OPEN;
  private rare: BunTransportRare | undefined;

  constructor(
    private readonly options: BunSocketOptions,
    onAccepted: OnAccepted,
    protocol: string,
    onEnded: (() => void) | undefined,
  ) {
    this.handler = onAccepted;
    if (protocol !== '' || onEnded !== undefined) this.rare = { protocol, onEnded, flushWaiters: undefined };
  }

  /** The sub-protocol agreed to, '' when none. */
  get protocol(): string {
    return this.rare?.protocol ?? '';
  }

  /** The connection's handler: Bun opened the socket and the connection was made. */
  private get attached(): TransportHandler | undefined {
    const handler = this.handler;
    return typeof handler === 'object' ? handler : undefined;
  }

  /** No extension but permessage-deflate, which Bun negotiates and does not report. */
  get extensions(): string {
    return '';
  }

  get server(): BunTopics {
    return this.options.topics;
  }

  private get state(): number {
    return this.bits & STATE;
  }

  private set state(state: number) {
    this.bits = (this.bits & ~STATE) | state;
  }

  private flag(bit: number): boolean {
    return (this.bits & bit) !== 0;
  }

  private mark(bit: number, on: boolean): void {
    this.bits = on ? this.bits | bit : this.bits & ~bit;
  }

  /** Broadcasts reach this socket through its server's topics. */
  get topics(): TopicSocket {
    return this;
  }

  get isOpen(): boolean {
    return this.state === OPEN;
  }

  get isClosed(): boolean {
    return this.state === CLOSED;
  }

  attach(handler: TransportHandler, watchActivity: boolean): void {
    // Called from inside `onAccepted` (the connection is made as Bun opens the socket).
    this.handler = handler;
    this.mark(WATCH_ACTIVITY, watchActivity);
  }

  backlog(): number {
    // Bun writes at once what the kernel takes; nothing is held back for a batch. Until a send
    // reports backpressure the backlog is 0, without asking Bun on every message.
    if (!this.flag(PRESSED) || this.state === CLOSED) return 0;
    const buffered = this.socket.getBufferedAmount();
    if (buffered === 0) this.mark(PRESSED, false);
    return buffered;
  }

  send(data: FrameData): void {
    if (this.options.threshold !== -1) {
      this.sendCompressible(data);
      return;
    }
    this.sent(typeof data === 'string' ? this.socket.sendText(data) : this.socket.sendBinary(bytesOf(data)));
  }

  private sendCompressible(data: FrameData): number {
    if (typeof data === 'string') return this.sent(this.socket.sendText(data, compressesText(data, this.options.threshold)));
    const bytes = bytesOf(data);
    return this.sent(this.socket.sendBinary(bytes, bytes.length >= this.options.threshold));
  }

  /** Bun's answer to a send: -1 when the frame waits in its buffer behind what the peer has not read. */
  private sent(status: number): number {
    if (status === -1) this.bits |= PRESSED;
    return status;
  }

  sendTextBytes(bytes: Buffer): void {
    // Bun sends text only from a string. (Its own messages reach the connection as strings, so
    // the echo shortcut that calls this is for bytes received on ws; here it is only decoding.)
    if (this.options.threshold === -1) this.sent(this.socket.sendText(bytes.toString()));
    else this.sent(this.socket.sendText(bytes.toString(), bytes.length >= this.options.threshold));
  }

  sendEncoded(frame: EncodedFrame): void {
    // Under compression Bun deflates per send: with its shared compressor that is once per
    // socket, not once per broadcast (docs/engines.md).
    const compress = this.options.threshold !== -1 && frame.payload.length >= this.options.threshold;
    if (frame.binary) {
      this.sent(compress ? this.socket.sendBinary(frame.payload, true) : this.socket.sendBinary(frame.payload));
      return;
    }
    const text = bunDataOf(frame) as string;
    this.sent(compress ? this.socket.sendText(text, true) : this.socket.sendText(text));
  }

  // --- TopicSocket ---------------------------------------------------------------------------

  subscribe(topic: string): void {
    if (this.state === OPEN) this.socket.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (this.state === OPEN) this.socket.unsubscribe(topic);
  }

  publishPressed(): void {
    this.bits |= PRESSED;
  }

  /** Publishes to `topic` on this socket's server, leaving this socket out; Bun's status, as `server.publish`'s. */
  publishFrom(topic: string, data: string | Uint8Array): number {
    return this.socket.publish(topic, data);
  }

  sendAndFlush(data: FrameData): Promise<boolean> {
    if (this.state !== OPEN) return Promise.resolve(false);
    const sent =
      this.options.threshold !== -1
        ? this.sendCompressible(data)
        : this.sent(typeof data === 'string' ? this.socket.sendText(data) : this.socket.sendBinary(bytesOf(data)));
    // 0: dropped (only an empty message is "sent" as 0 bytes).
    if (sent === 0 && byteLengthOf(data) > 0) return Promise.resolve(false);
    return new Promise((resolve) => this.onFlushed(() => resolve(this.state !== CLOSED || this.flag(FLUSHED_AT_CLOSE))));
  }

  ping(data?: FrameData): void {
    this.sent(this.socket.ping(controlData(data)));
  }

  pong(data?: FrameData): void {
    // Bun has answered the ping being handled already; a second pong would confuse a peer.
    if (this.flag(ANSWERING_PING)) return;
    this.sent(this.socket.pong(controlData(data)));
  }

  close(code: number, reason: string): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.bits |= CLOSING_NOW;
    try {
      this.socket.close(code, reason);
    } finally {
      this.mark(CLOSING_NOW, false);
    }
  }

  terminate(): void {
    if (this.state === CLOSED) return;
    this.state = CLOSING;
    this.bits |= CLOSING_NOW;
    try {
      this.socket.terminate();
    } finally {
      this.mark(CLOSING_NOW, false);
    }
  }

  pauseReading(): void {
    if (this.state !== CLOSED) this.socket.pause();
  }

  resumeReading(): void {
    if (this.state !== CLOSED) this.socket.resume();
  }

  onFlushed(callback: () => void): void {
    if (this.state === CLOSED || this.socket.getBufferedAmount() === 0) queueMicrotask(callback);
    else (this.rareState().flushWaiters ??= []).push(callback);
  }

  private rareState(): BunTransportRare {
    return (this.rare ??= { protocol: '', onEnded: undefined, flushWaiters: undefined });
  }

  /** The flush waiters, taken (they are called once). */
  private takeFlushWaiters(): (() => void)[] | undefined {
    const rare = this.rare;
    if (rare === undefined) return undefined;
    const waiters = rare.flushWaiters;
    rare.flushWaiters = undefined;
    return waiters;
  }

  // --- Bun's events (bunSocketHandlers) ----------------------------------------------------

  opened(socket: BunSocket<BunTransport>): void {
    this.socket = socket;
    const onAccepted = this.handler as OnAccepted;
    this.handler = undefined;
    onAccepted(this);
  }

  received(message: string | Buffer): void {
    const handler = this.handler as TransportHandler;
    if (typeof message !== 'string') {
      if (message.length > this.options.maxPayload) return this.refuseTooBig();
      if (this.flag(WATCH_ACTIVITY)) handler.transportActivity();
      handler.transportMessage(message, true);
      return;
    }
    // A UTF-16 unit is at most 3 bytes of UTF-8: the exact size is needed only near the limit.
    const { maxPayload } = this.options;
    if (message.length * 3 > maxPayload && Buffer.byteLength(message) > maxPayload) return this.refuseTooBig();
    if (this.flag(WATCH_ACTIVITY)) handler.transportActivity();
    handler.transportText(message);
  }

  pinged(data: Buffer): void {
    const handler = this.handler as TransportHandler;
    if (this.flag(WATCH_ACTIVITY)) handler.transportActivity();
    // Bun has queued its pong already, unseen by `sent()`: the connection's pong (dropped here)
    // still meets maxBufferedBytes, so a peer that pings and never reads is a slow consumer.
    this.bits |= PRESSED | ANSWERING_PING;
    try {
      handler.transportPing(data);
    } finally {
      this.mark(ANSWERING_PING, false);
    }
  }

  ponged(data: Buffer): void {
    const handler = this.handler as TransportHandler;
    if (this.flag(WATCH_ACTIVITY)) handler.transportActivity();
    handler.transportPong(data);
  }

  drained(): void {
    const buffered = this.socket.getBufferedAmount();
    this.mark(PRESSED, buffered > 0);
    if (buffered > 0 || this.rare?.flushWaiters === undefined) return;
    for (const callback of this.takeFlushWaiters()!) callback();
  }

  closed(code: number, reason: string): void {
    if (this.state === CLOSED) return;
    this.rare?.onEnded?.();
    const handler = this.attached;
    if (handler === undefined) {
      // Closed before the connection was made (the handshake's open never ran to the end).
      this.state = CLOSED;
      return;
    }
    if (code === CloseCode.AbnormalClosure && reason === TOO_BIG_REASON) {
      // Bun closed with 1009 itself; the service is told why, as on ws.
      handler.transportError(tooBig());
      this.bits |= FAILED;
    }
    if (this.flag(CLOSING_NOW)) queueMicrotask(() => this.finish(code, reason));
    else this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    const waiters = this.takeFlushWaiters();
    this.mark(FLUSHED_AT_CLOSE, waiters === undefined);
    this.state = CLOSED;
    if (waiters !== undefined) for (const callback of waiters) callback();
    const handler = this.handler as TransportHandler;
    if (this.flag(FAILED)) handler.transportClose(CloseCode.AbnormalClosure, '');
    else handler.transportClose(code, reason);
  }

  /** A message over this service's maxFrameSize: the service is told, the peer gets 1009. */
  private refuseTooBig(): void {
    (this.handler as TransportHandler).transportError(tooBig());
    this.bits |= FAILED;
    this.close(CloseCode.MessageTooBig, '');
  }
}

/** What ws reports for a message over maxPayload. */
function tooBig(): ProtocolError {
  return new ProtocolError('Max payload size exceeded', CloseCode.MessageTooBig, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
}
