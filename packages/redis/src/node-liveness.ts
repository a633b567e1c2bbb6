// Which other nodes are alive, and the report of those that left. A node that stops says so
// (a left notice); a node that crashed says nothing, and its count key expires `countTtl` after
// its last refresh. So each node remembers the live nodes it last saw in Redis and reads them
// again on a timer (every quarter of `countTtl`): one it saw before and no longer finds has left.
// It remembers its own view rather than asking Redis which ids lost their key, because any
// node's `clusterCount()` drops expired ids from the shared set. Each node that left is reported
// once; after this node's own outage, nothing is reported for `countTtl`, so that the nodes
// reconnecting to a Redis that restarted empty have time to write their counts again. A node
// heard from (a signal, an answer) before any read listed it counts too: one that signalled and
// crashed between two reads would otherwise never be reported, and its presences never drop.
// It is gone when a read sent after it was heard does not list it (a node writes its count
// before it can send anything; a read sent earlier may not list it yet).
import type { NodeCounts } from './node-counts';
import type { WatchedConnection } from './watched-connection';

/** @internal */
export class NodeLiveness {
  /** Other nodes seen alive and not reported as left. */
  private readonly seen = new Set<string>();
  /** Nodes reported as left, and when: a Redis reply read before a node left must not bring it back. */
  private readonly reported = new Map<string, number>();
  /** Nodes heard from and not listed by a read yet, with the number of the last read sent before. */
  private readonly heard = new Map<string, number>();
  /** Reads of the live nodes sent so far. */
  private reads = 0;
  private timer: NodeJS.Timeout | undefined;
  private quietUntil = 0;
  private stopped = false;

  constructor(
    private readonly counts: NodeCounts,
    private readonly connection: WatchedConnection,
    private readonly self: string,
    private readonly countTtlMs: number,
    /** Reports nodes that left; each once. */
    private readonly onLeft: (nodes: string[]) => void,
  ) {}

  /** How often the live nodes are read again. */
  get intervalMs(): number {
    return Math.max(this.countTtlMs / 4, 25);
  }

  /** Reads the live nodes now (none is reported: the first view), then on a timer. */
  async start(): Promise<void> {
    const read = this.readStarted();
    const live = await this.counts.live();
    if (this.stopped) return; // a start() that timed out was stopped meanwhile
    this.observe(live, read);
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  /** A read of the live nodes is about to be sent: its number, for `observe()`. */
  readStarted(): number {
    return ++this.reads;
  }

  /** A signal or an answer came from `node`. */
  heardFrom(node: string): void {
    if (node === this.self || this.seen.has(node) || this.reported.has(node) || this.heard.has(node)) return;
    this.heard.set(node, this.reads);
  }

  /** Takes in the live nodes as read `read` listed them (on the timer, or for a request). */
  observe(live: readonly string[], read: number): void {
    const now = Date.now();
    const current = new Set<string>();
    for (const node of live) {
      if (node === this.self || this.reported.has(node)) continue;
      current.add(node);
      this.seen.add(node);
      this.heard.delete(node);
    }
    if (now < this.quietUntil) return;
    const gone: string[] = [];
    for (const node of this.seen) if (!current.has(node)) gone.push(node);
    for (const [node, heardAfter] of this.heard) {
      if (read > heardAfter) {
        this.heard.delete(node);
        gone.push(node);
      }
    }
    for (const node of gone) this.markLeft(node, now);
    if (gone.length > 0) this.onLeft(gone);
  }

  /** `node` said it stops. */
  left(node: string): void {
    if (node === this.self || this.reported.has(node)) return;
    this.markLeft(node, Date.now());
    this.onLeft([node]);
  }

  /** This node reached Redis again after an outage: the others may not have written their counts again yet. */
  reconnected(): void {
    this.quietUntil = Date.now() + this.countTtlMs;
  }

  /** Forgets nodes reported before `before`, so the map stays small. */
  forgetReported(before: number): void {
    for (const [node, at] of this.reported) if (at < before) this.reported.delete(node);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private markLeft(node: string, now: number): void {
    this.seen.delete(node);
    this.heard.delete(node);
    this.reported.set(node, now);
  }

  private async check(): Promise<void> {
    if (!this.connection.usable) return;
    const read = this.readStarted();
    let live: string[];
    try {
      live = await this.counts.live();
    } catch {
      return; // the outage is the backplane's to report; the next check reads again
    }
    if (!this.stopped) this.observe(live, read);
  }
}
