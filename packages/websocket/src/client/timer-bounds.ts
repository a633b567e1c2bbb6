// The longest wait a Node timer can hold. Node runs a timer of more than 2^31-1 ms after 1 ms
// instead (with only a warning), so every time the client is given, in an option or as an
// argument, is held to that bound once, in milliseconds, where it is given.

/** 2^31-1 ms (about 24.8 days): the longest time a client option or argument may hold. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Why `value` cannot be used as a number of seconds for a timer, or `undefined` when it can:
 * finite, not negative (and above 0 unless `zero` allows it), at most 2^31-1 ms.
 */
export function timerSecondsProblem(value: unknown, zero: 'zero allowed' | 'positive'): string | undefined {
  const positive = zero === 'positive';
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    return `must be a finite number of seconds, ${positive ? 'above 0' : '0 or more'}; got ${String(value)}`;
  }
  if (value * 1000 > MAX_TIMER_MS) {
    return `must be at most ${MAX_TIMER_MS / 1000} seconds (2^31-1 ms, about 24.8 days: the longest a timer can wait); got ${value}`;
  }
  return undefined;
}
