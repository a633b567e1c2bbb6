import { FrameKind, ResumeBuffer } from './resume-buffer';

function filled(count: number, size = 10): ResumeBuffer {
  const buffer = new ResumeBuffer();
  for (let n = 1; n <= count; n++) buffer.push(`m${n}`, FrameKind.Data, size);
  return buffer;
}

describe('ResumeBuffer', () => {
  it('numbers messages by their place and forgets those acknowledged', () => {
    const buffer = filled(5);
    expect([buffer.acked, buffer.last, buffer.count, buffer.bytes]).toEqual([0, 5, 5, 50]);
    expect(buffer.acknowledge(3)).toBe(true);
    expect([buffer.acked, buffer.last, buffer.count, buffer.bytes]).toEqual([3, 5, 2, 20]);
    expect(buffer.nextFrame()).toBe('m4');
  });

  it('refuses an acknowledgement before the last one or past the last message, changing nothing', () => {
    const buffer = filled(5);
    buffer.acknowledge(2);
    for (const bad of [1, 6, 2.5, Number.NaN, -1]) expect(buffer.acknowledge(bad)).toBe(false);
    expect([buffer.acked, buffer.count]).toEqual([2, 3]);
  });

  it('lets frames out only within the bounds, but a single large one when nothing is in flight', () => {
    const buffer = filled(4, 10);
    let out = 0;
    while (buffer.nextFits(2, 1000)) {
      buffer.markWritten();
      out++;
    }
    expect(out).toBe(2);
    expect(buffer.heldBytes).toBe(20);
    buffer.acknowledge(2); // the two in flight arrived: two more may go
    expect(buffer.written).toBe(0);
    const big = new ResumeBuffer();
    big.push('x'.repeat(50), FrameKind.Data, 50);
    expect(big.nextFits(10, 20)).toBe(true);
  });

  it('starts writing again from the first unacknowledged frame on a new transport', () => {
    const buffer = filled(3);
    buffer.markWritten();
    buffer.markWritten();
    buffer.rewind();
    expect(buffer.nextFrame()).toBe('m1');
  });

  it('compacts its arrays as acknowledgements move the head, keeping the order', () => {
    const buffer = filled(5000, 1);
    buffer.acknowledge(4000);
    expect(buffer.count).toBe(1000);
    expect(buffer.nextFrame()).toBe('m4001');
    expect(buffer.acknowledge(5000)).toBe(true);
    expect(buffer.count).toBe(0);
  });
});
