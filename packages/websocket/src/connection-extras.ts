// What a connection holds only once it needs it, in one object made at that first need, so that
// an idle connection holds none of it: its id (drawn when first asked for), its subscriptions,
// its token's lifetime, the events waiting behind a busy handler, and its end — the close code
// and reason, the close a failure started, the close handshake the server starts (with a
// deadline after which the socket is terminated) and what waits for the close and `@OnClose`.
import type { InboundQueue } from './inbound-queue';
import type { MemberTopics } from './registry/topics';
import type { TokenLifetime } from './token-lifetime';
import type { Transport } from './transport/transport';

interface CloseWaiter {
  readonly resolve: () => void;
  readonly timer: NodeJS.Timeout | undefined;
}

export class ConnectionExtras {
  /** `caller.getConnectionId()`, drawn at the first ask (connection-id.ts). */
  id: string | undefined = undefined;
  /** Its subscriptions (`topics()`), from its first room or publish on an engine with topics. */
  subscriptions: MemberTopics | undefined = undefined;
  /** Its principal's expiry and the client's token refreshes, on a service with `auth`. */
  token: TokenLifetime | undefined = undefined;
  /** Events waiting for a busy handler, from the first that had to wait. */
  pending: InboundQueue | undefined = undefined;
  /** Set once the socket closed. */
  closeCode: number | undefined = undefined;
  closeReason = '';
  /** Set when the connection is being closed because of a failure; later messages are not handled. */
  failureCloseCode: number | undefined = undefined;
  private closeWaiters: CloseWaiter[] | undefined = undefined;
  private finishWaiters: (() => void)[] | undefined = undefined;

  /**
   * Resolves when the socket has closed, or after `timeoutMs` (then it is terminated).
   * `start` begins the close handshake (the connection's own close, which may also have to
   * resume reading first).
   */
  closeWithin(transport: Transport, timeoutMs: number, start: () => void): Promise<void> {
    if (transport.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(terminate, timeoutMs, transport) : undefined;
      (this.closeWaiters ??= []).push({ resolve, timer });
      start();
    });
  }

  /** The socket closed: every close waiting for it resolves. */
  closed(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    const waiters = this.closeWaiters;
    this.closeWaiters = undefined;
    if (waiters === undefined) return;
    for (const waiter of waiters) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  /** Resolves once `finish` is called: the socket has closed and `@OnClose` has finished. */
  whenFinished(): Promise<void> {
    return new Promise((resolve) => (this.finishWaiters ??= []).push(resolve));
  }

  /** `@OnClose` has finished (or there was none). */
  finish(): void {
    const waiters = this.finishWaiters;
    this.finishWaiters = undefined;
    if (waiters !== undefined) for (const resolve of waiters) resolve();
  }
}

function terminate(transport: Transport): void {
  transport.terminate();
}
