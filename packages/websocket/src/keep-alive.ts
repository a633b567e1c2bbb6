// Keep-alives of one service (`keepAlive: N`): a connection that was sent no message for N
// seconds gets `{ [dispatcherKey]: '$keepalive' }`, so a client's `serverTimeout` tells a quiet
// service from a dead one (browsers never see ping frames). One timer per service sweeps the
// connections every N/2 seconds; a connection costs one flag its outbound sets on each write.
import type { Connection } from './connection';
import type { ReadonlyMemberList } from './registry/member-list';

/** The dispatcher value of a keep-alive; '$…' names are protocol messages the client swallows. */
export const KEEP_ALIVE_NAME = '$keepalive';

export class KeepAlive {
  private readonly interval: NodeJS.Timeout;
  private readonly frame: string;

  constructor(
    seconds: number,
    dispatcherKey: string,
    private readonly connections: ReadonlyMemberList<Connection>,
  ) {
    this.frame = JSON.stringify({ [dispatcherKey]: KEEP_ALIVE_NAME });
    // Every N/2 seconds: a connection silent since the last sweep has been silent for at least
    // N/2 seconds, and none stays silent longer than N.
    this.interval = setInterval(() => this.sweep(), (seconds * 1000) / 2);
    this.interval.unref();
  }

  stop(): void {
    clearInterval(this.interval);
  }

  private sweep(): void {
    for (const connection of this.connections) {
      const outbound = connection.outbound;
      if (outbound.sentMessage) outbound.sentMessage = false;
      else outbound.writeKeepAlive(this.frame);
    }
  }
}
