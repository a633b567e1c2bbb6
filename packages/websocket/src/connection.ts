// One accepted WebSocket connection: its service instance, its Caller, and the ordered
// dispatch of its events. The whole path of a message is in this file:
//   ws 'message' → receiveMessage → dispatch → run (routing-table slot) → complete → reply → socket.
// Handlers of one connection run one at a time in arrival order; events that arrive while
// an async handler runs wait in a bounded queue.
import type WebSocket from 'ws';
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { DrainWait, exceedsBacklog, sendAndWaitForFlush, WriteOutcome } from './backpressure';
import { Caller, type CallerLink } from './caller';
import {
  CloseCode,
  MAX_CONTROL_PAYLOAD_BYTES,
  closeCodeOfEngineError,
  closeReasonFor,
  treatTooManyFragmentsAsTooBig,
} from './close-codes';
import { newConnectionId } from './connection-id';
import {
  type MessageValidationError,
  PendingMessagesOverflowError,
  ProtocolError,
  UnsupportedMessageError,
} from './errors';
import { type EncodedFrame, acceptsDirectFrames, writeEncodedFrame, writeFrame, writeTextBytes } from './frame-writer';
import { IdleTimer } from './idle-timer';
import type { Logger } from './logger';
import { type ConnectionInfo, HANDLER_NAMES, type WebSocketObserver, errorKind } from './monitoring/observer';
import type { MessageRoute, MessageRouter } from './messages/dispatcher';
import { ReplyStreams, type StreamSink, isAsyncIterable } from './messages/reply-streams';
import type { StandardResult } from './messages/standard-schema';
import { defaultErrorReply, invalidJsonError, schemaError, unmatchedError } from './messages/validation';
import { HandlerEvent } from './metadata';
import { PendingEvents } from './pending-events';
import type { ServiceClass } from './module';
import type { ConnectionRegistry, RegistryMember } from './registry/connection-registry';
import { type FrameData, toFrameData, toPongData } from './replies';
import type { Handler, RoutingTable } from './routing-table';
import type { ResolvedServiceConfig } from './service-config';
import type { UpgradeRequest } from './upgrade-request';
import { WriteBatch } from './write-batch';

const OPEN: typeof WebSocket.OPEN = 1;
const SLOW_CONSUMER_CLOSE_TIMEOUT_MS = 5000;
const NO_DATA = Buffer.alloc(0);
const CLOSED: typeof WebSocket.CLOSED = 3;

// The socket's listeners are shared by every connection and find theirs through this link,
// so accepting a connection creates no closure per event.
const kConnection = Symbol('duet.connection');
type LinkedSocket = WebSocket & { [kConnection]: Connection };

/** What every connection of one service shares: made once per service endpoint. */
export interface ConnectionOptions {
  readonly table: RoutingTable;
  readonly logger: Logger;
  readonly registry: ConnectionRegistry;
  /** Called once, before `@OnOpen` runs. */
  readonly onAccepted: (connection: Connection) => void;
  /** Called once, the moment the socket has closed. */
  readonly onClosed: (connection: Connection) => void;
  readonly observer: WebSocketObserver | undefined;
}

interface CloseWaiter {
  readonly resolve: () => void;
  readonly timer: NodeJS.Timeout | undefined;
}

export class Connection implements CallerLink, StreamSink, RegistryMember {
  readonly caller: Caller;
  readonly serviceClass: ServiceClass;
  readonly servicePath: string;
  /** Awaiting the pong of a heartbeat ping. */
  awaitingPong = false;
  closeCode: number | undefined;
  closeReason = '';

  private readonly handlers: readonly (Handler | undefined)[];
  private readonly instance: object;
  private readonly idle: IdleTimer | undefined;
  private readonly maxPending: number;

