// The measures behind the slow-consumer policy (outbound.ts decides): whether a write goes
// past `maxBufferedBytes`, and the wait for a socket to drain.
import type { FrameData } from './replies';
import type { Transport } from './transport/transport';

export type SlowConsumerPolicy = 'drop' | 'close' | 'wait';

/** What became of a write. `Closed`: the connection is not open, or is being closed as a slow consumer. */
export const WriteOutcome = { Sent: 0, Dropped: 1, Closed: 2 } as const;
export type WriteOutcome = (typeof WriteOutcome)[keyof typeof WriteOutcome];

/**
 * Whether writing `data` on top of `backlog` bytes not yet accepted by the kernel goes past
 * `maxBufferedBytes`. Nothing is measured when the backlog is empty (the common case): a single
 * message larger than the limit still goes out to a reader that keeps up; the limit bounds
 * what piles up for one that does not.
 */
export function exceedsBacklog(backlog: number, data: FrameData, maxBufferedBytes: number): boolean {
  if (backlog <= 0) return false;
  if (typeof data !== 'string') return backlog + data.byteLength > maxBufferedBytes;
  // A UTF-16 code unit is at most 3 bytes of UTF-8: when even that bound fits, skip the exact
  // count, which would scan the whole string on every write to a socket with a backlog.
  if (backlog + 3 * data.length <= maxBufferedBytes) return false;
  return backlog + Buffer.byteLength(data) > maxBufferedBytes;
}

/**
 * One connection's wait for its socket to hand its backlog to the kernel (the transport's
 * write-completion callback: nothing goes on the wire for it). Every waiter of one period
 * shares one promise. A reader that does not catch up within `timeoutMs` (0: no
 * deadline) is reported through `onTimeout`, and the waiters are let go.
 */
export class DrainWait {
  private promise: Promise<void> | undefined;
  private resolve: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onFlushed = (): void => this.release();
  private readonly onExpired = (): void => {
    this.timer = undefined;
    this.onTimeout();
    this.release();
  };

  constructor(
    private readonly transport: Transport,
    private readonly timeoutMs: number,
    private readonly onTimeout: () => void,
  ) {}

  /** Whether a wait is under way. */
  get waiting(): boolean {
    return this.promise !== undefined;
  }

  /**
   * Resolves once what is queued now has been written out (or the connection is gone). The
   * flush callback of an earlier period that ended by its deadline may end a later period
   * early; that is harmless, as every waiter measures the backlog again when it wakes.
   */
  wait(): Promise<void> {
    if (this.promise !== undefined) return this.promise;
    this.promise = new Promise((resolve) => (this.resolve = resolve));
    if (this.timeoutMs > 0) this.timer = setTimeout(this.onExpired, this.timeoutMs);
    this.transport.onFlushed(this.onFlushed);
    return this.promise;
  }

  /** Ends the current wait: drained, expired, or the connection closed. */
  release(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const resolve = this.resolve;
    this.promise = this.resolve = undefined;
    resolve?.();
  }
}
