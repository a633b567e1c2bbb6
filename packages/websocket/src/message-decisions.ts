// The @OnMessage side of a connection's handler runner (handler-runner.ts): what it does with
// the router's decision for a frame (call the route, validate it first, or refuse it as invalid
// or unmatched), with a policy's refusal (scopes, rate limits, interceptors), with the error reply
// of a typed message, and with a route's `@OnMessageError`. Kept apart from the calling of
// handlers, which every event shares; the runner supplies that through the abstract members.
import { CloseCode } from './close-codes';
import type { CompiledService, Handler } from './compiled-service';
import type { ConnectionReport } from './connection-report';
import { AuthorizationError, type MessageValidationError, RateLimitError } from './errors';
import { MessageRouting, Routed } from './messages/router';
import type { StandardResult } from './messages/standard-schema';
import { type ErrorReplyCause, defaultErrorReply, unmatchedError } from './messages/validation';
import { HandlerEvent } from './metadata';
import type { ReplyWriter } from './reply-writer';
import type { RunnerHost } from './runner-host';
import type { ResolvedServiceConfig } from './service-config';
import { isThenable } from './thenable';

export abstract class MessageDecisions {
  protected readonly handlers: readonly (Handler | undefined)[];
  protected readonly config: ResolvedServiceConfig;
  protected readonly routing: MessageRouting | undefined;

  constructor(
    protected readonly host: RunnerHost,
    protected readonly table: CompiledService,
    protected readonly instance: object,
    protected readonly report: ConnectionReport,
  ) {
    this.handlers = table.handlers;
    this.config = table.config;
    if (table.router !== undefined) this.routing = new MessageRouting(table.router);
  }

  protected abstract call(event: HandlerEvent, handler: Handler | undefined, first: unknown, second: unknown): void;
  protected abstract awaitSettled(event: HandlerEvent, result: PromiseLike<unknown>): void;
  protected abstract complete(event: HandlerEvent, value: unknown): void;
  protected abstract fail(event: HandlerEvent, error: unknown): void;
  protected abstract replies(): ReplyWriter;
  abstract failWith(code: number, error: Error, reason?: string): void;

  protected actOn(routed: Routed): void {
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

  protected validate(routing: MessageRouting): void {
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
  protected badMessage(error: MessageValidationError): void {
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
  protected refuse(event: HandlerEvent, error: AuthorizationError | RateLimitError): void {
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
  protected replyError(error: ErrorReplyCause): boolean {
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

  /**
   * A failure of the message being handled, when its route has an `@OnMessageError`: that
   * handler gets it (with the message), its return value is the reply, the connection stays open.
   */
  protected handOverToErrorHandler(error: unknown): boolean {
    const onError = this.routing?.takeErrorHandler();
    if (onError === undefined) return false;
    this.report.errorOccurred(this.host.info, error);
    this.call(HandlerEvent.Message, onError, error, this.routing!.value);
    return true;
  }
}
