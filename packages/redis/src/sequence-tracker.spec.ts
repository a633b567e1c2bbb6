import { SequenceTracker } from './sequence-tracker';

describe('SequenceTracker', () => {
  it('accepts the first message of an origin whatever its number, without counting earlier ones as missed', () => {
    const tracker = new SequenceTracker();
    expect(tracker.accept('a', 41)).toBe(true);
    expect(tracker.missed).toBe(0);
  });

  it('drops a number it has seen or an older one, per origin', () => {
    const tracker = new SequenceTracker();
    expect([tracker.accept('a', 1), tracker.accept('a', 2), tracker.accept('a', 2), tracker.accept('a', 1)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(tracker.accept('b', 1)).toBe(true);
  });

  it('counts the numbers skipped as missed', () => {
    const tracker = new SequenceTracker();
    tracker.accept('a', 1);
    tracker.accept('a', 5);
    tracker.accept('b', 10);
    tracker.accept('b', 12);
    expect(tracker.missed).toBe(3 + 1);
  });

  it('does not count as missed the numbers its origin reports it failed to publish', () => {
    const tracker = new SequenceTracker();
    tracker.accept('a', 1, 0);
    tracker.accept('a', 4, 1); // 2 and 3 skipped, one of them failed at the origin
    expect(tracker.missed).toBe(1);
    tracker.accept('a', 7, 3); // 5 and 6 skipped, both failed at the origin
    expect(tracker.missed).toBe(1);
  });

  it('forgets origins silent since a given time', () => {
    const tracker = new SequenceTracker();
    tracker.accept('old', 1, 0, 1000);
    tracker.accept('new', 1, 0, 5000);
    tracker.forgetSilent(2000);
    expect(tracker.size).toBe(1);
    expect(tracker.accept('old', 1, 0, 6000)).toBe(true);
  });
});
