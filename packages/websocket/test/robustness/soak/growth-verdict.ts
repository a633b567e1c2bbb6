// Does a series grow without bound? The soak's verdict: the median of the last quarter of the
// run against the median of the second quarter (the first is warm-up: JIT, pools, buffers).
// Growth within a margin (relative plus absolute) is noise; more is a leak.

export interface Margin {
  /** Allowed growth as a fraction of the second quarter's median (0.1 = 10 %). */
  readonly relative: number;
  /** Allowed growth on top, in the series' unit. */
  readonly absolute: number;
}

export interface SeriesVerdict {
  readonly name: string;
  readonly secondQuarterMedian: number;
  readonly lastQuarterMedian: number;
  readonly limit: number;
  readonly grew: boolean;
}

/** Needs at least 8 points (two per quarter); with fewer there is nothing to judge. */
export function judgeGrowth(name: string, values: readonly number[], margin: Margin): SeriesVerdict {
  if (values.length < 8) throw new RangeError(`${name}: ${values.length} samples are too few to judge growth (8 at least)`);
  const quarter = Math.floor(values.length / 4);
  const second = median(values.slice(quarter, 2 * quarter));
  const last = median(values.slice(values.length - quarter));
  const limit = second * (1 + margin.relative) + margin.absolute;
  return { name, secondQuarterMedian: second, lastQuarterMedian: last, limit, grew: last > limit };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
