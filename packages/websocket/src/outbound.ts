// Every write of one connection, and the slow-consumer policy that governs them. The backlog is
// what the kernel has not accepted (replies held for one batched write are left out). Replies
// and stream items are paced by the reader: a reply is always sent, and past half of
// `maxBufferedBytes` reading stops until the socket drains, so TCP holds a fast client back; a
// stream item waits for the drain before it would go past the bound. A reader that misses
// `drainTimeout`, and a push past the bound (a direct Caller write, a broadcast, a ping or
// pong), meet `slowConsumerPolicy`: 'close' (1013), 'drop', or 'wait'.
import { DrainWait, WriteOutcome, exceedsBacklog } from './backpressure';
import type { IdleTimer } from './idle-timer';
import { HandlerEvent } from './metadata';
import type { ConnectionInfo, DroppedKind, WebSocketObserver } from './monitoring/observer';
import type { ConnectionRegistry } from './registry/connection-registry';
import type { FrameData } from './replies';
import type { ResolvedServiceConfig } from './service-config';
import type { EncodedFrame } from './transport/frame-encoding';
import type { Transport } from './transport/transport';

const NO_DATA = Buffer.alloc(0);

/** What the writes need from their connection. */
export interface OutboundOwner {
  /** The reader is a slow consumer under 'close': the connection closes with 1013. */
  slowConsumer(): void;
  /** Reading goes on after a drain: the messages that waited are handled (in order). */
  runWaiting(): void;
  /** Reading is paused for the owner's own reason too (too many messages wait): a drain does not resume it. */
  readonly queueFull: boolean;
}

export class Outbound {
  /**
   * While a synchronous @OnText handler runs: its text and the bytes it came in. A reply equal
   * to that text (an echo, a relay) is sent as those bytes, without encoding the string again.
   */
  receivedText: string | undefined;
  receivedBytes: Buffer | undefined;
  /** Reading is paused until the backlog drains: later messages wait, and TCP holds the sender back. */
  readingHeld = false;
  /** Set when observers are bound (`observeWith`): every frame sent is reported. */
  private observer: WebSocketObserver | undefined;
  private info: ConnectionInfo | undefined;
  /** The wait for a reader over `maxBufferedBytes` to catch up; made at the first such wait. */
  private drainWait: DrainWait | undefined;
  /** Under 'drop': the reader missed its `drainTimeout`, so stream items that do not fit are dropped. */
  private stalled = false;
  private onReadable: (() => void) | undefined;
  private readonly halfBound: number;
  /** A message was written since the service's keep-alive sweep last looked (keep-alive.ts). */
  sentMessage = false;

  constructor(
    private readonly transport: Transport,
    private readonly config: ResolvedServiceConfig,
    private readonly registry: ConnectionRegistry,
    private readonly idle: IdleTimer | undefined,
    private readonly owner: OutboundOwner,
  ) {
    this.halfBound = config.maxBufferedBytes >>> 1;
  }

  /**
   * A direct `Caller` write: past the bound, 'close' closes, 'drop' drops (and counts), 'wait'
   * resolves once the socket has flushed it.
   */
  write(data: FrameData, mayWait: boolean): WriteOutcome | Promise<boolean> {
    const transport = this.transport;
    if (!transport.isOpen) return WriteOutcome.Closed;
    const { maxBufferedBytes, slowConsumerPolicy } = this.config;
    if (exceedsBacklog(transport.backlog(this.halfBound), data, maxBufferedBytes)) {
      if (slowConsumerPolicy === 'close') {
        this.owner.slowConsumer();
        return WriteOutcome.Closed;
      }
      if (slowConsumerPolicy === 'drop' || !mayWait) {
        this.dropped(typeof data === 'string' ? 'text' : 'binary');
        return WriteOutcome.Dropped;
      }
      this.wrote(data);
      return transport.sendAndFlush(data);
    }
    this.send(data);
    return WriteOutcome.Sent;
  }

  /** A broadcast frame (under 'wait', a broadcast drops instead of waiting). */
  writeBroadcast(encoded: EncodedFrame): boolean {
    const transport = this.transport;
    if (!transport.isOpen || !this.admitsBroadcast(encoded, transport.backlog(this.halfBound))) return false;
    transport.sendEncoded(encoded);
    this.broadcastSent(encoded);
    return true;
  }

  /**
   * A broadcast that the socket's server publishes (topics): the bound of `writeBroadcast`, on
   * the same backlog (after a publish that reported backpressure, `publishPressed` has it asked
   * of the engine). True: the publish may reach it (it is counted as sent); false: the policy
   * ran, and the publish must leave it out.
   */
  takesPublish(encoded: EncodedFrame): boolean {
    const transport = this.transport;
    if (!transport.isOpen || !this.admitsBroadcast(encoded, transport.backlog(this.halfBound))) return false;
    this.broadcastSent(encoded);
    return true;
  }

  /** Whether a broadcast fits on `backlog`; if not, the policy: 'close' closes, else it is dropped. */
  private admitsBroadcast(encoded: EncodedFrame, backlog: number): boolean {
    if (!exceedsBacklog(backlog, encoded.payload, this.config.maxBufferedBytes)) return true;
    if (this.config.slowConsumerPolicy === 'close') this.owner.slowConsumer();
    else this.dropped(encoded.binary ? 'binary' : 'text');
    return false;
  }

