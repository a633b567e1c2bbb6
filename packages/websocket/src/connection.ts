// One accepted WebSocket connection: its service instance, its Caller, the ordered dispatch of
// its events and its close. The whole path of a message:
//   transport → transportMessage → dispatch → run (compiled handler slot, or the router's
//   decision for @OnMessage) → complete → outbound (reply, stream) → transport.
// Handlers of one connection run one at a time in arrival order; events that arrive while an
// async handler runs wait in a bounded queue. Writes and the slow-consumer policy: outbound.ts.
import type { AnyContract } from '@duet/contract';
import { Caller, type CallerLink } from './caller';
import { CloseCode, closeReasonFor } from './close-codes';
import { Closing } from './closing';
import { newConnectionId } from './connection-id';
import {
  type MessageValidationError,
  PendingMessagesOverflowError,
  type ProtocolError,
  SlowConsumerError,
  UnsupportedMessageError,
} from './errors';
import { IdleTimer } from './idle-timer';
import type { Logger } from './logger';
import { InvalidReply } from './messages/contract-routes';
import { ReplyStreams, type StreamSink, isAsyncIterable } from './messages/reply-streams';
import { MessageRouting, Routed } from './messages/router';
import type { StandardResult } from './messages/standard-schema';
import { defaultErrorReply, unmatchedError } from './messages/validation';
import { HandlerEvent } from './metadata';
import { type ConnectionInfo, HANDLER_NAMES, type WebSocketObserver, errorKind } from './monitoring/observer';
import { Outbound, type OutboundOwner } from './outbound';
import { PendingEvents } from './pending-events';
import type { ConnectionRegistry, RegistryMember } from './registry/connection-registry';
import { toFrameData, toPongData } from './replies';
import type { CompiledService, Handler } from './compiled-service';
import type { ResolvedServiceConfig } from './service-config';
import type { EncodedFrame } from './transport/frame-encoding';
import type { Transport, TransportHandler } from './transport/transport';
import type { UpgradeRequest } from './upgrade-request';

const SLOW_CONSUMER_CLOSE_TIMEOUT_MS = 5000;

/** What every connection of one service shares: made once per service endpoint. */
export interface ConnectionOptions {
  readonly table: CompiledService;
  readonly logger: Logger;
  readonly registry: ConnectionRegistry;
  /** The endpoint's set of its service's open connections. */
  readonly members: Set<Connection>;
  readonly observer: WebSocketObserver | undefined;
}

export class Connection implements CallerLink, StreamSink, RegistryMember, TransportHandler, OutboundOwner {
  readonly caller: Caller;
  /** Awaiting the pong of a heartbeat ping. */
  awaitingPong = false;
  closeCode: number | undefined;
  closeReason = '';
  readonly outbound: Outbound;

  private readonly handlers: readonly (Handler | undefined)[];
  private readonly instance: object;
  private readonly idle: IdleTimer | undefined;
  private readonly config: ResolvedServiceConfig;
  private readonly routing: MessageRouting | undefined;
  private busy = false;
  private runningEvent: HandlerEvent = HandlerEvent.Open;
  private pending: PendingEvents | undefined;
  /** Set when the connection is being closed because of an error; later messages are not handled. */
  private failureCloseCode: number | undefined;
  private onSettled: ((value: unknown) => void) | undefined;
  private onRejected: ((error: unknown) => void) | undefined;
  private readonly closing: Closing;
  private streams: ReplyStreams | undefined;
  private idleWaiters: (() => void)[] | undefined;
  private readonly observer: WebSocketObserver | undefined;
  private info: ConnectionInfo | undefined;
  private handlerStartedAt = 0;

  constructor(
    readonly transport: Transport,
    private readonly options: ConnectionOptions,
    instance: object,
    request: UpgradeRequest,
  ) {
    const { table } = options;
    this.handlers = table.handlers;
    this.instance = instance;
    this.config = table.config;
    if (table.router !== undefined) this.routing = new MessageRouting(table.router);
    this.caller = new Caller(this, newConnectionId(), request);
    if (table.config.idleTimeout > 0) {
      this.idle = new IdleTimer(table.config.idleTimeout, () => this.dispatch(HandlerEvent.IdleTimeout));
    }
    this.outbound = new Outbound(transport, table.config, options.registry, this.idle, this);
    this.closing = new Closing(transport);
    transport.attach(this, this.idle !== undefined);
    options.members.add(this);
    options.registry.add(this);
    this.observer = options.observer;
    if (this.observer !== undefined) {
      this.info = { caller: this.caller, service: table.serviceName, path: table.config.path };
      this.outbound.observer = this.observer;
      this.outbound.info = this.info;
      this.observer.connectionOpened?.(this.info);
    }
    this.dispatch(HandlerEvent.Open);
  }

