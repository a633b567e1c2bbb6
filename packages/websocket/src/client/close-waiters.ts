// The `close()` calls of a client waiting for the close handshake to end. Each has a deadline
// after which the socket is terminated, so a server that never answers the close frame cannot
// hold a caller for ever; all are released together when the client is closed for good.
import type WebSocket from 'ws';

export class CloseWaiters {
  private waiters: { resolve: () => void; timer: NodeJS.Timeout }[] = [];

  /** Resolves when `release()` runs; terminates `socket` if that has not happened within `timeoutSeconds`. */
  wait(socket: WebSocket, timeoutSeconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(terminate, timeoutSeconds * 1000, socket);
      this.waiters.push({ resolve, timer });
    });
  }

  /** The client is closed: every waiting `close()` resolves, and no deadline is left running. */
  release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }
}

function terminate(socket: WebSocket): void {
  socket.terminate();
}
