// A client's connection attempts: the first connect, and the reconnects after a drop the server
// may well take back. One count of retries and one abort signal serve them all, so `close()`
// ends a reconnect in progress and `maxCount` also bounds a server that accepts and drops.
import { ConnectionClosedError } from '../errors';
import { type ResolvedRetryConfig, RetryCount, attemptWithRetries } from './retry';

/**
 * Closes after which the server may well take the client back: an abnormal drop (1006), a
 * server going away (1001, Duet's own rolling restart), a service restart (1012) and "try
 * again later" (1013). Any other code is the server's answer, and reconnecting would not change it.
 */
const RECONNECT_CODES: ReadonlySet<number> = new Set([1001, 1006, 1012, 1013]);

export class Reconnection {
  /** While a reconnect runs: settles when it succeeded (or rejects when it gave up). */
  pending: Promise<void> | undefined;
  private readonly count = new RetryCount();
  private readonly aborter = new AbortController();
  /** When the current connection opened (ms), to tell a drop after `minUptime` from a flapping server. */
  private openedAt = 0;

  constructor(
    private readonly retry: ResolvedRetryConfig | undefined,
    /** Opens one socket (which the client adopts), or rejects; it must honour the signal. */
    private readonly open: (signal: AbortSignal) => Promise<void>,
  ) {}

  private readonly attempt = (): Promise<void> => this.open(this.aborter.signal);

  /** The first connect, retried by the policy. */
  connect(): Promise<void> {
    return attemptWithRetries(this.retry, this.attempt, this.aborter.signal, this.count);
  }

  /** A connection opened (by the connect or a reconnect). */
  opened(): void {
    this.openedAt = Date.now();
  }

  /**
   * A close the client did not ask for: starts reconnecting and returns true when the code and
   * the policy allow it; `gaveUp` hears why the last attempt failed once retries ran out.
   */
  afterClose(code: number, closed: ConnectionClosedError, gaveUp: (error: Error) => void): boolean {
    const retry = this.retry;
    if (!RECONNECT_CODES.has(code) || retry === undefined) return false;
    if (Date.now() - this.openedAt >= retry.minUptimeMs) this.count.reset();
    this.pending = attemptWithRetries(retry, this.attempt, this.aborter.signal, this.count, closed).then(
      () => {
        this.pending = undefined;
      },
      (error: Error) => {
        this.pending = undefined;
        gaveUp(error);
      },
    );
    return true;
  }

  /** Ends a reconnect in progress with `reason`; resolves once it has stopped. */
  abort(reason: ConnectionClosedError): Promise<void> {
    this.aborter.abort(reason);
    return this.pending ?? Promise.resolve();
  }
}
