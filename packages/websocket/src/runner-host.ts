// What a handler runner (handler-runner.ts) needs of its connection (connection.ts): the narrow
// interface that keeps their mutual calls explicit.
import type { Caller } from './caller';
import type { HandlerEvent } from './metadata';
import type { ConnectionInfo } from './monitoring/observer';
import type { Outbound } from './outbound';
import type { Transport } from './transport/transport';

/** What the runner needs of its connection. */
export interface RunnerHost {
  readonly caller: Caller;
  /** What observers are told of the connection; undefined when none is bound. */
  readonly info: ConnectionInfo | undefined;
  readonly outbound: Outbound;
  readonly transport: Transport;
  /** Set once the socket closed. */
  readonly closeCode: number | undefined;
  /** Set when the connection closes because of a failure: later messages are not handled. */
  failureCloseCode: number | undefined;
  /** A handler returned a promise: no other event runs until `handlerSettled`. */
  handlerPending(): void;
  handlerSettled(): void;
  /** After a settled handler's outcome: the events that waited for it run. */
  runWaiting(): void;
  /** Runs `event` in order, behind whatever runs now. */
  dispatch(event: HandlerEvent, first: unknown, second: unknown): void;
  closeIfOpen(code: number, reason: string): void;
  /** `@OnClose` has finished (or there was none). */
  closeFinished(): void;
  /** `@OnIdleTimeout` ran and the connection stays: the idle timer starts again. */
  idleAgain(): void;
}