  // --- what the Caller, broadcasts and the heartbeat ask ----------------------------------

  writeBroadcast(encoded: EncodedFrame): boolean {
    return this.outbound.writeBroadcast(encoded);
  }

  /** A heartbeat ping; the pong clears `awaitingPong` (a ping that does not fit counts as unanswered). */
  sendHeartbeat(): void {
    if (!this.transport.isOpen) return;
    this.awaitingPong = true;
    this.outbound.writeControl(HandlerEvent.Ping, undefined);
  }

  join(room: string): void {
    this.options.registry.join(this, room);
  }

  leave(room: string): void {
    this.options.registry.leave(this, room);
  }

  rooms(): ReadonlySet<string> {
    return this.options.registry.roomsOf(this);
  }

  private touch(): void {
    if (this.idle !== undefined) this.idle.touch();
  }

  /** The service's contract, for `caller.emit`. */
  get contract(): AnyContract | undefined {
    return this.config.contract;
  }

  /** Ends the running stream of `id` (with `dispatcherStreamId`); false when there is none. */
  stopStream(id: unknown): boolean {
    return this.streams?.stop(id) ?? false;
  }

  /** Closes (if open) and resolves when the socket has closed or `timeoutMs` passed (then it is terminated). */
  closeWithin(statusCode: number, reason: string, timeoutMs: number): Promise<void> {
    return this.closing.closeWithin(timeoutMs, () => this.closeIfOpen(statusCode, reason));
  }

