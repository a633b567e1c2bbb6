// Turns for password hashing: a few hashes at a time for the whole process, so that a burst of
// logins (wrong passwords, most likely) cannot take every thread of libuv's pool, nor hold
// memory for hundreds of scrypt runs at once, nor push a correct login past its timeout.
//
// Waiting checks are served oldest first while the queue drains quickly; once the oldest has
// waited past OVERLOAD_AFTER_MS, newest first (adaptive LIFO): under a flood, requests at the
// back of a FIFO queue all time out, while the newest, whose client still waits, can be served.
// A check whose upgrade was answered or whose client left leaves the queue without hashing.
import { availableParallelism } from 'node:os';

interface Waiter {
  readonly since: number;
  readonly start: () => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** How long the oldest check may wait before the queue counts as overloaded. */
export const OVERLOAD_AFTER_MS = 100;

export class PasswordCheckQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly concurrency: number) {}

  /**
   * Runs `check` when a turn is free. Rejects with `signal.reason`, without running it, when
   * the signal is aborted first.
   */
  run<T>(check: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.concurrency) return this.runNow(check);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        since: Date.now(),
        signal,
        start: () => this.runNow(check).then(resolve, reject),
        onAbort: () => {
          const at = this.waiting.indexOf(waiter);
          if (at !== -1) this.waiting.splice(at, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Checks waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  private async runNow<T>(check: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await check();
    } finally {
      this.running--;
      this.startNext();
    }
  }

  private startNext(): void {
    if (this.waiting.length === 0 || this.running >= this.concurrency) return;
    const overloaded = Date.now() - this.waiting[0].since > OVERLOAD_AFTER_MS;
    const next = overloaded ? this.waiting.pop()! : this.waiting.shift()!;
    next.signal?.removeEventListener('abort', next.onAbort);
    next.start();
  }
}

// Half of libuv's pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), at most the cores:
// the pool is shared with file, DNS and zlib work, which must not wait behind a login flood.
const poolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4;

/** @internal The process-wide turns of every BasicAuthenticator. */
export const passwordChecks = new PasswordCheckQueue(
  Math.max(1, Math.min(Math.floor(poolSize / 2), availableParallelism())),
);
