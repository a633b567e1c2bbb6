// The events of one connection waiting behind its busy handler (kept by pending-events.ts),
// and inbound flow control: once `maxPendingMessages` messages wait, `inboundOverflow` decides.
// 'pause' stops reading the socket until half of them were handled, so TCP holds a fast client
// back and nothing is lost; 'close' refuses the next one (the connection closes with 1013).
import { HandlerEvent } from './metadata';
import { PendingEvents } from './pending-events';
import type { ResolvedServiceConfig } from './service-config';
import type { Transport } from './transport/transport';

export class InboundQueue extends PendingEvents {
  /** Reading is paused because `maxPendingMessages` messages wait. */
  paused = false;
  /** A graceful stop waiting for the connection to be idle. */
  private emptyWaiters: (() => void)[] | undefined;
  private readonly limit: number;
  private readonly pauses: boolean;

  constructor(
    config: ResolvedServiceConfig,
    private readonly transport: Transport,
  ) {
    super();
    this.limit = config.maxPendingMessages;
    this.pauses = config.inboundOverflow === 'pause';
  }

  /** Queues a message; false when it is one too many under 'close' (the connection closes with 1013). */
  admitMessage(event: HandlerEvent, first: unknown, second: unknown): boolean {
    const transport = this.transport;
    if (this.count >= this.limit) {
      if (!this.pauses) return false;
      // Closing, reading went on for the peer's close frame: what comes past the bound now
      // would be discarded with the rest once the socket closes, and is not kept meanwhile.
      if (!transport.isOpen) return true;
    }
    this.push(event, first, second);
    // What was read before the pause still comes in: at most one read's worth past the bound.
    if (this.pauses && !this.paused && this.count >= this.limit && transport.isOpen) {
      this.paused = true;
      transport.pauseReading();
    }
    return true;
  }

  /**
   * Waiting events were handled: at half the bound reading goes on, unless a slow reader
   * (`held`) keeps it paused; once none waits and no handler runs (`busy`), the stop goes on.
   */
  handled(held: boolean, busy: boolean): void {
    if (this.paused && this.count <= this.limit >>> 1) {
      this.paused = false;
      if (!held && this.transport.isOpen) this.transport.resumeReading();
    }
    const waiters = this.emptyWaiters;
    if (waiters === undefined || busy || this.count > 0) return;
    this.emptyWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /** Resolves once nothing waits and no handler runs (`handled`). */
  whenEmpty(): Promise<void> {
    return new Promise((resolve) => (this.emptyWaiters ??= []).push(resolve));
  }

  /** A close handshake needs the peer's close frame: reading goes on. */
  resumeForClose(): void {
    if (!this.paused) return;
    this.paused = false;
    this.transport.resumeReading();
  }
}

/** Messages wait behind a slow handler and may be refused; a close or an error is never refused. */
export function isMessageEvent(event: HandlerEvent): boolean {
  return event !== HandlerEvent.Close && event !== HandlerEvent.Error;
}
