// The writes of one connection that `ws` has not yet handed to the operating system, oldest
// first. `ws` calls a write's callback in the order of the writes, so one callback per
// connection settles them in turn: no closure is made per write. With a write timeout, one
// timer watches the oldest write still pending.
import { WriteTimeoutError } from './client-errors';

// A write's resolve, or its reject (given the error); cleared to undefined once settled.
type Settle = ((error: Error) => void) | undefined;

// Past this many settled slots at the front, they are dropped, so a busy connection that is
// never idle does not grow the array forever.
const COMPACT_AT = 3 * 1024;

export class PendingWrites {
  // Triples: resolve, reject, deadline (ms). A write that timed out keeps its slot (settles
  // are cleared) so that later callbacks still line up with their writes.
  private readonly entries: unknown[] = [];
  private head = 0;
  private expiredUpTo = 0;
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private capturedResolve: Settle;
  private capturedReject: Settle;
  private readonly capture = (resolve: () => void, reject: (error: Error) => void): void => {
    this.capturedResolve = resolve as Settle;
    this.capturedReject = reject;
  };

  /** The `ws` send/ping/pong callback of this connection, shared by every write. */
  readonly onWritten = (error?: Error | null): void => this.written(error);

  constructor(
    /** Seconds a write may stay pending (0: no limit). */
    private readonly writeTimeout: number,
    /** What a write rejects with when the connection failed under it. */
    private readonly closedError: () => Error,
  ) {}

  /** A write about to be handed to `ws` with `onWritten` as its callback. */
  add(): Promise<void> {
    const promise = new Promise<void>(this.capture);
    const deadline = this.writeTimeout > 0 ? Date.now() + this.writeTimeout * 1000 : 0;
    this.entries.push(this.capturedResolve, this.capturedReject, deadline);
    if (this.writeTimeout > 0 && this.timer === undefined) {
      this.timer = setTimeout(onWriteTimeout, this.writeTimeout * 1000, this);
    }
    return promise;
  }

  /** The connection is gone: every pending write rejects with `error`, later callbacks are ignored. */
  fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const entries = this.entries;
    for (let at = this.head; at < entries.length; at += 3) (entries[at + 1] as Settle)?.(error);
    entries.length = 0;
    this.head = this.expiredUpTo = 0;
  }

  /** @internal The write timer fired: rejects every write past its deadline and watches the next. */
  expire(): void {
    this.timer = undefined;
    const entries = this.entries;
    const now = Date.now();
    let at = Math.max(this.expiredUpTo, this.head);
    for (; at < entries.length && (entries[at + 2] as number) <= now; at += 3) {
      const reject = entries[at + 1] as Settle;
      entries[at] = entries[at + 1] = undefined;
      reject?.(new WriteTimeoutError(this.writeTimeout));
    }
    this.expiredUpTo = at;
    if (at < entries.length) this.timer = setTimeout(onWriteTimeout, (entries[at + 2] as number) - now, this);
  }

  private written(error: Error | null | undefined): void {
    const entries = this.entries;
    const at = this.head;
    if (this.failure !== undefined || at >= entries.length) return;
    const resolve = entries[at] as Settle;
    const reject = entries[at + 1] as Settle;
    entries[at] = entries[at + 1] = undefined;
    this.head = at + 3;
    if (this.head === entries.length) {
      entries.length = 0;
      this.head = this.expiredUpTo = 0;
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    } else if (this.head >= COMPACT_AT) {
      entries.splice(0, this.head);
      this.expiredUpTo = Math.max(0, this.expiredUpTo - this.head);
      this.head = 0;
    }
    if (error) reject?.(this.closedError());
    else (resolve as (() => void) | undefined)?.();
  }
}

function onWriteTimeout(writes: PendingWrites): void {
  writes.expire();
}
