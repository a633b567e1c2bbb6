// Runs one event's handler for a connection and acts on what it gives back: the reply (or
// stream) of a message, the pong of a ping, the default of an event without a handler, and a
// failure (→ @OnError, then a close), or a refusal by a message's policy (policy/: the error
// reply, or 1008). For @OnMessage it acts on the router's decision. The
// connection decides *when* an event runs (in order, one at a time); this decides what running
// it means. Nothing here is allocated per message: the message's context lives in the
// connection's one `MessageRouting` record, and the settle callbacks are made once.
import { CloseCode, closeReasonFor } from './close-codes';
import { CloseFrame } from './close-frame';
import type { CompiledService, Handler } from './compiled-service';
import { AuthorizationError, type MessageValidationError, RateLimitError, UnsupportedMessageError } from './errors';
import type { ConnectionReport } from './connection-report';
import { InvalidReply } from './messages/contract-routes';
import { ReplyStreams, isAsyncIterable } from './messages/reply-streams';
import { MessageRouting, Routed } from './messages/router';
import type { StandardResult } from './messages/standard-schema';
import { type ErrorReplyCause, defaultErrorReply, unmatchedError } from './messages/validation';
import { HandlerEvent } from './metadata';
import { type ReplyFailures, ReplyWriter } from './reply-writer';
import type { RunnerHost } from './runner-host';
import type { ResolvedServiceConfig } from './service-config';

export class HandlerRunner implements ReplyFailures {
  private readonly handlers: readonly (Handler | undefined)[];
  private readonly config: ResolvedServiceConfig;
  private readonly routing: MessageRouting | undefined;
  private runningEvent: HandlerEvent = HandlerEvent.Open;
  // Made at the first async handler: a connection whose handlers return values makes none.
  private onSettled: ((value: unknown) => void) | undefined;
  private onRejected: ((error: unknown) => void) | undefined;
  private handlerStartedAt = 0;
  private streams: ReplyStreams | undefined;
  /** Made at the first reply: an idle connection holds none. */
  private replyWriter: ReplyWriter | undefined;

  constructor(
    private readonly host: RunnerHost,
    private readonly table: CompiledService,
    private readonly instance: object,
    private readonly report: ConnectionReport,
  ) {
    this.handlers = table.handlers;
    this.config = table.config;
    if (table.router !== undefined) this.routing = new MessageRouting(table.router);
  }

  has(event: HandlerEvent): boolean {
    return this.handlers[event] !== undefined;
  }

  run(event: HandlerEvent, first: unknown, second: unknown): void {
    if (event === HandlerEvent.Message) this.actOn(this.routing!.route(first as string | Buffer));
    else this.call(event, this.handlers[event], first, second);
  }

  /**
   * `@OnClose` while another handler is still pending: called on its own, not through `call`,
   * because the pending handler still owns the connection's busy state. `skipped` messages that
   * waited behind it can no longer be answered: they were dropped, and are logged here.
   */
  runCloseBesideBusy(code: number, reason: string, skipped: number): void {
    if (skipped > 0) {
      const message = 'connection closed while a handler was still running; messages waiting behind it were not handled';
      this.report.logger.warn(message, this.report.fields(this.host.caller, { skipped }));
    }
    let result: unknown;
    try {
      result = this.handlers[HandlerEvent.Close]?.call(this.instance, this.host.caller, code, reason);
    } catch (error) {
      this.closeHandlerFailed(error);
      return;
    }
    if (isThenable(result)) result.then(() => this.host.closeFinished(), (error) => this.closeHandlerFailed(error));
    else this.host.closeFinished();
  }

  /** Ends the running stream of `id`; false when there is none. */
  stopStream(id: unknown): boolean {
    return this.streams?.stop(id) ?? false;
  }

  stopStreams(): void {
    this.streams?.stopAll();
  }

