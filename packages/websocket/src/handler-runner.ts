// Runs one event's handler for a connection and acts on what it gives back: the reply (or
// stream) of a message, the pong of a ping, the default of an event without a handler, and a
// failure (→ @OnError, then a close), or a refusal by a message's policy (policy/: the error
// reply, or 1008). For @OnMessage it acts on the router's decision (message-decisions.ts). The
// connection decides *when* an event runs (in order, one at a time); this decides what running
// it means. Nothing here is allocated per message: the message's context lives in the
// connection's one `MessageRouting` record, and the settle callbacks are made once.
import { CloseCode, closeReasonFor } from './close-codes';
import { CloseFrame } from './close-frame';
import type { Handler } from './compiled-service';
import { AuthorizationError, RateLimitError, UnsupportedMessageError } from './errors';
import { InvalidReply } from './messages/contract-routes';
import { ReplyStreams, isAsyncIterable } from './messages/reply-streams';
import { MessageRouting, Routed } from './messages/router';
import type { StandardResult } from './messages/standard-schema';
import { HandlerEvent } from './metadata';
import { type ReplyFailures, ReplyWriter } from './reply-writer';
import { MessageDecisions } from './message-decisions';
import { isThenable } from './thenable';

export class HandlerRunner extends MessageDecisions implements ReplyFailures {
  private runningEvent: HandlerEvent = HandlerEvent.Open;
  // Made at the first async handler: a connection whose handlers return values makes none.
  private onSettled: ((value: unknown) => void) | undefined;
  private onRejected: ((error: unknown) => void) | undefined;
  private handlerStartedAt = 0;
  private streams: ReplyStreams | undefined;
  /** Made at the first reply: an idle connection holds none. */
  private replyWriter: ReplyWriter | undefined;

  has(event: HandlerEvent): boolean {
    return this.handlers[event] !== undefined;
  }

  run(event: HandlerEvent, first: unknown, second: unknown): void {
    if (event === HandlerEvent.Message) this.actOn(this.routing!.route(first as string | Buffer));
    else this.call(event, this.handlers[event], first, second);
  }

  /**
   * A text message to `@OnText` when nothing stands between them (connection.ts, `isPlain`):
   * what `run`, `call` and `complete` would do with no observer, in one step (`answer` writes
   * a string reply as it is).
   */
  runText(text: string): void {
    this.callPlain(HandlerEvent.Text, this.handlers[HandlerEvent.Text]!, text, undefined, undefined);
  }

  /**
   * A text message to `@OnMessage` when nothing stands between them (connection.ts, `isPlain`):
   * routed, and a message the router hands to a handler called as `runText` calls `@OnText`.
   * Any other decision (validate, a bad message, no match) takes `actOn`'s way.
   */
  runMessage(text: string): void {
    const routing = this.routing!;
    const routed = routing.route(text);
    if (routed === Routed.Call) this.callPlain(HandlerEvent.Message, routing.handler!, routing.value, routing.decoded, routing.replyId);
    else this.actOn(routed);
  }

  /** A message's handler with no observer: the call, then its reply (or its promise, or its failure). */
  private callPlain(event: HandlerEvent, handler: Handler, first: unknown, second: unknown, replyId: unknown): void {
    let result: unknown;
    try {
      result = handler.call(this.instance, this.host.caller, first, second);
    } catch (error) {
      this.fail(event, error);
      return;
    }
    if (isThenable(result)) {
      this.awaitSettled(event, result);
      return;
    }
    if (result !== undefined) this.answer(event, result, replyId);
    this.host.outbound.paceReading();
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
  protected call(event: HandlerEvent, handler: Handler | undefined, first: unknown, second: unknown): void {
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

  protected awaitSettled(event: HandlerEvent, result: PromiseLike<unknown>): void {
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
  protected complete(event: HandlerEvent, value: unknown): void {
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
  protected fail(event: HandlerEvent, error: unknown): void {
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

  protected replies(): ReplyWriter {
    return (this.replyWriter ??= new ReplyWriter(this.host, this.report, this.routing, this));
  }

  /** What a handler returned: a reply, a reply stream, or a close. */
  private answer(event: HandlerEvent, value: unknown, replyId: unknown): void {
    // A string without a reply id is a frame as it is (the echo's shape): no check below can
    // match it, and the reply writer would only pass it through.
    if (typeof value === 'string' && replyId === undefined) {
      if (!this.host.outbound.reply(value)) this.replies().notSent();
    } else if (value instanceof CloseFrame) void this.host.caller.close(value.code, value.reason);
    else if (isAsyncIterable(value)) (this.streams ??= new ReplyStreams(this.replies())).start(value, replyId);
    else if (value instanceof InvalidReply) this.badMessage(value.error); // refused by its contract's reply schema
    else {
      const replies = this.replies();
      replies.reply(event, replies.withReplyId(value, replyId));
    }
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
