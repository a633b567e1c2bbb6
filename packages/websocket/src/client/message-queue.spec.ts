import { ConnectionClosedError } from '../errors';
import { MessageTypeError, ReadTimeoutError } from './client-errors';
import { type FlowControl, MessageQueue, ReadKind } from './message-queue';

/** A source that records what the queue asked of it. */
class RecordingFlow implements FlowControl {
  readonly calls: string[] = [];
  pause(): void {
    this.calls.push('pause');
  }
  resume(): void {
    this.calls.push('resume');
  }
}

async function readAll(queue: MessageQueue, count: number): Promise<(string | Buffer)[]> {
  const out: (string | Buffer)[] = [];
  for (let i = 0; i < count; i++) out.push(await queue.read(ReadKind.Any));
  return out;
}

describe('MessageQueue', () => {
  it('keeps arrival order across the ring wrapping around and growing', async () => {
    const queue = new MessageQueue(10_000, 1e9, 0);
    for (let i = 0; i < 50; i++) queue.push(`a${i}`);
    expect(await readAll(queue, 30)).toEqual(Array.from({ length: 30 }, (_, i) => `a${i}`));
    for (let i = 0; i < 300; i++) queue.push(`b${i}`); // wraps the 64-slot ring, then grows it twice
    const expected = [...Array.from({ length: 20 }, (_, i) => `a${30 + i}`), ...Array.from({ length: 300 }, (_, i) => `b${i}`)];
    expect(await readAll(queue, 320)).toEqual(expected);
    expect(queue.length).toBe(0);
  });

  it('pauses its source at maxMessages and resumes it once reads took it down to half', async () => {
    const flow = new RecordingFlow();
    const queue = new MessageQueue(4, 1e9, 0);
    queue.setFlow(flow);
    for (let i = 0; i < 5; i++) queue.push(`m${i}`);
    expect(flow.calls).toEqual(['pause']);
    await readAll(queue, 2);
    expect(flow.calls).toEqual(['pause']); // 3 left, above half
    await readAll(queue, 1);
    expect(flow.calls).toEqual(['pause', 'resume']);
  });

  it('pauses its source at maxBytes', () => {
    const flow = new RecordingFlow();
    const queue = new MessageQueue(1000, 10, 0);
    queue.setFlow(flow);
    queue.push(Buffer.alloc(6));
    expect(flow.calls).toEqual([]);
    queue.push('abcd');
    expect(flow.calls).toEqual(['pause']);
    expect(queue.byteLength).toBe(10);
  });

  it('pauses a new source at once when it is set on a full queue', () => {
    const queue = new MessageQueue(1, 1e9, 0);
    queue.push('full');
    const flow = new RecordingFlow();
    queue.setFlow(flow);
    expect(flow.calls).toEqual(['pause']);
  });

  it('rejects a typed read of the other kind and keeps the message first', async () => {
    const queue = new MessageQueue(10, 1e9, 0);
    queue.push(Buffer.from('b'));
    queue.push('t');
    await expect(queue.read(ReadKind.Text)).rejects.toBeInstanceOf(MessageTypeError);
    expect(await queue.read(ReadKind.Binary)).toEqual(Buffer.from('b'));
    await expect(queue.read(ReadKind.Binary)).rejects.toMatchObject({ expected: 'binary', actual: 'text' });
    expect(await queue.read(ReadKind.Text)).toBe('t');
  });

  it('hands arriving messages to waiting reads in the order they were made', async () => {
    const queue = new MessageQueue(10, 1e9, 0);
    const first = queue.read(ReadKind.Any);
    const second = queue.read(ReadKind.Any);
    queue.push('one');
    queue.push('two');
    queue.push('three');
    expect(await first).toBe('one');
    expect(await second).toBe('two');
    expect(queue.length).toBe(1);
  });

  it('rejects a waiting read of the wrong kind and gives the message to the next waiting read', async () => {
    const queue = new MessageQueue(10, 1e9, 0);
    const text = queue.read(ReadKind.Text);
    const any = queue.read(ReadKind.Any);
    queue.push(Buffer.from([1]));
    await expect(text).rejects.toBeInstanceOf(MessageTypeError);
    expect(await any).toEqual(Buffer.from([1]));
  });

  it('times out a waiting read without disturbing the reads after it', async () => {
    const queue = new MessageQueue(10, 1e9, 0.05);
    const timedOut = queue.read(ReadKind.Any);
    await expect(timedOut).rejects.toBeInstanceOf(ReadTimeoutError);
    const next = queue.read(ReadKind.Any);
    queue.push('after');
    expect(await next).toBe('after');
  });

  it('lets queued messages be read after the end, then rejects with the end error', async () => {
    const queue = new MessageQueue(10, 1e9, 0);
    queue.push('last');
    const closed = new ConnectionClosedError(1001, 'bye');
    queue.end(closed);
    expect(await queue.read(ReadKind.Any)).toBe('last');
    await expect(queue.read(ReadKind.Any)).rejects.toBe(closed);
  });

  it('rejects reads that were waiting when the queue ends', async () => {
    const queue = new MessageQueue(10, 1e9, 10);
    const waiting = queue.read(ReadKind.Text);
    queue.end(new ConnectionClosedError(1006));
    await expect(waiting).rejects.toMatchObject({ statusCode: 1006 });
  });
});
