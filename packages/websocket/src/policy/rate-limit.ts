// `rateLimit` on a service or a handler: its validation at start, and the token buckets that
// enforce it per message. No timers: a bucket refills from the time elapsed since it was last
// read, so a message costs one clock read and a few field updates. Buckets keyed by principal
// or address are shared by every connection with that key.
import type { Caller } from '../caller';
import type { ConfigErrorFactory } from '../validate';
import { describeValue } from '../validate';

/** What a service or handler allows one client to send. */
export interface RateLimit {
  /** Messages allowed per `per` seconds (the refill rate of the bucket). */
  messages: number;
  /** Seconds over which `messages` are allowed. */
  per: number;
  /** Messages that may arrive at once, after a quiet while (the bucket's size); default `messages`. */
  burst?: number;
  /**
   * Whose messages share a bucket: each `'connection'`'s own (default), every connection of one
   * `'principal'` (by `principal.name`; needs `auth`), or every connection from one `'ip'`
   * (the socket's remote address: behind a proxy that is the proxy's).
   */
  key?: 'connection' | 'principal' | 'ip';
  /**
   * A message over the limit: `'error'` (default) answers a typed message with the error reply
   * (code `DUET_ERR_RATE_LIMITED`) and `@OnError` hears a `RateLimitError`; a text or binary
   * frame is dropped. `'drop'` drops it, unanswered. `'close'` closes with 1008 `rate limit`.
   * Every refused message is counted in `registry.stats().rateLimited`.
   */
  onExceed?: 'error' | 'drop' | 'close';
}

/** A validated `rateLimit`. */
export interface ResolvedRateLimit {
  readonly messages: number;
  readonly per: number;
  readonly burst: number;
  readonly key: 'connection' | 'principal' | 'ip';
  readonly onExceed: 'error' | 'drop' | 'close';
}

const RATE_LIMIT_FIELDS = ['messages', 'per', 'burst', 'key', 'onExceed'];

/** Validates a raw `rateLimit` (named `field` in errors); `undefined` when absent. */
export function resolveRateLimit(error: ConfigErrorFactory, field: string, value: unknown): ResolvedRateLimit | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw error(field, 'must be an object: { messages, per, burst?, key?, onExceed? }');
  }
  const raw = value as Record<string, unknown>;
  for (const name of Object.keys(raw)) {
    if (!RATE_LIMIT_FIELDS.includes(name)) throw error(`${field}.${name}`, `is not a rateLimit option (${RATE_LIMIT_FIELDS.join(', ')})`);
  }
  const positive = (name: string, given: unknown): number => {
    if (typeof given !== 'number' || !Number.isFinite(given) || given <= 0) {
      throw error(`${field}.${name}`, `must be a positive number, got ${describeValue(given)}`);
    }
    return given;
  };
  const messages = positive('messages', raw.messages);
  const burst = raw.burst === undefined ? messages : positive('burst', raw.burst);
  if (burst < 1) throw error(`${field}.burst`, `must be 1 or more (a bucket that never holds a whole message refuses every one), got ${burst}`);
  const oneOf = <T extends string>(name: string, given: unknown, choices: readonly T[]): T => {
    if (given === undefined) return choices[0];
    if (!choices.includes(given as T)) {
      throw error(`${field}.${name}`, `must be one of ${choices.map((each) => `'${each}'`).join(', ')}, got ${describeValue(given)}`);
    }
    return given as T;
  };
  return Object.freeze({
    messages,
    per: positive('per', raw.per),
    burst,
    key: oneOf('key', raw.key, ['connection', 'principal', 'ip'] as const),
    onExceed: oneOf('onExceed', raw.onExceed, ['error', 'drop', 'close'] as const),
  });
}

/** One bucket: tokens left, and when they were counted (ms, `performance.now()`). */
interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The buckets of one `rateLimit` (one service's, or one handler's). `take(caller)` says whether
 * the caller may send one more message now, and counts it.
 */
export class RateLimiter {
  private readonly perMs: number;
  /** `'connection'`: one bucket per connection, gone with its Caller. */
  private readonly own = new WeakMap<Caller, Bucket>();
  /**
   * `'principal'` / `'ip'`: one bucket per key. A bucket that has refilled to `burst` is the same
   * as none, so such buckets are swept when the map has doubled since the last sweep: it stays
   * as large as the keys that sent recently (within `burst / rate`), without a timer and without
   * hooks on connection close.
   */
  private readonly shared = new Map<string, Bucket>();
  private sweepAt = 1024;

  constructor(readonly limit: ResolvedRateLimit) {
    this.perMs = limit.messages / (limit.per * 1000);
  }

  take(caller: Caller): boolean {
    const now = performance.now();
    const bucket = this.bucketOf(caller, now);
    const tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (tokens < 1) {
      bucket.tokens = tokens;
      return false;
    }
    bucket.tokens = tokens - 1;
    return true;
  }

  /** Keys with a bucket (for tests and stats): the shared map's size. */
  get sharedBuckets(): number {
    return this.shared.size;
  }

  private bucketOf(caller: Caller, now: number): Bucket {
    const { key } = this.limit;
    if (key === 'connection') {
      let bucket = this.own.get(caller);
      if (bucket === undefined) this.own.set(caller, (bucket = { tokens: this.limit.burst, at: now }));
      return bucket;
    }
    // A principal's name and an address may look alike: the prefix keeps them apart.
    const name = key === 'principal' ? `p:${caller.principal?.name ?? ''}` : `a:${caller.request.remoteAddress ?? ''}`;
    let bucket = this.shared.get(name);
    if (bucket === undefined) {
      if (this.shared.size >= this.sweepAt) this.sweep(now);
      this.shared.set(name, (bucket = { tokens: this.limit.burst, at: now }));
    }
    return bucket;
  }

  private sweep(now: number): void {
    const fullAfterMs = this.limit.burst / this.perMs;
    for (const [name, bucket] of this.shared) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.limit.burst || now - bucket.at >= fullAfterMs) this.shared.delete(name);
    }
    this.sweepAt = Math.max(1024, this.shared.size * 2);
  }
}
