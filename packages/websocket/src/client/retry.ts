// Retrying connection attempts: the policy, its validation, the backoff arithmetic and the
// loop that runs attempts until one succeeds, a refusal makes retrying pointless, or the
// policy runs out (then RetryExhaustedError reports the attempts and the last error).
import { ClientConfigError, HandshakeError, RetryExhaustedError, TlsError } from './client-errors';

/**
 * How failed connects are retried, and how an abnormal drop (1006) is reconnected.
 * The wait before retry `n` (counting from 0) is `min(interval × backOffFactor^n, maxWaitInterval)`
 * seconds; with `jitter` set, each wait is shortened by a random fraction of at most `jitter`.
 */
export interface RetryConfig {
  /** Retries after the first attempt (default 3). `Infinity` never gives up. */
  maxCount?: number;
  /** Seconds before the first retry (default 1). */
  interval?: number;
  /** Factor each wait is multiplied by (default 1, no growth; at least 1). */
  backOffFactor?: number;
  /** Longest wait in seconds (default 30). */
  maxWaitInterval?: number;
  /** Fraction from 0 (default: waits exactly as computed) to 1 by which each wait may randomly shrink. */
  jitter?: number;
}

/** A validated retry policy; times in milliseconds. */
export interface ResolvedRetryConfig {
  readonly maxCount: number;
  readonly intervalMs: number;
  readonly backOffFactor: number;
  readonly maxWaitMs: number;
  readonly jitter: number;
}

const MAX_WAIT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

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
  return Object.freeze({ maxCount, intervalMs: interval * 1000, backOffFactor, maxWaitMs: maxWaitInterval * 1000, jitter });
}

function waitSeconds(field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_WAIT_SECONDS) {
    throw new ClientConfigError(field, `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, got ${String(value)}`);
  }
  return value;
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
 * Runs `attempt` until it succeeds. Without a policy it runs once and its error is thrown as
 * it is. With one, failures are retried after `retryDelay` waits, up to `maxCount` retries;
 * `afterDrop` skips the first immediate attempt (a reconnect starts with a wait, so a server
 * that accepts and drops at once is not hammered). `signal` aborts the waits and the loop.
 */
export async function attemptWithRetries<T>(
  policy: ResolvedRetryConfig | undefined,
  attempt: () => Promise<T>,
  signal: AbortSignal,
  afterDrop = false,
): Promise<T> {
  let attempts = 0;
  let lastError: unknown;
  if (!afterDrop) {
    attempts++;
    try {
      return await attempt();
    } catch (error) {
      if (policy === undefined || !isRetryable(error) || signal.aborted) throw error;
      lastError = error;
    }
  }
  for (let retry = 0; policy !== undefined && retry < policy.maxCount; retry++) {
    await sleep(retryDelay(policy, retry), signal);
    attempts++;
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error) || signal.aborted) throw error;
      lastError = error;
    }
  }
  const last = lastError instanceof Error ? lastError : new Error(String(lastError ?? 'no attempt was allowed'));
  throw new RetryExhaustedError(attempts, last);
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
