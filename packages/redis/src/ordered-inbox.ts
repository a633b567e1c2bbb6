// Keeps a node's answers and its later signals in the order it sent them, as the registry sees
// them. Redis delivers them in order, but an answer reaches the registry through the request's
// promise, once the request has settled (every node answered), while a signal is handed over as
// it arrives: a signal a node sent after its answer could overtake it, and be undone when the
// answer (say, a presence state) replaces what the signal amended. So a signal (or a left
// notice) from a node that has answered a request still open waits here, and so does everything
// that node sends after it; once the request has settled, what is held is handed over in a
// later turn of the event loop (`setImmediate`), after the code awaiting the request has run.
// Until then the answering nodes stay held: a signal arriving between the settling and the
// awaiting code's turn would overtake the answer as well.

interface Held {
  readonly origin: string;
  readonly hand: () => void;
}

/** @internal */
export class OrderedInbox {
  private held: Held[] = [];
  /** How many held items each origin has. */
  private readonly heldFrom = new Map<string, number>();
  /** Nodes whose answers are on their way to the awaiting code: held until the drain. */
  private readonly settling = new Set<string>();
  private drainScheduled = false;

  constructor(
    /** Whether `origin` has answered a request still open. */
    private readonly holds: (origin: string) => boolean,
    /** Runs `hand`, catching and logging what it throws. */
    private readonly run: (hand: () => void) => void,
  ) {}

  /** Hands `hand` over now, or after what `origin` answered and sent before it. */
  push(origin: string, hand: () => void): void {
    if (!this.holds(origin) && !this.heldFrom.has(origin) && !this.settling.has(origin)) {
      this.run(hand);
      return;
    }
    this.held.push({ origin, hand });
    this.heldFrom.set(origin, (this.heldFrom.get(origin) ?? 0) + 1);
  }

  /** A request these nodes answered settled: hands over, in a later turn, what they no longer hold back. */
  requestSettled(answered: Iterable<string>): void {
    for (const node of answered) this.settling.add(node);
    if (this.drainScheduled || (this.held.length === 0 && this.settling.size === 0)) return;
    this.drainScheduled = true;
    setImmediate(this.drain);
  }

  /** Drops what is held (the backplane stops). */
  clear(): void {
    this.held = [];
    this.heldFrom.clear();
    this.settling.clear();
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    this.settling.clear();
    const items = this.held;
    this.held = [];
    // An origin still answering an open request keeps its items, in order; so does one whose
    // earlier item was kept.
    const blocked = new Set<string>();
    for (const item of items) {
      if (blocked.has(item.origin) || this.holds(item.origin)) {
        blocked.add(item.origin);
        this.held.push(item);
        continue;
      }
      const left = this.heldFrom.get(item.origin)! - 1;
      if (left === 0) this.heldFrom.delete(item.origin);
      else this.heldFrom.set(item.origin, left);
      this.run(item.hand);
    }
  };
}
