// The one check of every timeout, the server's and the client's, in a config (service,
// listener, client) or at a call (`stop`, `close`). Node does not refuse a delay over
// 2^31-1 ms, or Infinity: it warns and fires after 1 ms, so "wait a month" would silently
// become "now".

/** 2^31-1 ms (about 24.8 days): the longest a Node timer can wait. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Why `value` cannot be a number of seconds for a timer, as a phrase that follows the field's
 * name, or `undefined` when it can: finite, not negative (above 0 unless `zero` allows it),
 * at most 2^31-1 ms.
 */
export function timerSecondsProblem(value: unknown, zero: 'zero allowed' | 'positive'): string | undefined {
  const positive = zero === 'positive';
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    return `must be a finite number of seconds, ${positive ? 'above 0' : '0 or more'}; got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
  }
  if (value * 1000 > MAX_TIMER_MS) {
    return `must be at most ${MAX_TIMER_MS / 1000} seconds (2^31-1 ms, about 24.8 days: the longest a timer can wait); got ${value}`;
  }
  return undefined;
}
