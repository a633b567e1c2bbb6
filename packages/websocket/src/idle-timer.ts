// The idle timer of one connection. One Node timer per connection, re-armed with `refresh()`
// on every read from the peer (any frame, continuation fragments included) and every write:
// no allocation per frame, no clearTimeout/setTimeout churn.

export class IdleTimer {
  private readonly timer: NodeJS.Timeout;

  constructor(seconds: number, onIdle: () => void) {
    this.timer = setTimeout(onIdle, seconds * 1000);
    // A connection's socket keeps the process alive; its idle timer need not.
    this.timer.unref();
  }

  /** Something was received or sent: the idle period starts again. */
  touch(): void {
    this.timer.refresh();
  }

  /** The listener for the socket's reads, made once per connection. */
  readonly onData = (): void => {
    this.timer.refresh();
  };

  stop(): void {
    clearTimeout(this.timer);
  }
}