  private busy = false;
  private runningEvent: HandlerEvent = HandlerEvent.Open;
  private pending: PendingEvents | undefined;
  /** Set when the connection is being closed because of an error; later messages are not handled. */
  private failureCloseCode: number | undefined;
  private onSettled: ((value: unknown) => void) | undefined;
  private onRejected: ((error: unknown) => void) | undefined;
  private closeWaiters: CloseWaiter[] | undefined;
  private readonly router: MessageRouter | undefined;
  /** The service's configuration, held directly: the write path reads it on every frame. */
  private readonly config: ResolvedServiceConfig;
  /** Frames may be handed to ws's sender whole (see frame-writer). */
  private readonly direct: boolean;
  /**
   * While a synchronous @OnText handler runs: its text and the bytes it came in. A reply equal
   * to that text (an echo, a relay) is sent as those bytes, without encoding the string again.
   */
  private receivedText: string | undefined;
  private receivedBytes: Buffer | undefined;
  /**
   * Replies to the messages of one read leave in one write (see write-batch). Made at the first
   * message, so an idle connection holds none; `null` when the installed ws does not allow it.
   */
  private batch: WriteBatch | null | undefined;
  /** The wait for a reader over `maxBufferedBytes` to catch up; made at the first such wait. */
  private drainWait: DrainWait | undefined;
  /** Reading is paused until the backlog drains: later messages wait, and TCP holds the sender back. */
  private readingHeld = false;
  /** Under 'drop': the reader missed its `drainTimeout`, so stream items that do not fit are dropped. */
  private stalled = false;
  /** The stream id of the message being handled, for its reply. */
  private replyId: unknown;
  /** The typed route whose schema is validating the current message. */
  private validatingRoute: MessageRoute | undefined;
  private streams: ReplyStreams | undefined;
  private finished = false;
  private finishWaiters: (() => void)[] | undefined;
  private idleWaiters: (() => void)[] | undefined;
  private readonly observer: WebSocketObserver | undefined;
  private info: ConnectionInfo | undefined;
  private handlerStartedAt = 0;

  constructor(
    readonly socket: WebSocket,
    private readonly options: ConnectionOptions,
    instance: object,
    request: UpgradeRequest,
  ) {
    const { table } = options;
    this.handlers = table.handlers;
    this.instance = instance;
    this.maxPending = table.config.maxPendingMessages;
    this.router = table.router;
    this.config = table.config;
    this.direct = acceptsDirectFrames(socket);
    this.caller = new Caller(this, newConnectionId(), request);
    if (table.config.idleTimeout > 0) {
      this.idle = new IdleTimer(table.config.idleTimeout, () => this.dispatch(HandlerEvent.IdleTimeout));
    }
    this.serviceClass = table.serviceClass;
    this.servicePath = table.config.path;
    this.listen(socket as LinkedSocket);
    options.registry.add(this);
    options.onAccepted(this);
    this.observer = options.observer;
    if (this.observer !== undefined) {
      this.info = { caller: this.caller, service: table.serviceName, path: table.config.path };
      this.observer.connectionOpened?.(this.info);
    }
    this.dispatch(HandlerEvent.Open);
  }

  // --- writes (Caller, replies, streams, broadcasts) -------------------------------------

  /**
   * Hands a frame to the socket under the slow-consumer policy. `mayWait`: a direct Caller
   * write, which under 'wait' resolves once flushed; replies and streams are paced by the
   * handler order and `whenWritable`, so only 'drop' and 'close' apply to them.
   */
  write(data: FrameData, mayWait: boolean): WriteOutcome | Promise<boolean> {
    const socket = this.socket;
    if (socket.readyState !== OPEN) return WriteOutcome.Closed;
    const { maxBufferedBytes, slowConsumerPolicy } = this.config;
    if (exceedsBacklog(this.backlog(), data, maxBufferedBytes)) {
      if (slowConsumerPolicy === 'close') {
        this.closeAsSlowConsumer();
        return WriteOutcome.Closed;
      }
      if (slowConsumerPolicy === 'drop' || !mayWait) {
        if (slowConsumerPolicy !== 'wait' || !mayWait) {
          this.options.registry.countDropped();
          return WriteOutcome.Dropped;
        }
      }
      this.touch();
      if (this.observer !== undefined) this.observeSent(data, typeof data !== 'string');
      return sendAndWaitForFlush(socket, data);
    }
    this.send(data);
    return WriteOutcome.Sent;
  }