  private broadcastSent(encoded: EncodedFrame): void {
    this.sentMessage = true;
    this.idle?.touch();
    if (this.observer !== undefined) this.observer.messageSent?.(this.info!, encoded.binary ? 'binary' : 'text', encoded.payload);
  }

  /**
   * A ping or pong under the slow-consumer bound: a peer that pings and never reads must not
   * grow its backlog. Control frames never wait; past the bound they are dropped (a pong may
   * answer only the latest ping, RFC 6455 §5.5.3), or under 'close' the connection closes.
   */
  writeControl(kind: typeof HandlerEvent.Ping | typeof HandlerEvent.Pong, data: FrameData | undefined): WriteOutcome {
    const transport = this.transport;
    if (!transport.isOpen) return WriteOutcome.Closed;
    if (exceedsBacklog(transport.backlog(this.halfBound), data ?? NO_DATA, this.config.maxBufferedBytes)) {
      if (this.config.slowConsumerPolicy === 'close') {
        this.owner.slowConsumer();
        return WriteOutcome.Closed;
      }
      this.dropped(kind === HandlerEvent.Ping ? 'ping' : 'pong');
      return WriteOutcome.Dropped;
    }
    if (kind === HandlerEvent.Ping) transport.ping(data);
    else transport.pong(data);
    this.idle?.touch();
    return WriteOutcome.Sent;
  }

  /**
   * A keep-alive: sent only to a reader with no backlog (one with a backlog is not quiet), and
   * not activity for `idleTimeout`, which measures what the peer and the service say.
   */
  writeKeepAlive(frame: string): void {
    const transport = this.transport;
    if (!transport.isOpen || transport.backlog(this.halfBound) > 0) return;
    transport.send(frame);
    this.sentMessage = true;
    if (this.observer !== undefined) this.observer.messageSent?.(this.info!, 'text', frame);
  }

  /** A frame the slow-consumer policy dropped: counted, and told to observers. */
  private dropped(kind: DroppedKind): void {
    this.registry.countDropped();
    if (this.observer !== undefined) this.observer.messageDropped?.(this.info!, kind);
  }

  /** Reports every frame sent from now on to `observer`. */
  observeWith(observer: WebSocketObserver, info: ConnectionInfo): void {
    this.observer = observer;
    this.info = info;
  }

  /** A reply is owed and never dropped; one past the bound holds further reading (`paceReading`). */
  reply(data: FrameData): boolean {
    if (!this.transport.isOpen) return false;
    this.send(data);
    return true;
  }

  /**
   * A stream is paced by its reader: an item that would go past `maxBufferedBytes` waits for
   * the socket to drain (the promise), then is offered again. Only a reader that misses
   * `drainTimeout` meets the policy: 'close' ends the connection (and so the stream), 'drop'
   * drops the items that do not fit until the reader catches up.
   */
  writeStreamItem(data: FrameData): boolean | Promise<void> {
    if (!this.transport.isOpen) return false;
    if (exceedsBacklog(this.transport.backlog(this.halfBound), data, this.config.maxBufferedBytes)) {
      if (!this.stalled) return this.waitForDrain();
      this.dropped(typeof data === 'string' ? 'text' : 'binary');
      return true;
    }
    this.stalled = false;
    this.send(data);
    return true;
  }

  /**
   * After a message was handled: with more than half the bound still unread, the next messages
   * wait for the socket to drain (the other half is room for pushes meanwhile). Reading stops
   * too, so a fast client is paced by TCP instead of being cut off.
   */
  paceReading(): void {
    if (this.readingHeld || !this.transport.isOpen) return;
    if (this.transport.backlog(this.halfBound) <= this.halfBound) return;
    this.readingHeld = true;
    this.transport.pauseReading();
    void this.waitForDrain().then((this.onReadable ??= () => this.readable()));
  }

  /** Reading must go on for a close handshake: the peer's close frame completes it. */
  resumeForClose(): void {
    if (this.readingHeld) this.transport.resumeReading();
  }

  /** The connection closed: whatever waits for a drain is let go. */
  closed(): void {
    this.drainWait?.release();
  }

  private readable(): void {
    this.readingHeld = false;
    if (!this.transport.isOpen) return;
    if (this.transport.backlog(this.halfBound) > this.halfBound) {
      this.paceReading();
      return;
    }
    if (!this.owner.queueFull) this.transport.resumeReading();
    this.owner.runWaiting();
  }

  /** The wait for the socket to drain; a reader that misses `drainTimeout` meets the policy. */
  private waitForDrain(): Promise<void> {
    let wait = this.drainWait;
    if (wait === undefined) {
      const { slowConsumerPolicy, drainTimeout } = this.config;
      const timeoutMs = slowConsumerPolicy === 'wait' ? 0 : drainTimeout * 1000;
      wait = this.drainWait = new DrainWait(this.transport, timeoutMs, () => this.missedDrain());
    }
    return wait.wait();
  }

  private missedDrain(): void {
    if (this.config.slowConsumerPolicy === 'close') this.owner.slowConsumer();
    else this.stalled = true;
  }

  private send(data: FrameData): void {
    if (data === this.receivedText) this.transport.sendTextBytes(this.receivedBytes!);
    else this.transport.send(data);
    this.wrote(data);
  }

  private wrote(data: FrameData): void {
    this.sentMessage = true;
    this.idle?.touch();
    if (this.observer !== undefined) this.observer.messageSent?.(this.info!, typeof data === 'string' ? 'text' : 'binary', data);
  }
}
