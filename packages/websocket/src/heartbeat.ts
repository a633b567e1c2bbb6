// Heartbeats of one service: every `pingInterval` seconds each connection gets a ping; one
// that has not answered with a pong within `pongTimeout` is terminated, which `@OnClose`
// reports as 1006. This is how peers that vanished without closing TCP are found. One timer
// per service, not one per connection.
import type { Connection } from './connection';
import { HandlerEvent } from './metadata';

export class Heartbeat {
  private readonly interval: NodeJS.Timeout;
  private check: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalSeconds: number,
    private readonly timeoutSeconds: number,
    private readonly connections: ReadonlySet<Connection>,
  ) {
    this.interval = setInterval(() => this.beat(), intervalSeconds * 1000);
    this.interval.unref();
  }

  stop(): void {
    clearInterval(this.interval);
    if (this.check !== undefined) clearTimeout(this.check);
  }

  private beat(): void {
    // A ping still unanswered since the last beat (pongTimeout ≥ pingInterval) ends it now.
    for (const connection of this.connections) {
      if (connection.awaitingPong) connection.transport.terminate();
      else ping(connection);
    }
    if (this.timeoutSeconds < this.intervalSeconds) {
      if (this.check !== undefined) clearTimeout(this.check);
      this.check = setTimeout(() => this.expire(), this.timeoutSeconds * 1000);
      this.check.unref();
    }
  }

  private expire(): void {
    this.check = undefined;
    for (const connection of this.connections) {
      if (connection.awaitingPong) connection.transport.terminate();
    }
  }
}

/** A heartbeat ping; its pong clears `awaitingPong` (a ping that does not fit counts as unanswered). */
function ping(connection: Connection): void {
  if (!connection.transport.isOpen) return;
  connection.awaitingPong = true;
  connection.outbound.writeControl(HandlerEvent.Ping, undefined);
}