  /** RegistryMember: a broadcast frame (under 'wait', a broadcast drops instead of waiting). */
  writeBroadcast(encoded: EncodedFrame): boolean {
    const socket = this.socket;
    if (socket.readyState !== OPEN) return false;
    const { maxBufferedBytes, slowConsumerPolicy } = this.config;
    if (exceedsBacklog(this.backlog(), encoded.payload, maxBufferedBytes)) {
      if (slowConsumerPolicy === 'close') this.closeAsSlowConsumer();
      else this.options.registry.countDropped();
      return false;
    }
    writeEncodedFrame(socket, encoded, this.direct);
    this.touch();
    if (this.observer !== undefined) this.observeSent(encoded.payload, encoded.binary);
    return true;
  }

  /**
   * A ping or pong under the slow-consumer bound: a peer that pings and never reads must not
   * grow its backlog. Control frames never wait; past the bound they are dropped (a pong may
   * answer only the latest ping, RFC 6455 §5.5.3), or under 'close' the connection closes.
   */
  writeControl(kind: typeof HandlerEvent.Ping | typeof HandlerEvent.Pong, data: FrameData | undefined): WriteOutcome {
    const socket = this.socket;
    if (socket.readyState !== OPEN) return WriteOutcome.Closed;
    if (exceedsBacklog(this.backlog(), data ?? NO_DATA, this.config.maxBufferedBytes)) {
      if (this.config.slowConsumerPolicy === 'close') {
        this.closeAsSlowConsumer();
        return WriteOutcome.Closed;
      }
      this.options.registry.countDropped();
      return WriteOutcome.Dropped;
    }
    if (kind === HandlerEvent.Ping) socket.ping(data);
    else socket.pong(data);
    this.touch();
    return WriteOutcome.Sent;
  }

  /** A heartbeat ping; the pong clears `awaitingPong` (a ping that does not fit counts as unanswered). */
  sendHeartbeat(): void {
    if (this.socket.readyState !== OPEN) return;
    this.awaitingPong = true;
    this.writeControl(HandlerEvent.Ping, undefined);
  }

  /**
   * What this connection's reader has not taken yet: the bytes the kernel has not accepted.
   * Replies held back for one batched write are not counted (they leave at the end of the
   * read), unless the batch has grown past half the bound; then it is written out first.
   */
  private backlog(): number {
    const batch = this.batch;
    if (batch === undefined || batch === null) return this.socket.bufferedAmount;
    let held = batch.held();
    if (held > this.config.maxBufferedBytes >>> 1) {
      batch.flush();
      held = 0;
    }
    return this.socket.bufferedAmount - held;
  }

  /** The wait for the socket to drain; a reader that misses `drainTimeout` meets the policy. */
  private waitForDrain(): Promise<void> {
    let wait = this.drainWait;
    if (wait === undefined) {
      const stream = (this.socket as unknown as { _socket: Socket })._socket;
      const { slowConsumerPolicy, drainTimeout } = this.config;
      const timeoutMs = slowConsumerPolicy === 'wait' ? 0 : drainTimeout * 1000;
      wait = this.drainWait = new DrainWait(stream, timeoutMs, () => this.missedDrain());
    }
    return wait.wait();
  }

  private missedDrain(): void {
    if (this.config.slowConsumerPolicy === 'close') this.closeAsSlowConsumer();
    else this.stalled = true;
  }

  /**
   * After a message was handled: with more than half the bound still unread, the next messages
   * wait for the socket to drain (the other half is room for pushes meanwhile). Reading stops
   * too, so a fast client is paced by TCP instead of being cut off.
   */
  private paceReading(): void {
    if (this.readingHeld || this.socket.readyState !== OPEN) return;
    if (this.backlog() <= this.config.maxBufferedBytes >>> 1) return;
    this.readingHeld = true;
    this.socket.pause();
    void this.waitForDrain().then((this.onReadable ??= () => this.readable()));
  }

  private onReadable: (() => void) | undefined;

