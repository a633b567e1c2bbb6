// Latencies in microseconds, counted into log-linear buckets (32 per power of two, so a
// percentile is off by at most ~3 %): recording is one index computation and one increment.
const SUB_BUCKETS = 32;
const SUB_BITS = 5;
const MAX_POWER = 27; // groups up to 2³¹ µs

export class LatencyHistogram {
  private readonly counts = new Float64Array((MAX_POWER + 1) * SUB_BUCKETS);
  total = 0;

  record(micros: number): void {
    const value = micros < 1 ? 0 : Math.min(Math.floor(micros), 0x7fffffff);
    this.counts[bucketOf(value)]++;
    this.total++;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** The latency (µs) below which a fraction `q` (0..1) of the recorded values lie. */
  percentile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return upperBoundOf(i);
    }
    return upperBoundOf(this.counts.length - 1);
  }
}

function bucketOf(value: number): number {
  if (value < SUB_BUCKETS) return value;
  const power = 31 - Math.clz32(value); // value in [2^power, 2^(power+1))
  const shift = power - SUB_BITS;
  const sub = (value >>> shift) - SUB_BUCKETS; // 0..31
  const index = (power - SUB_BITS + 1) * SUB_BUCKETS + sub;
  return Math.min(index, (MAX_POWER + 1) * SUB_BUCKETS - 1);
}

function upperBoundOf(index: number): number {
  if (index < SUB_BUCKETS) return index + 1;
  const group = Math.floor(index / SUB_BUCKETS); // ≥ 1
  const sub = index % SUB_BUCKETS;
  const shift = group - 1;
  return ((SUB_BUCKETS + sub + 1) << shift) >>> 0;
}
