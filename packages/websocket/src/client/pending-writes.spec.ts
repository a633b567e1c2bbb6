import { ConnectionClosedError } from '../errors';
import { WriteTimeoutError } from './client-errors';
import { PendingWrites } from './pending-writes';

const closed = () => new ConnectionClosedError(1006, '');

function outcome(promise: Promise<void>): { state: string } {
  const result = { state: 'pending' };
  promise.then(
    () => (result.state = 'resolved'),
    (error: Error) => (result.state = error.name),
  );
  return result;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PendingWrites', () => {
  it('settles writes in order, one per callback', async () => {
    const writes = new PendingWrites(0, closed);
    const first = outcome(writes.add());
    const second = outcome(writes.add());
    writes.onWritten();
    await tick();
    expect([first.state, second.state]).toEqual(['resolved', 'pending']);
    writes.onWritten(new Error('socket gone'));
    await tick();
    expect(second.state).toBe('ConnectionClosedError');
  });

  it('rejects a write still pending after the write timeout, and later callbacks stay lined up', async () => {
    const writes = new PendingWrites(0.03, closed);
    const stuck = outcome(writes.add());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stuck.state).toBe('WriteTimeoutError');
    const next = outcome(writes.add());
    writes.onWritten(); // the stuck write's callback finally comes
    await tick();
    expect(next.state).toBe('pending');
    writes.onWritten();
    await tick();
    expect(next.state).toBe('resolved');
    writes.fail(closed());
  });

  it('rejects the pending writes when the connection fails and ignores callbacks after', async () => {
    const writes = new PendingWrites(10, closed);
    const a = writes.add();
    const b = writes.add();
    writes.fail(new ConnectionClosedError(1001, 'bye'));
    await expect(a).rejects.toMatchObject({ statusCode: 1001 });
    await expect(b).rejects.toMatchObject({ statusCode: 1001 });
    expect(() => writes.onWritten()).not.toThrow();
  });

  it('names the timeout in the error', () => {
    expect(new WriteTimeoutError(2)).toMatchObject({ code: 'DUET_ERR_WRITE_TIMEOUT', timeoutSeconds: 2 });
  });
});
