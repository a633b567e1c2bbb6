// Reconnect delays: exponential, capped, with jitter so that clients dropped together do not come back together.

export interface ReconnectOptions {
  /** Seconds before the first retry (default 0.5). */
  initialDelay: number;
  /** Upper bound of a delay, in seconds (default 10). */
  maxDelay: number;
  /** Growth per attempt (default 2). */
  factor: number;
  /** 0–1: a delay is shortened by up to this fraction at random (default 0.5). */
  jitter: number;
  /** Attempts in a row without a connection before giving up (default Infinity). */
  maxAttempts: number;
}

export const DEFAULT_RECONNECT: Readonly<ReconnectOptions> = Object.freeze({
  initialDelay: 0.5,
  maxDelay: 10,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
});

/** The delay in ms before attempt `attempt` (1 for the first retry). */
export function reconnectDelay(options: ReconnectOptions, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(attempt - 1, 64);
  const delay = Math.min(options.maxDelay, options.initialDelay * options.factor ** exponent);
  return Math.round(delay * (1 - options.jitter * random()) * 1000);
}