  private readable(): void {
    this.readingHeld = false;
    if (this.socket.readyState !== OPEN) return;
    if (this.backlog() > this.config.maxBufferedBytes >>> 1) {
      this.paceReading();
      return;
    }
    this.socket.resume();
    this.drain();
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

  private closeAsSlowConsumer(): void {
    if (this.failureCloseCode !== undefined) return;
    this.failureCloseCode = CloseCode.TryAgainLater;
    this.observer?.errorOccurred?.(this.info!, 'DUET_SLOW_CONSUMER', undefined);
    this.options.logger.warn('slow consumer: outbound buffer over maxBufferedBytes; closing with 1013', this.logFields());
    // Its backlog may never be read: give the close handshake a short while, then terminate.
    void this.closeWithin(CloseCode.TryAgainLater, 'slow consumer', SLOW_CONSUMER_CLOSE_TIMEOUT_MS);
  }

  touch(): void {
    if (this.idle !== undefined) this.idle.touch();
  }

  /** Closes (if open) and resolves when the socket has closed or `timeoutMs` passed (then it is terminated). */
  closeWithin(statusCode: number, reason: string, timeoutMs: number): Promise<void> {
    if (this.socket.readyState === CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => this.socket.terminate(), timeoutMs) : undefined;
      (this.closeWaiters ??= []).push({ resolve, timer });
      this.closeIfOpen(statusCode, reason);
    });
  }

  /** Resolves when no handler runs and no message waits (for a graceful stop). */
  whenIdle(): Promise<void> {
    if (!this.busy && this.pendingCount() === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /** Resolves once the socket has closed and `@OnClose` has finished. */
  whenFinished(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => (this.finishWaiters ??= []).push(resolve));
  }

  // --- events from the socket -------------------------------------------------------------

  receiveMessage(data: Buffer, isBinary: boolean): void {
    let batch = this.batch;
    if (batch === undefined) batch = this.batch = WriteBatch.of(this.socket) ?? null;
    if (batch !== null) batch.messageStarts();
    if (this.observer !== undefined) this.observer.messageReceived?.(this.info!, isBinary ? 'binary' : 'text', data);
    if (isBinary) {
      if (this.handlers[HandlerEvent.Binary] !== undefined) this.dispatch(HandlerEvent.Binary, data);
      else if (this.router?.generic !== undefined) this.dispatch(HandlerEvent.Message, data);
      else this.refuseUnsupported('binary');
    } else if (this.handlers[HandlerEvent.Text] !== undefined) {
      const text = data.toString();
      this.receivedText = text;
      this.receivedBytes = data;
      this.dispatch(HandlerEvent.Text, text);
      this.receivedText = this.receivedBytes = undefined;
    } else if (this.router !== undefined) {
      this.dispatch(HandlerEvent.Message, data.toString());
    } else {
      this.refuseUnsupported('text');
    }
    if (batch !== null) batch.messageEnds();
  }

  receiveControl(event: typeof HandlerEvent.Ping | typeof HandlerEvent.Pong, data: Buffer): void {
    if (event === HandlerEvent.Pong) this.awaitingPong = false;
    if (this.handlers[event] !== undefined) this.dispatch(event, data);
    else if (event === HandlerEvent.Ping) this.writeControl(HandlerEvent.Pong, data);
  }

  receiveSocketError(error: Error & { code?: string }): void {
    // The engine closes the connection itself after a protocol error; the service is told why.
    const closeCode = closeCodeOfEngineError(error);
    const protocolError = new ProtocolError(error.message, closeCode, error.code);
    this.observeError(protocolError);
    this.dispatch(HandlerEvent.Error, protocolError);
  }

  receiveClose(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    if (this.idle !== undefined) this.idle.stop();
    this.drainWait?.release();
    const waiters = this.closeWaiters;
    this.closeWaiters = undefined;
    if (waiters !== undefined) {
      for (const waiter of waiters) {
        if (waiter.timer !== undefined) clearTimeout(waiter.timer);
        waiter.resolve();
      }
    }
    this.streams?.stopAll();
    this.options.registry.remove(this);
    this.options.onClosed(this);
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
    if (this.busy || (this.readingHeld && isMessageEvent(event))) this.enqueue(event, first, second);
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
      this.options.logger.warn('connection closed while a handler was still running; messages waiting behind it were not handled', {
        ...this.logFields(),
        skipped,
      });
    }
    // Called on its own, not through `call`: the pending handler still owns the busy state.
    const handler = this.handlers[HandlerEvent.Close];
    if (handler === undefined) {
      this.finish();
      return;
    }
    let result: unknown;
    try {
      result = handler.call(this.instance, this.caller, code, reason);
    } catch (error) {
      this.closeHandlerFailed(error);
      return;
    }
    if (isThenable(result)) result.then(() => this.finish(), (error) => this.closeHandlerFailed(error));
    else this.finish();
  }

  private closeHandlerFailed(error: unknown): void {
    this.options.logger.error('@OnClose handler failed', { ...this.logFields(), error });
    this.finish();
  }

  private run(event: HandlerEvent, first: unknown, second: unknown): void {
    if (event === HandlerEvent.Message) {
      this.routeMessage(first as string | Buffer);
      return;
    }
    const handler = this.handlers[event];
    this.call(event, handler, first, second);
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
        this.busy = true;
        this.runningEvent = event;
        result.then(
          (this.onSettled ??= (value) => this.settled(value)),
          (this.onRejected ??= (error) => this.rejected(error)),
        );
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

  private settled(value: unknown): void {
    this.busy = false;
    if (this.validatingRoute !== undefined) {
      this.validated(value as StandardResult<unknown>);
    } else {
      if (this.observer !== undefined) this.observeHandler(this.runningEvent, false);
      this.complete(this.runningEvent, value);
    }
    this.drain();
  }

  private rejected(error: unknown): void {
    this.busy = false;
    if (this.observer !== undefined && this.validatingRoute === undefined) this.observeHandler(this.runningEvent, true);
    this.validatingRoute = undefined;
    this.fail(this.runningEvent, error, CloseCode.InternalError);
    this.drain();
  }

  // --- observers (only reached when some are bound) --------------------------------------

  private observeHandler(event: HandlerEvent, failed: boolean): void {
    this.observer!.handlerFinished?.(this.info!, HANDLER_NAMES[event], performance.now() - this.handlerStartedAt, failed);
  }

  private observeSent(data: FrameData, binary: boolean): void {
    this.observer!.messageSent?.(this.info!, binary ? 'binary' : 'text', data);
  }

  private observeError(error: unknown): void {
    this.observer?.errorOccurred?.(this.info!, errorKind(error), error);
  }

  /** What follows a handler that finished: its reply, or the event's default behaviour. */
  private complete(event: HandlerEvent, value: unknown): void {
    switch (event) {
      case HandlerEvent.Text:
      case HandlerEvent.Binary:
      case HandlerEvent.Message:
        if (value !== undefined) {
          if (isAsyncIterable(value)) (this.streams ??= new ReplyStreams(this)).start(value, this.replyId);
          else this.reply(event, this.withReplyId(value, this.replyId));
        }
        this.paceReading();
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
        this.finish();
        return;
      default:
        return;
    }
  }

  // --- @OnMessage routing ------------------------------------------------------------------

  /** JSON text → typed handler by key (validated), else the generic handler, else onUnmatched. */
  private routeMessage(raw: string | Buffer): void {
    const router = this.router!;
    this.replyId = undefined;
    if (typeof raw !== 'string') {
      this.call(HandlerEvent.Message, router.generic!.handler, raw, undefined);
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      if (router.generic !== undefined) this.call(HandlerEvent.Message, router.generic.handler, raw, undefined);
      else this.badMessage(invalidJsonError());
      return;
    }
    const isObject = message !== null && typeof message === 'object' && !Array.isArray(message);
    if (isObject && router.streamId !== undefined) this.replyId = (message as Record<string, unknown>)[router.streamId];
    const key = isObject && router.typed.size > 0 ? (message as Record<string, unknown>)[router.dispatcherKey] : undefined;
    const route = typeof key === 'string' ? router.typed.get(key) : undefined;
    if (route !== undefined) this.validateAndCall(route, message);
    else if (router.generic !== undefined) this.call(HandlerEvent.Message, router.generic.handler, message, undefined);
    else this.unmatched(key);
  }

  private validateAndCall(route: MessageRoute, message: unknown): void {
    if (route.schema === undefined) {
      this.call(HandlerEvent.Message, route.handler, message, undefined);
      return;
    }
    let result: StandardResult<unknown> | Promise<StandardResult<unknown>>;
    try {
      result = route.schema['~standard'].validate(message);
    } catch (error) {
      this.fail(HandlerEvent.Message, error, CloseCode.InternalError);
      return;
    }
    this.validatingRoute = route;
    if (!isThenable(result)) {
      this.validated(result);
      return;
    }
    this.busy = true;
    this.runningEvent = HandlerEvent.Message;
    result.then(
      (this.onSettled ??= (value) => this.settled(value)),
      (this.onRejected ??= (error) => this.rejected(error)),
    );
  }

  private validated(result: StandardResult<unknown>): void {
    const route = this.validatingRoute!;
    this.validatingRoute = undefined;
    if (result.issues !== undefined) this.badMessage(schemaError(route.key!, result.issues));
    else this.call(HandlerEvent.Message, route.handler, result.value, undefined);
  }

  private unmatched(key: unknown): void {
    const { onUnmatched } = this.config;
    if (onUnmatched === 'ignore') {
      this.options.logger.debug('message ignored: no handler matches it', { ...this.logFields(), key });
    } else {
      this.badMessage(unmatchedError(this.router!.dispatcherKey, key));
    }
  }

  /** A message the service cannot take: the error reply (or a close), then @OnError. */
  private badMessage(error: MessageValidationError): void {
    const config = this.config;
    this.observeError(error);
    if (config.onInvalidMessage === 'close' || config.onUnmatched === 'close' && error.kind === 'unmatched') {
      this.failureCloseCode = error.closeCode;
      this.closeIfOpen(error.closeCode, error.kind === 'invalid-json' ? 'invalid JSON' : 'invalid message');
    } else {
      let reply: unknown;
      try {
        reply =
          config.errorReply === undefined ? defaultErrorReply(config.dispatcherKey, error) : config.errorReply(error);
      } catch (replyError) {
        this.fail(HandlerEvent.Message, replyError, CloseCode.InternalError);
        return;
      }
      if (reply !== undefined) this.reply(HandlerEvent.Message, this.withReplyId(reply, this.replyId));
    }
    if (this.handlers[HandlerEvent.Error] !== undefined) this.call(HandlerEvent.Error, this.handlers[HandlerEvent.Error], error, undefined);
    else if (this.failureCloseCode !== undefined) this.complete(HandlerEvent.Error, undefined);
  }

  /** With `dispatcherStreamId`, a reply to a message that carried an id carries it too. */
  private withReplyId(value: unknown, id: unknown): unknown {
    if (id === undefined) return value;
    const key = this.router!.streamId!;
    if (isPlainObject(value)) return { ...value, [key]: id };
    return { [key]: id, data: value };
  }

  // --- streams (StreamSink) ------------------------------------------------------------

  /**
   * A stream is paced by its reader: an item that would go past `maxBufferedBytes` waits for
   * the socket to drain (the promise), then is offered again. Only a reader that misses
   * `drainTimeout` meets the policy: 'close' ends the connection (and so the stream), 'drop'
   * drops the items that do not fit until the reader catches up.
   */
  sendStreamItem(item: unknown, id: unknown): boolean | Promise<void> {
    if (this.socket.readyState !== OPEN) return false;
    let data;
    try {
      data = toFrameData(this.withReplyId(item, id));
    } catch (error) {
      this.streamFailed(error);
      return false;
    }
    if (exceedsBacklog(this.backlog(), data, this.config.maxBufferedBytes)) {
      if (!this.stalled) return this.waitForDrain();
      this.options.registry.countDropped();
      return true;
    }
    this.stalled = false;
    this.send(data);
    return true;
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

  /** Ends the running stream of `id` (with `dispatcherStreamId`); false when there is none. */
  stopStream(id: unknown): boolean {
    return this.streams?.stop(id) ?? false;
  }

  private reply(event: HandlerEvent, value: unknown): void {
    let data;
    try {
      data = toFrameData(value);
    } catch (error) {
      this.fail(event, error, CloseCode.InternalError);
      return;
    }
    // A reply is owed and never dropped; one past the bound holds further reading (paceReading).
    if (this.socket.readyState === OPEN) this.send(data);
    else this.options.logger.debug('reply not sent: the connection closed before the handler returned', this.logFields());
  }

  private send(data: FrameData): void {
    if (data === this.receivedText) writeTextBytes(this.socket, this.receivedBytes!, this.direct);
    else writeFrame(this.socket, data, this.direct);
    this.touch();
    if (this.observer !== undefined) this.observeSent(data, typeof data !== 'string');
  }

  private replyPong(value: unknown): void {
    let data;
    try {
      data = toPongData(value);
      const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      if (size > MAX_CONTROL_PAYLOAD_BYTES) throw new RangeError(`a pong carries at most 125 bytes, got ${size}`);
    } catch (error) {
      this.fail(HandlerEvent.Ping, error, CloseCode.InternalError);
      return;
    }
    this.writeControl(HandlerEvent.Pong, data);
  }

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
    if (this.pendingCount() >= this.maxPending && isMessageEvent(event)) {
      this.overflow();
      return;
    }
    (this.pending ??= new PendingEvents()).push(event, first, second);
  }

  private drain(): void {
    const queue = this.pending;
    while (!this.busy && queue !== undefined && queue.count > 0) {
      // Reading is held for a slow reader: messages wait, a close or an error does not.
      if (this.readingHeld && queue.nextIsMessage(isMessageEvent)) break;
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
    // Logged now: @OnError hears of it in order, which is after the handler that is stuck.
    this.options.logger.warn('too many messages waiting for a busy handler; closing with 1013', {
      ...this.logFields(),
      limit: this.maxPending,
    });
    this.failureCloseCode = CloseCode.TryAgainLater;
    this.closeIfOpen(CloseCode.TryAgainLater, closeReasonFor(CloseCode.TryAgainLater));
    const overflow = new PendingMessagesOverflowError(this.maxPending);
    this.observeError(overflow);
    (this.pending ??= new PendingEvents()).push(HandlerEvent.Error, overflow, undefined);
  }

  private refuseUnsupported(kind: string): void {
    const error = new UnsupportedMessageError(
      `${this.options.table.serviceName} has no ${kind === 'text' ? '@OnText' : '@OnBinary'} handler; a ${kind} message closes the connection with 1003`,
    );
    if (this.failureCloseCode !== undefined) return;
    this.failureCloseCode = CloseCode.UnsupportedData;
    this.observeError(error);
    this.closeIfOpen(CloseCode.UnsupportedData, closeReasonFor(CloseCode.UnsupportedData));
    this.dispatch(HandlerEvent.Error, error);
  }

  private closeIfOpen(code: number, reason: string): void {
    if (this.socket.readyState !== OPEN) return;
    // Read on: the peer's close frame is what completes the close handshake.
    if (this.readingHeld) this.socket.resume();
    this.socket.close(code, reason);
  }

  private finish(): void {
    this.finished = true;
    const waiters = this.finishWaiters;
    this.finishWaiters = undefined;
    if (waiters !== undefined) for (const resolve of waiters) resolve();
  }

  private logFields(): Record<string, unknown> {
    return {
      connectionId: this.caller.getConnectionId(),
      service: this.options.table.serviceName,
      path: this.options.table.config.path,
      remoteAddress: this.caller.request.remoteAddress,
    };
  }

  private listen(socket: LinkedSocket): void {
    socket[kConnection] = this;
    socket.on('message', onSocketMessage);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('ping', onSocketPing);
    // Runs before ws's own listener, which closes with the code the error carries.
    (socket as unknown as { _receiver: EventEmitter | null })._receiver?.prependListener('error', treatTooManyFragmentsAsTooBig);
    const heartbeat = this.config.pingInterval > 0;
    if (heartbeat || this.handlers[HandlerEvent.Pong] !== undefined) socket.on('pong', onSocketPong);
    // Any bytes from the peer, a continuation fragment or a control frame among them, show the
    // connection is not idle; ws reports only whole messages and control frames.
    if (this.idle !== undefined) (socket as unknown as { _socket: Socket })._socket.on('data', this.idle.onData);
  }
}

function onSocketMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as LinkedSocket)[kConnection].receiveMessage(data, isBinary);
}

function onSocketPing(this: WebSocket, data: Buffer): void {
  (this as LinkedSocket)[kConnection].receiveControl(HandlerEvent.Ping, data);
}

function onSocketPong(this: WebSocket, data: Buffer): void {
  (this as LinkedSocket)[kConnection].receiveControl(HandlerEvent.Pong, data);
}

function onSocketError(this: WebSocket, error: Error): void {
  (this as LinkedSocket)[kConnection].receiveSocketError(error);
}

function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as LinkedSocket)[kConnection].receiveClose(code, reason.toString());
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isMessageEvent(event: HandlerEvent): boolean {
  return event !== HandlerEvent.Close && event !== HandlerEvent.Error;
}
