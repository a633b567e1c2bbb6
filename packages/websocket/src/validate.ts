// The field validators of every start-time configuration: the service's, the listener's, the
// client's (and its retryConfig) and the Redis backplane's. Each takes the config's error factory,
// so a bad field is refused with that config's own ConfigError naming the field, while what
// "a number of seconds" or "a count" means is written once.
import { MAX_TIMER_MS, timerSecondsProblem } from './timer-limits';

/** Makes the config's own error (a `ConfigError`) for `field`; the validators throw what it returns. */
export type ConfigErrorFactory = (field: string, problem: string) => Error;

// RFC 7230 token: what a Sec-WebSocket-Protocol value or a header name may be made of.
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A value as a problem quotes it: strings in quotes, the rest as `String` shows them. */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * A number of seconds a timer waits, within what a Node timer can (2^31-1 ms); `fallback` when
 * absent. `zero: 'zero allowed'` lets 0 mean "none".
 */
export function seconds(
  error: ConfigErrorFactory,
  field: string,
  value: unknown,
  fallback: number,
  zero: 'zero allowed' | 'positive',
): number {
  if (value === undefined) return fallback;
  const problem = timerSecondsProblem(value, zero);
  if (problem !== undefined) throw error(field, problem);
  return value as number;
}

/** A whole number of milliseconds from 1 to 2^31-1 (what a Node timer can wait); `fallback` when absent. */
export function milliseconds(error: ConfigErrorFactory, field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) {
    throw error(field, `must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${describeValue(value)}`);
  }
  return value;
}

/** A whole number from `min` (1 unless given) to `max`; `fallback` when absent. */
export function count(
  error: ConfigErrorFactory,
  field: string,
  value: unknown,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw error(field, `must be a whole number, ${range}, got ${describeValue(value)}`);
  }
  return value;
}

/** A size in bytes: a whole number, 1 or more; `fallback` when absent. */
export function bytes(error: ConfigErrorFactory, field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw error(field, `must be a whole number of bytes, 1 or more, got ${describeValue(value)}`);
  }
  return value;
}

/** A frozen list of RFC 7230 tokens (sub-protocol names), none twice; empty when absent. */
export function tokenList(error: ConfigErrorFactory, field: string, value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) throw error(field, 'must be an array of strings');
  const seen = new Set<string>();
  for (const token of value) {
    if (typeof token !== 'string' || !TOKEN.test(token)) throw error(field, `has an invalid sub-protocol name: ${describeValue(token)}`);
    if (seen.has(token)) throw error(field, `lists '${token}' twice`);
    seen.add(token);
  }
  return Object.freeze([...value]);
}

/** One of `choices`; the first when absent. */
export function choice<T extends string>(error: ConfigErrorFactory, field: string, value: unknown, choices: readonly T[]): T {
  if (value === undefined) return choices[0];
  if (!choices.includes(value as T)) {
    throw error(field, `must be one of ${choices.map((each) => `'${each}'`).join(', ')}, got ${describeValue(value)}`);
  }
  return value as T;
}

/** A non-empty string; `fallback` when absent. */
export function nonEmptyString(error: ConfigErrorFactory, field: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') throw error(field, `must be a non-empty string, got ${describeValue(value)}`);
  return value;
}
