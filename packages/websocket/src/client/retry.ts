// Retrying connection attempts: the policy, its validation, the backoff arithmetic and the
// loop that runs attempts until one succeeds, a refusal makes retrying pointless, or the
// policy runs out (then RetryExhaustedError reports the attempts and the last error). One
// count of retries serves the connect and every reconnect of a client, so `maxCount` also
// bounds a server that accepts each connection and drops it at once.
import { ClientConfigError, HandshakeError, RetryExhaustedError, TlsError } from './client-errors';
import { seconds } from '../validate';

/**
 * How failed connects are retried, and how a drop (1006) or a close with 1001, 1012 or 1013 is reconnected.
 * The wait before retry `n` (counting from 0) is `min(interval × backOffFactor^n, maxWaitInterval)`
 * seconds; with `jitter` set, each wait is shortened by a random fraction of at most `jitter`.
 * Retries are counted across the connect and the reconnects after drops; the count starts over
 * only once a connection has stayed open for `minUptime`.
 */
export interface RetryConfig {
  /**
   * Retries after the first attempt (default 3), whether they follow a failed attempt or a
   * drop, until a connection stays open for `minUptime`. `Infinity` never gives up.
   */
  maxCount?: number;
  /** Seconds before the first retry (default 1). */
  interval?: number;
  /** Factor each wait is multiplied by (default 1, no growth; at least 1). */
  backOffFactor?: number;
  /** Longest wait in seconds (default 30). */
  maxWaitInterval?: number;
  /** Fraction from 0 (default: waits exactly as computed) to 1 by which each wait may randomly shrink. */
  jitter?: number;
  /**
   * Seconds a connection must stay open before a drop counts as a new failure with a full
   * `maxCount` again (default 5). A shorter-lived connection spends the retries, and the
   * backoff keeps growing.
   */
  minUptime?: number;
}

/** A validated retry policy; times in milliseconds. */
export interface ResolvedRetryConfig {
  readonly maxCount: number;
  readonly intervalMs: number;
  readonly backOffFactor: number;
  readonly maxWaitMs: number;
  readonly jitter: number;
  readonly minUptimeMs: number;
}

/** Seconds a connection must stay open before the retry count starts over, unless `minUptime` says otherwise. */
const DEFAULT_MIN_UPTIME = 5;

/** Validates `retryConfig`; `undefined` stays `undefined` (no retries). */
export function resolveRetryConfig(raw: unknown): ResolvedRetryConfig | undefined {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object') throw new ClientConfigError('retryConfig', 'must be an object');
  const config = raw as RetryConfig;
  const maxCount = config.maxCount ?? 3;
  if (typeof maxCount !== 'number' || !(maxCount === Infinity || (Number.isInteger(maxCount) && maxCount >= 0))) {
    throw new ClientConfigError('retryConfig.maxCount', `must be a whole number, 0 or more, or Infinity; got ${String(maxCount)}`);
  }
  const interval = waitSeconds('retryConfig.interval', config.interval, 1);
  const maxWaitInterval = waitSeconds('retryConfig.maxWaitInterval', config.maxWaitInterval, 30);
  const backOffFactor = config.backOffFactor ?? 1;
  if (typeof backOffFactor !== 'number' || !Number.isFinite(backOffFactor) || backOffFactor < 1) {
    throw new ClientConfigError('retryConfig.backOffFactor', `must be a number of at least 1, got ${String(backOffFactor)}`);
  }
  const jitter = config.jitter ?? 0;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new ClientConfigError('retryConfig.jitter', `must be a number from 0 to 1, got ${String(jitter)}`);
  }
  const minUptime = waitSeconds('retryConfig.minUptime', config.minUptime, DEFAULT_MIN_UPTIME);
  return Object.freeze({
    maxCount,
    intervalMs: interval * 1000,
    backOffFactor,
    maxWaitMs: maxWaitInterval * 1000,
    jitter,
    minUptimeMs: minUptime * 1000,
  });
}

function waitSeconds(field: string, value: unknown, fallback: number): number {
  return seconds((name, problem) => new ClientConfigError(name, problem), field, value, fallback, 'zero allowed');
}

/** Milliseconds to wait before retry `retry` (0 for the first retry). */
export function retryDelay(policy: ResolvedRetryConfig, retry: number, random: () => number = Math.random): number {
  const wait = Math.min(policy.intervalMs * policy.backOffFactor ** retry, policy.maxWaitMs);
  return policy.jitter === 0 ? wait : wait * (1 - policy.jitter * random());
}

/**
 * Whether another attempt could succeed. A TLS failure or a 4xx refusal (other than 408 and
 * 429) will be the same next time, so retrying it only delays the error.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof TlsError) return false;
  if (error instanceof HandshakeError) return error.status >= 500 || error.status === 408 || error.status === 429;
  return true;
}

/**
 * What `maxCount` limits: the attempts and retries made since the client last had a connection
 * that stayed open for `minUptime`. A client keeps one for its connect and all its reconnects.
 */
export class RetryCount {
  /** Connection attempts, the first one included. */
  attempts = 0;
  /** Attempts after a failure or a drop: the ones `maxCount` allows and the backoff grows with. */
  retries = 0;

  /** A connection stayed open for `minUptime`: the next drop starts with the whole budget. */
  reset(): void {
    this.attempts = 0;
    this.retries = 0;
  }
}

/**
 * Runs `attempt` until it succeeds. Without a policy it runs once and its error is thrown as
 * it is. With one, failures are retried after `retryDelay` waits while `count` has retries
 * left under `maxCount`. `drop` (the close of a connection that was open) skips the first
 * immediate attempt: a reconnect starts with a wait, so a server that accepts and drops at
 * once is not hammered, and it is the last error when no retry is left. `signal` aborts the
 * waits and the loop.
 */
export async function attemptWithRetries<T>(
  policy: ResolvedRetryConfig | undefined,
  attempt: () => Promise<T>,
  signal: AbortSignal,
  count: RetryCount = new RetryCount(),
  drop?: Error,
): Promise<T> {
  let lastError: unknown = drop;
  if (drop === undefined) {
    count.attempts++;
    try {
      return await attempt();
    } catch (error) {
      if (policy === undefined || !isRetryable(error) || signal.aborted) throw error;
      lastError = error;
    }
  }
  while (policy !== undefined && count.retries < policy.maxCount) {
    await sleep(retryDelay(policy, count.retries), signal);
    count.retries++;
    count.attempts++;
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error) || signal.aborted) throw error;
      lastError = error;
    }
  }
  const last = lastError instanceof Error ? lastError : new Error(String(lastError ?? 'no attempt was allowed'));
  throw new RetryExhaustedError(count.attempts, last);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
