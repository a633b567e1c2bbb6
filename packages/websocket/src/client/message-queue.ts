// The client's received messages between the socket and the reads: delivered once each, in
// arrival order, to one read each. Reads made before a message arrives wait in order. The
// queue is bounded: at `maxMessages` or `maxBytes` it pauses its source (the socket), so TCP
// flow control holds the sender back, and resumes it once reads have taken half of it.
import { MessageTypeError, ReadTimeoutError } from './client-errors';

/** What the queue pauses when it is full: the current socket. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/** What a read asks for. */
export const ReadKind = { Any: 0, Text: 1, Binary: 2 } as const;
export type ReadKind = (typeof ReadKind)[keyof typeof ReadKind];

/** A received message: text as a string, binary as a Buffer. */
export type Message = string | Buffer;

/** A read waiting for a message. */
export interface Waiter {
  readonly resolve: (message: Message) => void;
  readonly reject: (error: Error) => void;
  readonly kind: ReadKind;
  timer: NodeJS.Timeout | undefined;
}

const INITIAL_CAPACITY = 64; // a power of two, like every later capacity

export class MessageQueue {
  // A ring buffer: `count` messages from `head`, indices taken modulo the capacity.
  private ring: (Message | undefined)[] = new Array(INITIAL_CAPACITY);
  private head = 0;
  private count = 0;
  private bytes = 0;
  private readonly waiters: Waiter[] = [];
  private flow: FlowControl | undefined;
  private paused = false;
  private ended: Error | undefined;
  // Filled by `capture`, a bound executor shared by every waiting read instead of a closure each.
  private capturedResolve!: (message: Message) => void;
  private capturedReject!: (error: Error) => void;
  private readonly capture = (resolve: (message: Message) => void, reject: (error: Error) => void): void => {
    this.capturedResolve = resolve;
    this.capturedReject = reject;
  };

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
    /** Seconds a read may wait (0: no limit). */
    private readonly readTimeout: number,
  ) {}

  /** Messages waiting for a read. */
  get length(): number {
    return this.count;
  }

  /** Size of the waiting messages: bytes of binary ones, UTF-16 code units of text ones. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Whether the queue is full and has paused its source. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Sets the source to pause and resume (a new socket after a reconnect); a full queue pauses it at once. */
  setFlow(flow: FlowControl | undefined): void {
    this.flow = flow;
    if (this.paused && flow !== undefined) flow.pause();
  }

  /** A message arrived: the oldest waiting read gets it, or it is queued. */
  push(message: Message): void {
    if (this.count === 0 && this.waiters.length > 0 && this.deliver(message)) return;
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = message;
    this.count++;
    this.bytes += message.length;
    if (!this.paused && (this.count >= this.maxMessages || this.bytes >= this.maxBytes)) {
      this.paused = true;
      if (this.flow !== undefined) this.flow.pause();
    }
  }

  /**
   * The next message of `kind`. A message of the other kind next rejects the read with
   * MessageTypeError and stays queued. When no message is queued the read waits (up to the
   * read timeout); once the queue has ended and is empty, reads reject with its error.
   */
  read(kind: ReadKind): Promise<Message> {
    if (this.count > 0) {
      const message = this.ring[this.head] as Message;
      if (!matches(kind, message)) return Promise.reject(mismatch(kind, message));
      this.take(message);
      return Promise.resolve(message);
    }
    if (this.ended !== undefined) return Promise.reject(this.ended);
    const promise = new Promise<Message>(this.capture);
    const waiter: Waiter = { resolve: this.capturedResolve, reject: this.capturedReject, kind, timer: undefined };
    if (this.readTimeout > 0) waiter.timer = setTimeout(onReadTimeout, this.readTimeout * 1000, this, waiter);
    this.waiters.push(waiter);
    return promise;
  }

  /** No more messages will come: waiting reads reject with `error`, and so do reads once the queue is empty. */
  end(error: Error): void {
    this.ended = error;
    this.flow = undefined;
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  /** @internal The read timer of `waiter` fired. */
  timeOut(waiter: Waiter): void {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return;
    this.waiters.splice(at, 1);
    waiter.reject(new ReadTimeoutError(this.readTimeout));
  }

  // Hands `message` to the oldest waiting read that accepts it; reads of the other kind
  // before it are rejected, as they would have been had the message been queued first.
  private deliver(message: Message): boolean {
    while (this.waiters.length > 0) {
      const waiter = this.waiters.shift() as Waiter;
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      if (matches(waiter.kind, message)) {
        waiter.resolve(message);
        return true;
      }
      waiter.reject(mismatch(waiter.kind, message));
    }
    return false;
  }

  private take(message: Message): void {
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
    this.bytes -= message.length;
    // Resuming at half, not just below the limit, keeps a steady flow from toggling per message.
    if (this.paused && this.count <= this.maxMessages / 2 && this.bytes <= this.maxBytes / 2) {
      this.paused = false;
      if (this.flow !== undefined) this.flow.resume();
    }
  }

  // The socket may deliver what it had already read after being paused, so the ring grows.
  private grow(): void {
    const old = this.ring;
    const ring: (Message | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.count; i++) ring[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = ring;
    this.head = 0;
  }
}

function onReadTimeout(queue: MessageQueue, waiter: Waiter): void {
  queue.timeOut(waiter);
}

function matches(kind: ReadKind, message: Message): boolean {
  return kind === ReadKind.Any || (kind === ReadKind.Text) === (typeof message === 'string');
}

function mismatch(kind: ReadKind, message: Message): MessageTypeError {
  return new MessageTypeError(kind === ReadKind.Text ? 'text' : 'binary', typeof message === 'string' ? 'text' : 'binary');
}
