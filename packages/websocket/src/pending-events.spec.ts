import { HandlerEvent } from './metadata';
import { PendingEvents } from './pending-events';

describe('pending events', () => {
  it('hands events back oldest first, each with its own two arguments', () => {
    const queue = new PendingEvents();
    queue.push(HandlerEvent.Text, 'a', undefined);
    queue.push(HandlerEvent.Close, 1000, 'bye');
    expect(queue.count).toBe(2);
    expect(queue.shift()).toBe(HandlerEvent.Text);
    expect([queue.first, queue.second]).toEqual(['a', undefined]);
    expect(queue.shift()).toBe(HandlerEvent.Close);
    expect([queue.first, queue.second]).toEqual([1000, 'bye']);
    expect(queue.count).toBe(0);
  });

  it('keeps the order across the compaction of a long queue that is never empty', () => {
    const queue = new PendingEvents();
    const taken: unknown[] = [];
    let next = 0;
    for (let round = 0; round < 5000; round++) {
      queue.push(HandlerEvent.Text, next++, undefined);
      queue.push(HandlerEvent.Text, next++, undefined);
      queue.shift();
      taken.push(queue.first);
    }
    while (queue.count > 0) {
      queue.shift();
      taken.push(queue.first);
    }
    expect(taken).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it('lets go of the arguments it handed out once released', () => {
    const queue = new PendingEvents();
    queue.push(HandlerEvent.Binary, Buffer.alloc(1024), undefined);
    queue.shift();
    queue.release();
    expect(queue.first).toBeUndefined();
  });
});