  /** A text or binary message the service has no handler for: 1003, and @OnError hears why. */
  refuseUnsupported(kind: 'text' | 'binary'): void {
    const host = this.host;
    if (host.failureCloseCode !== undefined) return;
    const handler = kind === 'text' ? '@OnText' : '@OnBinary';
    const error = new UnsupportedMessageError(
      `${this.table.serviceName} has no ${handler} handler; a ${kind} message closes the connection with 1003`,
    );
    this.failWith(CloseCode.UnsupportedData, error);
  }

  /**
   * Duet closes the connection for `error` with `code`: no further message is handled, and
   * `@OnError` hears of it in order (after the handler running now, if one is).
   */
  failWith(code: number, error: Error, reason = closeReasonFor(code)): void {
    const host = this.host;
    host.failureCloseCode = code;
    this.report.errorOccurred(host.info, error);
    host.closeIfOpen(code, reason);
    host.dispatch(HandlerEvent.Error, error, undefined);
  }

  // --- calling a handler ------------------------------------------------------------------

  /** Calls a handler; a returned promise makes the connection busy until it settles. */
  private call(event: HandlerEvent, handler: Handler | undefined, first: unknown, second: unknown): void {
    if (handler === undefined) {
      this.complete(event, undefined);
      return;
    }
    const observed = this.host.info !== undefined;
    if (observed) this.handlerStartedAt = performance.now();
    let result: unknown;
    try {
      result = handler.call(this.instance, this.host.caller, first, second);
      if (isThenable(result)) {
        this.awaitSettled(event, result);
        return;
      }
    } catch (error) {
      if (observed) this.report.handlerFinished(this.host.info, event, this.handlerStartedAt, true);
      this.fail(event, error);
      return;
    }
    if (observed) this.report.handlerFinished(this.host.info, event, this.handlerStartedAt, false);
    this.complete(event, result);
  }

  private awaitSettled(event: HandlerEvent, result: PromiseLike<unknown>): void {
    this.host.handlerPending();
    this.runningEvent = event;
    result.then(
      (this.onSettled ??= (value) => this.settled(value)),
      (this.onRejected ??= (error) => this.rejected(error)),
    );
  }

  private settled(value: unknown): void {
    this.host.handlerSettled();
    if (this.routing?.validating !== undefined) {
      this.actOn(this.routing.validated(value as StandardResult<unknown>));
    } else {
      this.report.handlerFinished(this.host.info, this.runningEvent, this.handlerStartedAt, false);
      this.complete(this.runningEvent, value);
    }
    this.host.runWaiting();
  }

  private rejected(error: unknown): void {
    this.host.handlerSettled();
    const validating = this.routing?.validating !== undefined;
    if (!validating) this.report.handlerFinished(this.host.info, this.runningEvent, this.handlerStartedAt, true);
    if (validating) this.routing!.validating = undefined;
    this.fail(this.runningEvent, error);
    this.host.runWaiting();
  }

  /** What follows a handler that finished: its reply, or the event's default behaviour. */
  private complete(event: HandlerEvent, value: unknown): void {
    switch (event) {
      case HandlerEvent.Text:
      case HandlerEvent.Binary:
      case HandlerEvent.Message:
        if (value !== undefined) this.answer(event, value, event === HandlerEvent.Message ? this.routing!.replyId : undefined);
        this.host.outbound.paceReading();
        return;
      case HandlerEvent.Open:
        // A stream or a close, as a message handler's. Any other value is not sent: handlers
        // return the promise of a write or a broadcast (its result) for their errors to reach
        // @OnError, and would otherwise send that result.
        if (value instanceof CloseFrame || isAsyncIterable(value)) this.answer(event, value, undefined);
        return;
      case HandlerEvent.Ping:
        if (value !== undefined) this.replies().replyPong(value);
        return;
      case HandlerEvent.IdleTimeout:
        if (this.handlers[HandlerEvent.IdleTimeout] === undefined) this.host.closeIfOpen(CloseCode.GoingAway, 'idle timeout');
        else if (this.host.closeCode === undefined) this.host.idleAgain();
        return;
      case HandlerEvent.Error: {
        const code = this.host.failureCloseCode;
        if (code !== undefined) this.host.closeIfOpen(code, closeReasonFor(code));
        return;
      }
      case HandlerEvent.Close:
        this.host.closeFinished();
        return;
      default:
        return;
    }
  }

