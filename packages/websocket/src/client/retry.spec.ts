import { ClientConfigError, ConnectError, HandshakeError, RetryExhaustedError, TlsError } from './client-errors';
import { ConnectionClosedError } from '../errors';
import { RetryCount, attemptWithRetries, resolveRetryConfig, retryDelay } from './retry';

describe('retryDelay', () => {
  it('is min(interval × backOffFactor^n, maxWaitInterval) with no jitter by default', () => {
    const policy = resolveRetryConfig({ interval: 0.5, backOffFactor: 2, maxWaitInterval: 3 })!;
    expect([0, 1, 2, 3, 4, 10].map((n) => retryDelay(policy, n))).toEqual([500, 1000, 2000, 3000, 3000, 3000]);
  });

  it('shortens each wait by at most the jitter fraction when jitter is asked for', () => {
    const policy = resolveRetryConfig({ interval: 1, jitter: 0.25 })!;
    expect(retryDelay(policy, 0, () => 0)).toBe(1000);
    expect(retryDelay(policy, 0, () => 1)).toBe(750);
    expect(retryDelay(policy, 0, () => 0.5)).toBe(875);
  });

  it('has defaults of 3 retries, 1 s, factor 1, 30 s and a minimum uptime of 5 s', () => {
    expect(resolveRetryConfig({})).toEqual({
      maxCount: 3,
      intervalMs: 1000,
      backOffFactor: 1,
      maxWaitMs: 30000,
      jitter: 0,
      minUptimeMs: 5000,
    });
  });

  it('refuses a maxCount that is not a whole number', () => {
    expect(() => resolveRetryConfig({ maxCount: 1.5 })).toThrow(ClientConfigError);
    expect(() => resolveRetryConfig({ maxCount: -1 })).toThrow(ClientConfigError);
    expect(resolveRetryConfig({ maxCount: Infinity })!.maxCount).toBe(Infinity);
  });
});

describe('attemptWithRetries', () => {
  const fast = resolveRetryConfig({ maxCount: 2, interval: 0.001 });

  it('throws the first error as it is without a policy', async () => {
    const error = new ConnectError('refused', 'ECONNREFUSED');
    let calls = 0;
    const attempt = () => {
      calls++;
      return Promise.reject(error);
    };
    await expect(attemptWithRetries(undefined, attempt, new AbortController().signal)).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('makes 1 + maxCount attempts and reports them with the last error', async () => {
    let calls = 0;
    const attempt = () => Promise.reject(new ConnectError(`failure ${++calls}`, undefined));
    const error = await attemptWithRetries(fast, attempt, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error).toMatchObject({ attempts: 3, lastError: { message: 'failure 3' } });
  });

  it('returns as soon as an attempt succeeds', async () => {
    let calls = 0;
    const attempt = () => (++calls < 2 ? Promise.reject(new ConnectError('no', undefined)) : Promise.resolve('open'));
    await expect(attemptWithRetries(fast, attempt, new AbortController().signal)).resolves.toBe('open');
    expect(calls).toBe(2);
  });

  it('does not retry a TLS failure or a 4xx refusal, but retries 503 and 429', async () => {
    for (const [error, expectedCalls] of [
      [new TlsError('bad cert', 'CERT_HAS_EXPIRED'), 1],
      [new HandshakeError(403, ''), 1],
      [new HandshakeError(503, ''), 3],
      [new HandshakeError(429, ''), 3],
    ] as const) {
      let calls = 0;
      const attempt = () => {
        calls++;
        return Promise.reject(error);
      };
      await attemptWithRetries(fast, attempt, new AbortController().signal).catch(() => undefined);
      expect(calls).toBe(expectedCalls);
    }
  });

  it('after a drop starts with a wait and makes maxCount attempts', async () => {
    const policy = resolveRetryConfig({ maxCount: 2, interval: 0.05 });
    const times: number[] = [];
    const started = Date.now();
    const attempt = () => {
      times.push(Date.now() - started);
      return Promise.reject(new ConnectError('down', undefined));
    };
    const drop = new ConnectionClosedError(1006);
    const error = await attemptWithRetries(policy, attempt, new AbortController().signal, new RetryCount(), drop).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ attempts: 2 });
    expect(times).toHaveLength(2);
    expect(times[0]).toBeGreaterThanOrEqual(45);
  });

  it('spends one count across calls: retries used before a drop are not given back', async () => {
    const policy = resolveRetryConfig({ maxCount: 3, interval: 0.001 });
    const count = new RetryCount();
    let calls = 0;
    const flaky = () => (++calls % 3 === 0 ? Promise.resolve('open') : Promise.reject(new ConnectError('down', undefined)));
    await attemptWithRetries(policy, flaky, new AbortController().signal, count); // fails twice, then opens
    expect(count).toMatchObject({ attempts: 3, retries: 2 });
    const drop = new ConnectionClosedError(1006);
    const never = () => Promise.reject(new ConnectError('down', undefined));
    const error = await attemptWithRetries(policy, never, new AbortController().signal, count, drop).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'RetryExhaustedError', attempts: 4 });
    count.reset();
    expect(count).toMatchObject({ attempts: 0, retries: 0 });
  });

  it('reports the drop as the last error when no retry is left', async () => {
    const policy = resolveRetryConfig({ maxCount: 0 });
    const count = new RetryCount();
    count.attempts = 1;
    const drop = new ConnectionClosedError(1006);
    const error = await attemptWithRetries(policy, () => Promise.resolve(), new AbortController().signal, count, drop).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'RetryExhaustedError', attempts: 1, lastError: drop });
  });

  it('stops waiting when aborted and rejects with the abort reason', async () => {
    const controller = new AbortController();
    const slow = resolveRetryConfig({ maxCount: 5, interval: 60 });
    const running = attemptWithRetries(slow, () => Promise.reject(new ConnectError('down', undefined)), controller.signal);
    const reason = new Error('closed by the application');
    setTimeout(() => controller.abort(reason), 10);
    await expect(running).rejects.toBe(reason);
  });
});
