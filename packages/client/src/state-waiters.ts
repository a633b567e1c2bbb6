// The promises that wait on a client's state: `opened()` until it opens (rejected if it closes
// first), and `close()` until its socket has closed, which is at most CLOSE_HANDSHAKE_MS after
// the client's close frame: a server that never answers it is dropped then.

/** How long close() waits for the server's half of the close handshake before dropping the socket. */
const CLOSE_HANDSHAKE_MS = 5000;

export class StateWaiters {
  #open: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #close: (() => void)[] = [];

  /** Settled by `opened()` or `failOpen()`. */
  untilOpen(): Promise<void> {
    return new Promise((resolve, reject) => this.#open.push({ resolve, reject }));
  }

  opened(): void {
    const waiters = this.#open;
    this.#open = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** The client closed before it opened. */
  failOpen(error: Error): void {
    const waiters = this.#open;
    this.#open = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  /** Resolved by `closed()`. */
  untilClosed(): Promise<void> {
    return new Promise((resolve) => this.#close.push(resolve));
  }

  /** A close handshake began: unless it ends first, `abort` drops the socket after CLOSE_HANDSHAKE_MS, and then it is `closed()`. */
  boundHandshake(abort: () => void): void {
    const bound = setTimeout(() => {
      abort();
      this.closed();
    }, CLOSE_HANDSHAKE_MS);
    this.#close.push(() => clearTimeout(bound));
  }

  /** The socket is closed (or there was none). */
  closed(): void {
    const waiters = this.#close;
    this.#close = [];
    for (const waiter of waiters) waiter();
  }
}
