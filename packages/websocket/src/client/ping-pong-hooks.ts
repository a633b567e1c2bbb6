// The application's ping/pong hooks (`pingPongHandler`) run for one client. What `onPing`
// returns, or resolves to, is sent as the pong. A hook that throws must not fail silently:
// it is reported as a process warning and the connection is closed with 1011.
import { ConnectionClosedError, InvalidArgumentError } from '../errors';
import type { PingPongHandler } from './client-config';
import type { WebSocketClient } from './websocket-client';
import { isThenable } from '../thenable';

export class PingPongHooks {
  // Bound once per client, so an async hook costs no closure per ping.
  private readonly answer = (value: unknown): void => this.sendPong(value);
  private readonly failed = (error: unknown): void => this.fail(error);

  constructor(
    private readonly client: WebSocketClient,
    private readonly handler: PingPongHandler,
  ) {}

  /** A ping arrived (only listened to when `onPing` is set: then there is no automatic pong). */
  ping(data: Buffer): void {
    let result: unknown;
    try {
      result = this.handler.onPing!(this.client, data);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (isThenable(result)) result.then(this.answer, this.failed);
    else this.sendPong(result);
  }

  /** A pong arrived (only listened to when `onPong` is set). */
  pong(data: Buffer): void {
    try {
      const result = this.handler.onPong!(this.client, data);
      if (isThenable(result)) result.then(undefined, this.failed);
    } catch (error) {
      this.fail(error);
    }
  }

  private sendPong(value: unknown): void {
    if (value === undefined) return;
    if (!(value instanceof Uint8Array)) {
      this.fail(new InvalidArgumentError(`onPing must return a Buffer or nothing, got ${typeof value}`));
      return;
    }
    this.client.pong(value).catch(this.failed);
  }

  private fail(error: unknown): void {
    if (error instanceof ConnectionClosedError) return; // the pong raced a close; nothing is lost
    const message = error instanceof Error ? error.message : String(error);
    const detail = error instanceof Error ? (error.stack ?? message) : message;
    // A string, not the Error: emitWarning refuses an Error made in another realm (a vm, jest).
    process.emitWarning(`pingPongHandler failed: ${message}`, { type: 'DuetPingPongHandlerWarning', detail });
    if (this.client.isOpen()) void this.client.close(1011, 'ping/pong handler failed');
  }
}

