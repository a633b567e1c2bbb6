// The end of one connection, once: the close handshake it starts (with a deadline after which
// the socket is terminated), the waits for that close and for `@OnClose` to have finished, and
// `@OnClose` run past a handler that never settles.
import type { Transport } from './transport/transport';

interface CloseWaiter {
  readonly resolve: () => void;
  readonly timer: NodeJS.Timeout | undefined;
}

export class Closing {
  private closeWaiters: CloseWaiter[] | undefined;
  private finished = false;
  private finishWaiters: (() => void)[] | undefined;

  constructor(private readonly transport: Transport) {}

  /**
   * Resolves when the socket has closed, or after `timeoutMs` (then it is terminated).
   * `start` begins the close handshake (the connection's own close, which may also have to
   * resume reading first).
   */
  closeWithin(timeoutMs: number, start: () => void): Promise<void> {
    if (this.transport.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(terminate, timeoutMs, this.transport) : undefined;
      (this.closeWaiters ??= []).push({ resolve, timer });
      start();
    });
  }

  /** The socket closed: every close waiting for it resolves. */
  closed(): void {
    const waiters = this.closeWaiters;
    this.closeWaiters = undefined;
    if (waiters === undefined) return;
    for (const waiter of waiters) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  /** Resolves once the socket has closed and `@OnClose` has finished. */
  whenFinished(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => (this.finishWaiters ??= []).push(resolve));
  }

  /** `@OnClose` has finished (or there was none). */
  finish(): void {
    this.finished = true;
    const waiters = this.finishWaiters;
    this.finishWaiters = undefined;
    if (waiters !== undefined) for (const resolve of waiters) resolve();
  }
}

function terminate(transport: Transport): void {
  transport.terminate();
}