  /** Resolves when no handler runs and no message waits (for a graceful stop). */
  whenIdle(): Promise<void> {
    if (!this.busy && this.pendingCount() === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /** Resolves once the socket has closed and `@OnClose` has finished. */
  whenFinished(): Promise<void> {
    return this.closing.whenFinished();
  }

  // --- OutboundOwner --------------------------------------------------------------------

  slowConsumer(): void {
    if (this.failureCloseCode !== undefined) return;
    this.failureCloseCode = CloseCode.TryAgainLater;
    this.observeError(new SlowConsumerError(this.config.maxBufferedBytes));
    this.options.logger.warn('slow consumer: outbound buffer over maxBufferedBytes; closing with 1013', this.logFields());
    // Its backlog may never be read: give the close handshake a short while, then terminate.
    void this.closeWithin(CloseCode.TryAgainLater, 'slow consumer', SLOW_CONSUMER_CLOSE_TIMEOUT_MS);
  }

  readingResumed(): void {
    this.drain();
  }

  // --- events from the transport ----------------------------------------------------------

  transportMessage(data: Buffer, isBinary: boolean): void {
    if (this.observer !== undefined) this.observer.messageReceived?.(this.info!, isBinary ? 'binary' : 'text', data);
    // Which event a frame goes to was compiled with the service (compiled-service.ts).
    const { table } = this.options;
    if (isBinary) {
      if (table.binaryEvent !== undefined) this.dispatch(table.binaryEvent, data);
      else this.refuseUnsupported('binary');
    } else if (table.textEvent === HandlerEvent.Text) {
      const text = data.toString();
      const outbound = this.outbound;
      outbound.receivedText = text;
      outbound.receivedBytes = data;
      this.dispatch(HandlerEvent.Text, text);
      outbound.receivedText = outbound.receivedBytes = undefined;
    } else if (table.textEvent !== undefined) {
      this.dispatch(table.textEvent, data.toString());
    } else {
      this.refuseUnsupported('text');
    }
  }

  transportPing(data: Buffer): void {
    if (this.handlers[HandlerEvent.Ping] !== undefined) this.dispatch(HandlerEvent.Ping, data);
    else this.outbound.writeControl(HandlerEvent.Pong, data);
  }

  transportPong(data: Buffer): void {
    this.awaitingPong = false;
    if (this.handlers[HandlerEvent.Pong] !== undefined) this.dispatch(HandlerEvent.Pong, data);
  }

  transportActivity(): void {
    this.idle!.touch();
  }

  transportError(error: ProtocolError): void {
    // The engine closes the connection itself after a protocol error; the service is told why.
    this.observeError(error);
    this.dispatch(HandlerEvent.Error, error);
  }

  transportClose(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    if (this.idle !== undefined) this.idle.stop();
    this.outbound.closed();
    this.closing.closed();
    this.streams?.stopAll();
    this.options.members.delete(this);
    this.options.registry.remove(this);
    if (this.observer !== undefined) this.observer.connectionClosed?.(this.info!, code, reason);
    this.dispatch(HandlerEvent.Close, code, reason);
  }

  // --- ordered dispatch -------------------------------------------------------------------

  private dispatch(event: HandlerEvent, first?: unknown, second?: unknown): void {
    // After a failure the connection is closing with an error code: no further message is handled.
    if (this.failureCloseCode !== undefined && isMessageEvent(event)) return;
    if (event === HandlerEvent.Close && this.busy) {
      this.closePastBusyHandler(first as number, second as string);
      return;
    }
    if (this.busy || (this.outbound.readingHeld && isMessageEvent(event))) this.enqueue(event, first, second);
    else this.run(event, first, second);
  }

  /**
   * The socket closed while a handler is still pending: `@OnClose` runs now, past it (a handler
   * that never settles must not keep `@OnClose` from running, nor a graceful stop waiting).
   * Messages still waiting behind that handler can no longer be answered and are not handled.
   */
  private closePastBusyHandler(code: number, reason: string): void {
    const skipped = this.pending?.discard(isMessageEvent) ?? 0;
    if (skipped > 0) {
      const fields = { ...this.logFields(), skipped };
      this.options.logger.warn('connection closed while a handler was still running; messages waiting behind it were not handled', fields);
    }
    // Called on its own, not through `call`: the pending handler still owns the busy state.
    const handler = this.handlers[HandlerEvent.Close];
    let result: unknown;
    try {
      result = handler?.call(this.instance, this.caller, code, reason);
    } catch (error) {
      this.closeHandlerFailed(error);
      return;
    }
    if (isThenable(result)) result.then(() => this.closing.finish(), (error) => this.closeHandlerFailed(error));
    else this.closing.finish();
  }

  private closeHandlerFailed(error: unknown): void {
    this.options.logger.error('@OnClose handler failed', { ...this.logFields(), error });
    this.closing.finish();
  }

  private run(event: HandlerEvent, first: unknown, second: unknown): void {
    if (event === HandlerEvent.Message) this.routeMessage(first as string | Buffer);
    else this.call(event, this.handlers[event], first, second);
  }

  /** Calls a handler; a returned promise makes the connection busy until it settles. */
  private call(event: HandlerEvent, handler: Handler | undefined, first: unknown, second: unknown): void {
    if (handler === undefined) {
      this.complete(event, undefined);
      return;
    }
    const observed = this.observer !== undefined;
    if (observed) this.handlerStartedAt = performance.now();
    let result: unknown;
    try {
      result = handler.call(this.instance, this.caller, first, second);
      if (isThenable(result)) {
        this.awaitSettled(event, result);
        return;
      }
    } catch (error) {
      if (observed) this.observeHandler(event, true);
      this.fail(event, error, CloseCode.InternalError);
      return;
    }
    if (observed) this.observeHandler(event, false);
    this.complete(event, result);
  }

  private awaitSettled(event: HandlerEvent, result: PromiseLike<unknown>): void {
    this.busy = true;
    this.runningEvent = event;
    result.then(
      (this.onSettled ??= (value) => this.settled(value)),
      (this.onRejected ??= (error) => this.rejected(error)),
    );
  }

  private settled(value: unknown): void {
    this.busy = false;
    if (this.routing?.validating !== undefined) {
      this.actOn(this.routing.validated(value as StandardResult<unknown>));
    } else {
      if (this.observer !== undefined) this.observeHandler(this.runningEvent, false);
      this.complete(this.runningEvent, value);
    }
    this.drain();
  }

  private rejected(error: unknown): void {
    this.busy = false;
    const validating = this.routing?.validating !== undefined;
    if (this.observer !== undefined && !validating) this.observeHandler(this.runningEvent, true);
    if (validating) this.routing!.validating = undefined;
    this.fail(this.runningEvent, error, CloseCode.InternalError);
    this.drain();
  }

  /** What follows a handler that finished: its reply, or the event's default behaviour. */
  private complete(event: HandlerEvent, value: unknown): void {
    switch (event) {
      case HandlerEvent.Text:
      case HandlerEvent.Binary:
      case HandlerEvent.Message:
        if (value !== undefined) {
          const replyId = event === HandlerEvent.Message ? this.routing!.replyId : undefined;
          if (isAsyncIterable(value)) (this.streams ??= new ReplyStreams(this)).start(value, replyId);
          else if (value instanceof InvalidReply) this.badMessage(value.error); // refused by its contract's reply schema
          else this.reply(event, this.withReplyId(value, replyId));
        }
        this.outbound.paceReading();
        return;
      case HandlerEvent.Ping:
        if (value !== undefined) this.replyPong(value);
        return;
      case HandlerEvent.IdleTimeout:
        if (this.handlers[HandlerEvent.IdleTimeout] === undefined) this.closeIfOpen(CloseCode.GoingAway, 'idle timeout');
        else if (this.closeCode === undefined) this.touch();
        return;
      case HandlerEvent.Error:
        if (this.failureCloseCode !== undefined) this.closeIfOpen(this.failureCloseCode, closeReasonFor(this.failureCloseCode));
        return;
      case HandlerEvent.Close:
        this.closing.finish();
        return;
      default:
        return;
    }
  }

  // --- @OnMessage: acting on the router's decision ------------------------------------------

  private routeMessage(raw: string | Buffer): void {
    this.actOn(this.routing!.route(raw));
  }

  private actOn(routed: Routed): void {
    const routing = this.routing!;
    switch (routed) {
      case Routed.Call:
        this.call(HandlerEvent.Message, routing.handler, routing.value, undefined);
        return;
      case Routed.Validate:
        this.validate(routing);
        return;
      case Routed.Invalid:
        this.badMessage(routing.error!);
        return;
      default:
        if (this.config.onUnmatched === 'ignore') {
          this.options.logger.debug('message ignored: no handler matches it', { ...this.logFields(), key: routing.unmatchedKey });
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
      this.fail(HandlerEvent.Message, error, CloseCode.InternalError);
      return;
    }
    if (isThenable(result)) this.awaitSettled(HandlerEvent.Message, result);
    else this.actOn(routing.validated(result));
  }

  /** A message the service cannot take: the error reply (or a close), then @OnError. */
  private badMessage(error: MessageValidationError): void {
    const config = this.config;
    this.observeError(error);
    if (config.onInvalidMessage === 'close' || (config.onUnmatched === 'close' && error.kind === 'unmatched')) {
      this.failureCloseCode = error.closeCode;
      this.closeIfOpen(error.closeCode, error.kind === 'invalid-json' ? 'invalid JSON' : 'invalid message');
    } else {
      let reply: unknown;
      try {
        reply = config.errorReply === undefined ? defaultErrorReply(config.dispatcherKey, error) : config.errorReply(error);
      } catch (replyError) {
        this.fail(HandlerEvent.Message, replyError, CloseCode.InternalError);
        return;
      }
      if (reply !== undefined) this.reply(HandlerEvent.Message, this.withReplyId(reply, this.routing!.replyId));
    }
    if (this.handlers[HandlerEvent.Error] !== undefined) this.call(HandlerEvent.Error, this.handlers[HandlerEvent.Error], error, undefined);
    else if (this.failureCloseCode !== undefined) this.complete(HandlerEvent.Error, undefined);
  }

  private withReplyId(value: unknown, id: unknown): unknown {
    return id === undefined ? value : this.routing!.withReplyId(value, id);
  }

  // --- replies and streams ------------------------------------------------------------------

  sendStreamItem(item: unknown, id: unknown): boolean | Promise<void> {
    if (!this.transport.isOpen) return false;
    let data;
    try {
      data = toFrameData(this.withReplyId(item, id));
    } catch (error) {
      this.streamFailed(error);
      return false;
    }
    return this.outbound.writeStreamItem(data);
  }

  streamFailed(error: unknown): void {
    if (this.failureCloseCode !== undefined || this.closeCode !== undefined) return;
    this.failureCloseCode = CloseCode.InternalError;
    this.observeError(error);
    if (this.handlers[HandlerEvent.Error] !== undefined) {
      this.dispatch(HandlerEvent.Error, error);
      return;
    }
    this.options.logger.error('a reply stream failed', { ...this.logFields(), error });
    this.closeIfOpen(CloseCode.InternalError, closeReasonFor(CloseCode.InternalError));
  }

  private reply(event: HandlerEvent, value: unknown): void {
    let data;
    try {
      data = toFrameData(value);
    } catch (error) {
      this.fail(event, error, CloseCode.InternalError);
      return;
    }
    if (!this.outbound.reply(data)) {
      this.options.logger.debug('reply not sent: the connection closed before the handler returned', this.logFields());
    }
  }

  private replyPong(value: unknown): void {
    let data;
    try {
      data = toPongData(value);
    } catch (error) {
      this.fail(HandlerEvent.Ping, error, CloseCode.InternalError);
      return;
    }
    this.outbound.writeControl(HandlerEvent.Pong, data);
  }

  // --- failures and the queue -----------------------------------------------------------------

  /**
   * A handler threw or rejected (or a reply could not be sent): `@OnError` gets the thrown
   * value, or the log does, and then the connection is closed with `closeCode`.
   */
  private fail(event: HandlerEvent, error: unknown, closeCode: number): void {
    if (event === HandlerEvent.Error || event === HandlerEvent.Close) {
      const which = event === HandlerEvent.Error ? '@OnError' : '@OnClose';
      this.options.logger.error(`${which} handler failed`, { ...this.logFields(), error });
      this.complete(event, undefined);
      return;
    }
    this.failureCloseCode = closeCode;
    this.observeError(error);
    if (this.handlers[HandlerEvent.Error] !== undefined) {
      this.run(HandlerEvent.Error, error, undefined);
      return;
    }
    this.options.logger.error('handler failed', { ...this.logFields(), error });
    this.closeIfOpen(closeCode, closeReasonFor(closeCode));
  }

  private pendingCount(): number {
    return this.pending === undefined ? 0 : this.pending.count;
  }

  private enqueue(event: HandlerEvent, first: unknown, second: unknown): void {
    if (this.failureCloseCode !== undefined && isMessageEvent(event)) return; // closing after an error
    if (this.pendingCount() >= this.config.maxPendingMessages && isMessageEvent(event)) {
      this.overflow();
      return;
    }
    (this.pending ??= new PendingEvents()).push(event, first, second);
  }

  private drain(): void {
    const queue = this.pending;
    while (!this.busy && queue !== undefined && queue.count > 0) {
      // Reading is held for a slow reader: messages wait, a close or an error does not.
      if (this.outbound.readingHeld && queue.nextIsMessage(isMessageEvent)) break;
      const event = queue.shift();
      const { first, second } = queue;
      queue.release();
      if (this.failureCloseCode !== undefined && isMessageEvent(event)) continue;
      this.run(event, first, second);
    }
    if (this.idleWaiters !== undefined && !this.busy && this.pendingCount() === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = undefined;
      for (const resolve of waiters) resolve();
    }
  }

  private overflow(): void {
    const limit = this.config.maxPendingMessages;
    // Logged now: @OnError hears of it in order, which is after the handler that is stuck.
    this.options.logger.warn('too many messages waiting for a busy handler; closing with 1013', { ...this.logFields(), limit });
    this.failureCloseCode = CloseCode.TryAgainLater;
    this.closeIfOpen(CloseCode.TryAgainLater, closeReasonFor(CloseCode.TryAgainLater));
    const overflow = new PendingMessagesOverflowError(limit);
    this.observeError(overflow);
    (this.pending ??= new PendingEvents()).push(HandlerEvent.Error, overflow, undefined);
  }

  private refuseUnsupported(kind: string): void {
    if (this.failureCloseCode !== undefined) return;
    const handler = kind === 'text' ? '@OnText' : '@OnBinary';
    const error = new UnsupportedMessageError(
      `${this.options.table.serviceName} has no ${handler} handler; a ${kind} message closes the connection with 1003`,
    );
    this.failureCloseCode = CloseCode.UnsupportedData;
    this.observeError(error);
    this.closeIfOpen(CloseCode.UnsupportedData, closeReasonFor(CloseCode.UnsupportedData));
    this.dispatch(HandlerEvent.Error, error);
  }

  private closeIfOpen(code: number, reason: string): void {
    if (!this.transport.isOpen) return;
    this.outbound.resumeForClose();
    this.transport.close(code, reason);
  }

  // --- observers (only reached when some are bound) and the log ---------------------------

  private observeHandler(event: HandlerEvent, failed: boolean): void {
    this.observer!.handlerFinished?.(this.info!, HANDLER_NAMES[event], performance.now() - this.handlerStartedAt, failed);
  }

  private observeError(error: unknown): void {
    this.observer?.errorOccurred?.(this.info!, errorKind(error), error);
  }

  private logFields(): Record<string, unknown> {
    return {
      connectionId: this.caller.getConnectionId(),
      service: this.options.table.serviceName,
      path: this.config.path,
      remoteAddress: this.caller.request.remoteAddress,
    };
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

function isMessageEvent(event: HandlerEvent): boolean {
  return event !== HandlerEvent.Close && event !== HandlerEvent.Error;
}
