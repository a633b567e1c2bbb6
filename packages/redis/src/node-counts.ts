// The cluster-wide connection count. Each node writes its own count under a key that expires
// (`<prefix>count:<node>`) and adds its id to a set (`<prefix>nodes`); a live node rewrites its
// key on a timer, so the count of a node that crashed disappears when its key expires. Reading
// sums the keys of the set in one script and drops the ids whose key has expired. Every command
// is watched, so a frozen Redis fails it within `commandTimeout` instead of holding it for ever.
// The same keys say which nodes are alive: a cluster request goes to the live nodes read in the
// very script that publishes it, so the asker knows whom to wait for as of that instant.
import type { WatchedConnection } from './watched-connection';

/** How long a burst of connects and closes is gathered into one write. */
export const COUNT_WRITE_DELAY_MS = 500;

const SUM_LIVE_NODES = `
local total = 0
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local count = redis.call('GET', ARGV[1] .. node)
  if count then total = total + tonumber(count) else redis.call('SREM', KEYS[1], node) end
end
return total`;

// The live nodes (their count key has not expired), dropping the others from the set as
// SUM_LIVE_NODES does; with a channel and a payload, publishes it in the same atomic step.
const LIVE_NODES = `
local live = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. node) == 1 then live[#live + 1] = node else redis.call('SREM', KEYS[1], node) end
end
if ARGV[2] then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return live`;

/** @internal This node's count in Redis, written in batches and kept alive until `stop()`. */
export class NodeCounts {
  private count = 0;
  private dirty = false;
  private writeTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly nodesKey: string;
  private readonly countPrefix: string;

  constructor(
    private readonly connection: WatchedConnection,
    keyPrefix: string,
    private readonly nodeId: string,
    private readonly ttlMs: number,
  ) {
    this.nodesKey = `${keyPrefix}nodes`;
    this.countPrefix = `${keyPrefix}count:`;
  }

  /** Starts rewriting the key well before it expires, and writes the count now. */
  start(): Promise<void> {
    this.refreshTimer = setInterval(() => void this.write().catch(() => {}), Math.max(this.ttlMs / 3, 50));
    this.refreshTimer.unref();
    return this.write();
  }

  /** Records the count; it reaches Redis within `COUNT_WRITE_DELAY_MS`. Cheap on every connect and close. */
  report(count: number): void {
    this.count = count;
    this.dirty = true;
    if (this.writeTimer !== undefined || this.refreshTimer === undefined) return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = undefined;
      // A failed write stays dirty: the next reconnect or refresh writes it.
      void this.write().catch(() => {});
    }, COUNT_WRITE_DELAY_MS);
    this.writeTimer.unref();
  }

  /** Writes the count and the node's membership now (after a reconnect, Redis may have lost both). */
  async write(): Promise<void> {
    if (!this.connection.usable) return;
    this.dirty = false;
    const count = this.count;
    try {
      await this.connection.track(
        this.connection.redis
          .multi()
          .set(this.countPrefix + this.nodeId, String(count), 'PX', Math.ceil(this.ttlMs))
          .sadd(this.nodesKey, this.nodeId)
          .exec(),
      );
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }

  /** The sum over every live node; this node's latest count is written first if it is pending. */
  async sum(): Promise<number> {
    if (this.dirty) await this.write();
    return Number(await this.connection.track(this.connection.redis.eval(SUM_LIVE_NODES, 1, this.nodesKey, this.countPrefix)));
  }

  /** The ids of the live nodes, this one included. */
  async live(): Promise<string[]> {
    return (await this.connection.track(this.connection.redis.eval(LIVE_NODES, 1, this.nodesKey, this.countPrefix))) as string[];
  }

  /** Publishes `payload` on `channel` and returns the ids of the live nodes at that instant, this one included. */
  async publishToLive(channel: string, payload: string): Promise<string[]> {
    const redis = this.connection.redis;
    return (await this.connection.track(redis.eval(LIVE_NODES, 1, this.nodesKey, this.countPrefix, channel, payload))) as string[];
  }

  /**
   * Stops the timers and removes this node's count, so it leaves the sum at once; `farewell`
   * (a channel and a message) is published in the same transaction, so no node learns the
   * one without the other.
   */
  async stop(farewell?: readonly [channel: string, message: string]): Promise<void> {
    clearTimeout(this.writeTimer);
    clearInterval(this.refreshTimer);
    this.writeTimer = this.refreshTimer = undefined;
    if (!this.connection.usable) return;
    const redis = this.connection.redis;
    const transaction = redis.multi().del(this.countPrefix + this.nodeId).srem(this.nodesKey, this.nodeId);
    if (farewell !== undefined) transaction.publish(farewell[0], farewell[1]);
    await this.connection.track(transaction.exec());
  }
}
