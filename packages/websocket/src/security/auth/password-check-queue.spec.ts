import { OVERLOAD_AFTER_MS, PasswordCheckQueue } from './password-check-queue';

/** A check that runs until the test ends it, recording when it started. */
function gatedCheck(started: string[], name: string): { check: () => Promise<string>; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    check: async () => {
      started.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PasswordCheckQueue', () => {
  it('runs at most `concurrency` checks at once, the next ones in arrival order while the queue drains quickly', async () => {
    const queue = new PasswordCheckQueue(2);
    const started: string[] = [];
    const checks = ['a', 'b', 'c', 'd'].map((name) => gatedCheck(started, name));
    const results = checks.map(({ check }) => queue.run(check));
    await settle();
    expect(started).toEqual(['a', 'b']);
    expect(queue.queued).toBe(2);
    checks[0].finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    for (const { finish } of checks) finish();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c', 'd']);
  });

  it('serves the newest check first once the oldest has waited past the overload threshold', async () => {
    const queue = new PasswordCheckQueue(1);
    const started: string[] = [];
    const checks = ['running', 'old', 'middle', 'new'].map((name) => gatedCheck(started, name));
    const results = checks.map(({ check }) => queue.run(check));
    await new Promise((resolve) => setTimeout(resolve, OVERLOAD_AFTER_MS + 50));
    checks[0].finish();
    await settle();
    expect(started).toEqual(['running', 'new']);
    for (const { finish } of checks) finish();
    await Promise.all(results);
  });

  it('drops a waiting check whose signal is aborted, without running it, and rejects with the reason', async () => {
    const queue = new PasswordCheckQueue(1);
    const started: string[] = [];
    const first = gatedCheck(started, 'first');
    const abandoned = gatedCheck(started, 'abandoned');
    const controller = new AbortController();
    const running = queue.run(first.check);
    const waiting = queue.run(abandoned.check, controller.signal);
    const reason = new Error('answered already');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(queue.queued).toBe(0);
    first.finish();
    await running;
    expect(started).toEqual(['first']);
    await expect(queue.run(abandoned.check, controller.signal)).rejects.toBe(reason);
  });
});
