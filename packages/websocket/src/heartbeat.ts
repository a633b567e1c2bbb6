// Heartbeats of one service: every `pingInterval` seconds each connection gets a ping; one
// that has not answered with a pong within `pongTimeout` is terminated, which `@OnClose`
// reports as 1006. This is how peers that vanished without closing TCP are found. One timer
// per service, not one per connection. A connection whose reading Duet paused because too many
// messages wait (inboundOverflow 'pause') cannot show its pong: it is judged by its handler
// instead, and kept while a handler settled since the ping.
import type { Connection } from './connection';
import { HandlerEvent } from './metadata';
import type { ReadonlyMemberList } from './registry/member-list';

export class Heartbeat {
  private readonly interval: NodeJS.Timeout;
  private check: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalSeconds: number,
    private readonly timeoutSeconds: number,
    private readonly connections: ReadonlyMemberList<Connection>,
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
      if (unanswered(connection)) connection.transport.terminate();
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
      if (unanswered(connection)) connection.transport.terminate();
    }
  }
}

/** Whether the connection missed its ping's deadline: no pong, or (paused) no handler progress. */
function unanswered(connection: Connection): boolean {
  if (!connection.awaitingPong) return false;
  return !connection.queueFull || !connection.settledSincePing;
}

/** A heartbeat ping; its pong clears `awaitingPong` (a ping that does not fit counts as unanswered). */
function ping(connection: Connection): void {
  if (!connection.transport.isOpen) return;
  connection.awaitingPong = true;
  connection.settledSincePing = false;
  connection.outbound.writeControl(HandlerEvent.Ping, undefined);
}