  /**
   * A handler threw or rejected (or its reply could not be encoded): `@OnError` gets the thrown
   * value, or the log does, and then the connection is closed with 1011.
   */
  private fail(event: HandlerEvent, error: unknown): void {
    if (event === HandlerEvent.Error || event === HandlerEvent.Close) {
      const which = event === HandlerEvent.Error ? '@OnError' : '@OnClose';
      this.report.logger.error(`${which} handler failed`, this.report.fields(this.host.caller, { error }));
      this.complete(event, undefined);
      return;
    }
    if ((error instanceof AuthorizationError || error instanceof RateLimitError) && isDataEvent(event)) {
      this.refuse(event, error);
      return;
    }
    if (event === HandlerEvent.Message && this.handOverToErrorHandler(error)) return;
    this.host.failureCloseCode = CloseCode.InternalError;
    this.report.errorOccurred(this.host.info, error);
    if (this.handlers[HandlerEvent.Error] !== undefined) {
      this.run(HandlerEvent.Error, error, undefined);
      return;
    }
    this.report.logger.error('handler failed', this.report.fields(this.host.caller, { error }));
    this.host.closeIfOpen(CloseCode.InternalError, closeReasonFor(CloseCode.InternalError));
  }

  private closeHandlerFailed(error: unknown): void {
    this.report.logger.error('@OnClose handler failed', this.report.fields(this.host.caller, { error }));
    this.host.closeFinished();
  }

  // --- @OnMessage: acting on the router's decision ------------------------------------------

  private actOn(routed: Routed): void {
    const routing = this.routing!;
    switch (routed) {
      case Routed.Call:
        // The decoded message rides along (handlers may ignore it): interceptors read fields a schema stripped.
        this.call(HandlerEvent.Message, routing.handler, routing.value, routing.decoded);
        return;
      case Routed.Validate:
        this.validate(routing);
        return;
      case Routed.Invalid:
        this.badMessage(routing.error!);
        return;
      default:
        if (this.config.onUnmatched === 'ignore') {
          this.report.logger.debug('message ignored: no handler matches it', this.report.fields(this.host.caller, { key: routing.unmatchedKey }));
        } else {
          this.badMessage(unmatchedError(routing.router.dispatcherKey, routing.unmatchedKey));
        }
    }
  }

  private validate(routing: MessageRouting): void {
    let result: StandardResult<unknown> | Promise<StandardResult<unknown>>;
    try {
      result = routing.validating!.schema!['~standard'].validate(routing.value);
    } catch (error) {
      routing.validating = undefined;
      this.fail(HandlerEvent.Message, error);
      return;
    }
    if (isThenable(result)) this.awaitSettled(HandlerEvent.Message, result);
    else this.actOn(routing.validated(result));
  }

  /** A message the service cannot take: the error reply (or a close), then @OnError. */
  private badMessage(error: MessageValidationError): void {
    if (this.handOverToErrorHandler(error)) return;
    const config = this.config;
    this.report.errorOccurred(this.host.info, error);
    if (config.onInvalidMessage === 'close' || (config.onUnmatched === 'close' && error.kind === 'unmatched')) {
      this.host.failureCloseCode = error.closeCode;
      this.host.closeIfOpen(error.closeCode, error.kind === 'invalid-json' ? 'invalid JSON' : 'invalid message');
    } else if (!this.replyError(error)) return;
    if (this.handlers[HandlerEvent.Error] !== undefined) this.call(HandlerEvent.Error, this.handlers[HandlerEvent.Error], error, undefined);
    else if (this.host.failureCloseCode !== undefined) this.complete(HandlerEvent.Error, undefined);
  }

