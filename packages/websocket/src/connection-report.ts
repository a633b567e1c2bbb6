// What the connections of one service tell the log and the observers: the fields every log
// line about a connection carries, and the observer calls for errors and handler timings. One
// per service endpoint, shared by its connections (nothing per connection but `ConnectionInfo`,
// made only when an observer is bound); an unobserved connection pays one check per hook.
import type { Caller } from './caller';
import type { CompiledService } from './compiled-service';
import type { Logger } from './logger';
import type { HandlerEvent } from './metadata';
import { type ConnectionInfo, HANDLER_NAMES, type WebSocketObserver, errorKind } from './monitoring/observer';

export class ConnectionReport {
  constructor(
    private readonly table: CompiledService,
    readonly logger: Logger,
    readonly observer: WebSocketObserver | undefined,
  ) {}

  /** What observers are told of a connection; undefined when none is bound. */
  infoFor(caller: Caller): ConnectionInfo | undefined {
    if (this.observer === undefined) return undefined;
    return { caller, service: this.table.serviceName, path: this.table.config.path };
  }

  /** The fields of every log line about the connection of `caller`, with `extra`. */
  fields(caller: Caller, extra?: Record<string, unknown>): Record<string, unknown> {
    return {
      connectionId: caller.getConnectionId(),
      service: this.table.serviceName,
      path: this.table.config.path,
      remoteAddress: caller.request.remoteAddress,
      ...extra,
    };
  }

  /** An error observers are told of (the log line, if any, is the caller's to write). */
  errorOccurred(info: ConnectionInfo | undefined, error: unknown): void {
    if (info !== undefined) this.observer!.errorOccurred?.(info, errorKind(error), error);
  }

  /** A handler finished; `startedAt` is `performance.now()` when it was called. */
  handlerFinished(info: ConnectionInfo | undefined, event: HandlerEvent, startedAt: number, failed: boolean): void {
    if (info !== undefined) this.observer!.handlerFinished?.(info, HANDLER_NAMES[event], performance.now() - startedAt, failed);
  }
}
