import { judgeGrowth, median } from './growth-verdict';

const margin = { relative: 0.1, absolute: 2 };

describe('judgeGrowth', () => {
  it('passes a flat series with noise', () => {
    const values = Array.from({ length: 120 }, (_, i) => 50 + ((i * 7) % 5) - 2);
    expect(judgeGrowth('heap', values, margin).grew).toBe(false);
  });

  it('passes a series that grows during warm-up and then stays flat', () => {
    const values = Array.from({ length: 120 }, (_, i) => (i < 30 ? 20 + i : 50));
    expect(judgeGrowth('heap', values, margin).grew).toBe(false);
  });

  it('fails a series that keeps growing, even slowly', () => {
    const values = Array.from({ length: 120 }, (_, i) => 50 + i * 0.25); // +30 over the run
    const verdict = judgeGrowth('heap', values, margin);
    expect(verdict.grew).toBe(true);
    expect(verdict.lastQuarterMedian).toBeGreaterThan(verdict.limit);
  });

  it('refuses to judge fewer than 8 samples', () => {
    expect(() => judgeGrowth('heap', [1, 2, 3], margin)).toThrow(/too few/);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
