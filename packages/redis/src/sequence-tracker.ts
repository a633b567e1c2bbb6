// Per-origin sequence numbers: every node numbers what it hands to Redis, so a receiver can
// drop a message it already delivered (a publish resent after a reconnect) and count the ones
// it never got (published while its own subscription was down) instead of losing them silently.
// A number its origin failed to publish (and counted as undelivered there) is not missed here:
// each message carries how many numbered publishes its origin has seen fail so far.

interface Origin {
  last: number;
  failed: number;
  heardAt: number;
}

/** @internal Tracks the last sequence number seen from each origin node. */
export class SequenceTracker {
  /** Messages from other nodes that were published but never arrived here. */
  missed = 0;
  private readonly origins = new Map<string, Origin>();

  /**
   * Whether the message numbered `seq` from `origin` is new (deliver it) or a duplicate
   * (drop it). A jump past the next number adds the numbers skipped to `missed`, less those
   * the origin reports as failed since its previous message (`failed` is its running total).
   * The first message from an origin starts its count: what it sent before this node listened
   * is not this node's loss.
   */
  accept(origin: string, seq: number, failed = 0, now = Date.now()): boolean {
    const known = this.origins.get(origin);
    if (known === undefined) {
      this.origins.set(origin, { last: seq, failed, heardAt: now });
      return true;
    }
    if (seq <= known.last) return false;
    this.missed += Math.max(seq - known.last - 1 - Math.max(failed - known.failed, 0), 0);
    known.last = seq;
    known.failed = Math.max(failed, known.failed);
    known.heardAt = now;
    return true;
  }

  /** Forgets origins not heard from since `before` (nodes that stopped), so the map stays small. */
  forgetSilent(before: number): void {
    for (const [origin, { heardAt }] of this.origins) {
      if (heardAt < before) this.origins.delete(origin);
    }
  }

  /** Forgets `origin` (it left the cluster). */
  forget(origin: string): void {
    this.origins.delete(origin);
  }

  get size(): number {
    return this.origins.size;
  }
}