  /**
   * A message its policy refused (scopes, a rate limit, or an interceptor's refusal): a typed
   * message gets the error reply and the connection stays open; a plain frame, or a rate limit
   * under `onExceed: 'close'`, closes with 1008. `@OnError` hears it either way.
   */
  private refuse(event: HandlerEvent, error: AuthorizationError | RateLimitError): void {
    if (event !== HandlerEvent.Message || (error instanceof RateLimitError && error.closeCode !== undefined)) {
      this.failWith(CloseCode.PolicyViolation, error, error instanceof RateLimitError ? 'rate limit' : 'forbidden');
      return;
    }
    this.report.errorOccurred(this.host.info, error);
    if (this.replyError(error) && this.handlers[HandlerEvent.Error] !== undefined) {
      this.call(HandlerEvent.Error, this.handlers[HandlerEvent.Error], error, undefined);
    }
  }

  /** Sends the error reply of a typed message (`errorReply`, or Duet's); false when making it failed. */
  private replyError(error: ErrorReplyCause): boolean {
    const config = this.config;
    let reply: unknown;
    try {
      reply = config.errorReply === undefined ? defaultErrorReply(config.dispatcherKey, error) : config.errorReply(error);
    } catch (replyError) {
      this.fail(HandlerEvent.Message, replyError);
      return false;
    }
    if (reply !== undefined) this.replies().reply(HandlerEvent.Message, this.replies().withReplyId(reply, this.routing!.replyId));
    return true;
  }

  private replies(): ReplyWriter {
    return (this.replyWriter ??= new ReplyWriter(this.host, this.report, this.routing, this));
  }

  /** What a handler returned: a reply, a reply stream, or a close. */
  private answer(event: HandlerEvent, value: unknown, replyId: unknown): void {
    if (value instanceof CloseFrame) void this.host.caller.close(value.code, value.reason);
    else if (isAsyncIterable(value)) (this.streams ??= new ReplyStreams(this.replies())).start(value, replyId);
    else if (value instanceof InvalidReply) this.badMessage(value.error); // refused by its contract's reply schema
    else {
      const replies = this.replies();
      replies.reply(event, replies.withReplyId(value, replyId));
    }
  }

  /**
   * A failure of the message being handled, when its route has an `@OnMessageError`: that
   * handler gets it (with the message), its return value is the reply, the connection stays open.
   */
  private handOverToErrorHandler(error: unknown): boolean {
    const onError = this.routing?.takeErrorHandler();
    if (onError === undefined) return false;
    this.report.errorOccurred(this.host.info, error);
    this.call(HandlerEvent.Message, onError, error, this.routing!.value);
    return true;
  }

  // --- failures of replies and streams (reply-writer.ts writes them) ----------------------

  replyFailed(event: HandlerEvent, error: unknown): void {
    this.fail(event, error);
  }

  streamFailed(error: unknown): void {
    const host = this.host;
    if (host.failureCloseCode !== undefined || host.closeCode !== undefined) return;
    host.failureCloseCode = CloseCode.InternalError;
    this.report.errorOccurred(this.host.info, error);
    if (this.handlers[HandlerEvent.Error] !== undefined) {
      host.dispatch(HandlerEvent.Error, error, undefined);
      return;
    }
    this.report.logger.error('a reply stream failed', this.report.fields(this.host.caller, { error }));
    host.closeIfOpen(CloseCode.InternalError, closeReasonFor(CloseCode.InternalError));
  }
}

/** Text, binary and `@OnMessage`: the events a message policy refuses. */
function isDataEvent(event: HandlerEvent): boolean {
  return event === HandlerEvent.Text || event === HandlerEvent.Binary || event === HandlerEvent.Message;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}
