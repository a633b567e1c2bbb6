// What one connection tells the log and the observers: the fields every log line about it
// carries, and the observer calls for its lifecycle, errors and handler timings. Observer
// calls are only made when some observer is bound; an unobserved connection pays one check.
import type { Caller } from './caller';
import type { CompiledService } from './compiled-service';
import type { Logger } from './logger';
import type { HandlerEvent } from './metadata';
import { type ConnectionInfo, HANDLER_NAMES, type WebSocketObserver, errorKind } from './monitoring/observer';

export class ConnectionReport {
  /** What observers are told of the connection; made only when some are bound. */
  readonly info: ConnectionInfo | undefined;
  private handlerStartedAt = 0;

  constructor(
    private readonly caller: Caller,
    private readonly table: CompiledService,
    readonly logger: Logger,
    readonly observer: WebSocketObserver | undefined,
  ) {
    if (observer !== undefined) this.info = { caller, service: table.serviceName, path: table.config.path };
  }

  /** The fields of every log line about this connection, with `extra`. */
  fields(extra?: Record<string, unknown>): Record<string, unknown> {
    return {
      connectionId: this.caller.getConnectionId(),
      service: this.table.serviceName,
      path: this.table.config.path,
      remoteAddress: this.caller.request.remoteAddress,
      ...extra,
    };
  }

  /** An error observers are told of (the log line, if any, is the caller's to write). */
  errorOccurred(error: unknown): void {
    this.observer?.errorOccurred?.(this.info!, errorKind(error), error);
  }

  handlerStarted(): void {
    if (this.observer !== undefined) this.handlerStartedAt = performance.now();
  }

  handlerFinished(event: HandlerEvent, failed: boolean): void {
    if (this.observer === undefined) return;
    this.observer.handlerFinished?.(this.info!, HANDLER_NAMES[event], performance.now() - this.handlerStartedAt, failed);
  }
}
