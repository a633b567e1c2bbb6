// A seeded random walk of a pair's price: a pair always walks the same way, so the sample
// shows the same numbers on every run and its tests can rely on them being plausible.

const OPENING_PRICES: Record<string, number> = {
  'XBT/USD': 61250,
  'XBT/EUR': 56480,
  'ETH/USD': 3020,
  'ETH/EUR': 2785,
  'SOL/USD': 148.5,
};

/** The next bid, ask and last trade price of one pair, a small random step each time. */
export class PriceWalk {
  private price: number;
  private state: number;

  constructor(pair: string) {
    this.price = OPENING_PRICES[pair] ?? 100;
    this.state = seedOf(pair);
  }

  step(): { bid: number; ask: number; last: number } {
    this.price *= 1 + (this.random() - 0.5) / 500; // at most ±0.1 % a step
    const halfSpread = this.price / 20000;
    return { bid: cents(this.price - halfSpread), ask: cents(this.price + halfSpread), last: cents(this.price) };
  }

  // mulberry32: small, fast and good enough for made-up prices.
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

function seedOf(text: string): number {
  let hash = 2166136261; // FNV-1a
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

function cents(value: number): number {
  return Math.round(value * 100) / 100;
}
