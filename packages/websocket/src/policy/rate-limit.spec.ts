// The token buckets on their own: refusal, sharing by key, and the sweep that keeps the shared
// map as small as the keys that sent recently. (The socket-level behaviour is in
// test/message-policy.test.ts.)
import type { Caller } from '../caller';
import { ServiceConfigError } from '../errors';
import { RateLimiter, resolveRateLimit } from './rate-limit';

const error = (field: string, problem: string) => new ServiceConfigError('Spec', field, problem);
const limit = (raw: object) => resolveRateLimit(error, 'rateLimit', raw)!;
const from = (address: string) => ({ request: { remoteAddress: address } }) as unknown as Caller;

describe('RateLimiter', () => {
  it('lets burst messages through at once, then refuses', () => {
    const limiter = new RateLimiter(limit({ messages: 1, per: 60, burst: 3 }));
    const caller = from('10.0.0.1');
    expect([1, 2, 3, 4].map(() => limiter.take(caller))).toEqual([true, true, true, false]);
  });

  it('sweeps the shared buckets that refilled, and never one that is still refusing', () => {
    // One address spends its only token; then thousands of others each send once and, at a
    // million messages a second, are full again at once: only they may be swept.
    const slow = new RateLimiter(limit({ messages: 1, per: 60, key: 'ip' }));
    const fast = new RateLimiter(limit({ messages: 1_000_000, per: 1, burst: 1, key: 'ip' }));
    const spent = from('10.0.0.1');
    expect(slow.take(spent)).toBe(true);
    for (let i = 0; i < 5000; i++) {
      const caller = from(`10.1.${i >> 8}.${i & 255}`);
      slow.take(caller);
      fast.take(caller);
    }
    expect(slow.take(spent)).toBe(false);
    expect(fast.sharedBuckets).toBeLessThanOrEqual(1024);
    expect(slow.sharedBuckets).toBe(5001);
  });

  it('refuses a malformed rateLimit naming the field', () => {
    expect(() => limit({ messages: 5 })).toThrow("Spec: 'rateLimit.per' must be a positive number, got undefined");
    expect(() => limit({ messages: 5, per: 1, burst: 0.5 })).toThrow("'rateLimit.burst' must be 1 or more");
    expect(() => limit({ messages: 5, per: 1, key: 'user' })).toThrow("'rateLimit.key' must be one of 'connection', 'principal', 'ip', got \"user\"");
    expect(() => limit({ messages: 5, per: 1, onExceed: 'wait' })).toThrow("'rateLimit.onExceed' must be one of 'error', 'drop', 'close'");
    expect(() => limit({ messages: 5, per: 1, window: 3 })).toThrow("'rateLimit.window' is not a rateLimit option");
  });
});
