// One outage of a backplane's connection to Redis, from the first connection lost to both
// being ready and subscribed again: when it began and what it cost (publishes refused here,
// messages missed from the others), logged once as it begins and once as it ends. At its end
// the node is told (`reconnected`): what the others signalled meanwhile may be lost, and the
// registry rebuilds what it keeps of them (their presence).
import type { BackplaneNode, Logger } from '@duet/websocket';

/** @internal */
export class Outage {
  private readonly since = Date.now();

  /** Logs the outage; `undelivered` and `missed` are the backplane's totals so far. */
  constructor(
    private readonly node: BackplaneNode,
    private readonly logger: Logger,
    private readonly redis: string,
    connection: 'publisher' | 'subscriber',
    error: Error | undefined,
    private readonly undelivered: number,
    private readonly missed: number,
  ) {
    this.logger.warn('Redis backplane lost its connection to Redis; reconnecting. Broadcasts to other processes are counted as undelivered meanwhile', {
      redis,
      connection,
      error: error?.message,
    });
  }

  /** Logs the recovery, with what the outage cost, and tells the node; `undelivered` and `missed` are the totals now. */
  ended(undelivered: number, missed: number): void {
    this.logger.warn('Redis backplane reconnected to Redis', {
      redis: this.redis,
      outageMs: Date.now() - this.since,
      undelivered: undelivered - this.undelivered,
      missed: missed - this.missed,
    });
    try {
      this.node.reconnected?.();
    } catch (error) {
      this.logger.error('Redis backplane could not tell the registry it reconnected', { error: (error as Error).message });
    }
  }
}
