// One accepted WebSocket connection: its lifecycle, the ordered dispatch of its events, and its
// close, once. The whole path of a message:
//   transport → transportMessage → dispatch → runner (compiled handler slot, or the router's
//   decision for @OnMessage; handler-runner.ts) → outbound (reply, stream) → transport.
// Handlers of one connection run one at a time in arrival order; events that arrive while an
// async handler runs wait in a bounded queue. Writes and the slow-consumer policy: outbound.ts;
// the connection as the registry knows it (id, rooms, topics) and its rare state: connection-membership.ts.
import { Caller, type CallerLink } from './caller';
import { CloseCode } from './close-codes';
import { ConnectionMembership } from './connection-membership';
import { PendingMessagesOverflowError, type ProtocolError, SlowConsumerError } from './errors';
import type { ConnectionOptions } from './connection-options';
import { HandlerRunner } from './handler-runner';
import type { RunnerHost } from './runner-host';
import { IdleTimer } from './idle-timer';
import { HandlerEvent } from './metadata';
import type { ConnectionInfo } from './monitoring/observer';
import { Outbound, type OutboundOwner } from './outbound';
import { InboundQueue, isMessageEvent } from './inbound-queue';
import type { Transport, TransportHandler } from './transport/transport';
import { UpgradeRequest } from './upgrade-request';

const SLOW_CONSUMER_CLOSE_TIMEOUT_MS = 5000;

// Connection's bits of `flags` (connection-membership.ts has the lower ones): one number, not several booleans.
/** A handler's promise is pending: events wait in `pending`. */
const BUSY = 8;
/** The socket closed and `@OnClose` has finished. */
const FINISHED = 16;

export class Connection extends ConnectionMembership implements CallerLink, TransportHandler, OutboundOwner, RunnerHost {
  /** What observers are told of this connection; made only when some are bound. */
  readonly info: ConnectionInfo | undefined;

  // An idle connection is most connections: what it may never need is made at its first use
  // (the Caller at the first handler or lookup, the writer at the first write, the runner at
  // the first event with a handler, the rest in `extras`), so that one costs only this object.
  private madeCaller: Caller | undefined;
  private madeOutbound: Outbound | undefined;
  private madeRunner: HandlerRunner | undefined;
  private readonly idle: IdleTimer | undefined;

  constructor(
    transport: Transport,
    options: ConnectionOptions,
    private readonly instance: object,
    /** The upgrade request this connection came from (`caller.request`), or its packed head alone. */
    private requestOrHead: UpgradeRequest | string,
  ) {
    super(transport, options);
    const { table, report } = options;
    if (table.config.idleTimeout > 0) {
      this.idle = new IdleTimer(table.config.idleTimeout, () => this.idleTimedOut());
    }
    if (report.observer !== undefined) this.info = report.infoFor(this.caller);
    const token = options.tokens?.lifetimeFor(this);
    if (token !== undefined) this.extras.token = token;
    transport.attach(this, this.idle !== undefined);
    this.list();
    if (this.info !== undefined) report.observer!.connectionOpened?.(this.info);
    // Without an @OnOpen nothing follows the open (handler-runner.ts, `complete`).
    if (table.handlers[HandlerEvent.Open] !== undefined) this.dispatch(HandlerEvent.Open);
  }

  /** The upgrade request this connection came from (`caller.request`), made again from its head at the first read. */
  get request(): UpgradeRequest {
    const request = this.requestOrHead;
    return typeof request === 'string' ? (this.requestOrHead = UpgradeRequest.fromHead(request)) : request;
  }

  /** What a handler holds to talk back to this connection. */
  get caller(): Caller {
    return (this.madeCaller ??= new Caller(this));
  }

  /** Every write, under the slow-consumer policy. */
  get outbound(): Outbound {
    return (this.madeOutbound ??= this.newOutbound());
  }

  private newOutbound(): Outbound {
    const outbound = new Outbound(this.transport, this.config, this.options.registry, this.idle, this);
    if (this.info !== undefined) outbound.observeWith(this.options.report.observer!, this.info);
    return outbound;
  }

  private get runner(): HandlerRunner {
    return (this.madeRunner ??= new HandlerRunner(this, this.options.table, this.instance, this.options.report));
  }

  private get busy(): boolean {
    return (this.flags & BUSY) !== 0;
  }

  /** Reading is held for a slow reader (there is a writer to hold it). */
  private get readingHeld(): boolean {
    return this.madeOutbound?.readingHeld === true;
  }

  // --- what the Caller, broadcasts and the heartbeat ask ----------------------------------

  /** Ends the running stream of `id` (`dispatcherStreamId`); false when there is none. */
  stopStream(id: unknown): boolean {
    return this.madeRunner?.stopStream(id) ?? false;
  }

  /** Closes (if open) and resolves when the socket has closed or `timeoutMs` passed (then it is terminated). */
  closeWithin(statusCode: number, reason: string, timeoutMs: number): Promise<void> {
    return this.extras.closeWithin(this.transport, timeoutMs, () => this.closeIfOpen(statusCode, reason));
  }

  /** Resolves when no handler runs and no message waits (for a graceful stop). */
  whenIdle(): Promise<void> {
    if (!this.busy && (this.pending?.count ?? 0) === 0) return Promise.resolve();
    return this.pendingQueue().whenEmpty();
  }

  /** Resolves once the socket has closed and `@OnClose` has finished. */
  whenFinished(): Promise<void> {
    return (this.flags & FINISHED) !== 0 ? Promise.resolve() : this.extras.whenFinished();
  }

  // --- OutboundOwner --------------------------------------------------------------------

  slowConsumer(): void {
    if (this.failureCloseCode !== undefined) return;
    this.failureCloseCode = CloseCode.TryAgainLater;
    this.options.report.errorOccurred(this.info, new SlowConsumerError(this.config.maxBufferedBytes));
    this.options.report.logger.warn('slow consumer: outbound buffer over maxBufferedBytes; closing with 1013', this.options.report.fields(this.caller));
    // Its backlog may never be read: give the close handshake a short while, then terminate.
    void this.closeWithin(CloseCode.TryAgainLater, 'slow consumer', SLOW_CONSUMER_CLOSE_TIMEOUT_MS);
  }

  // --- events from the transport ----------------------------------------------------------

  transportMessage(data: Buffer, isBinary: boolean): void {
    const { table, report } = this.options;
    if (this.info !== undefined) report.observer!.messageReceived?.(this.info, isBinary ? 'binary' : 'text', data);
    if (!isBinary && this.token?.takes(data) === true) return;
    // Which event a frame goes to was compiled with the service (compiled-service.ts).
    if (isBinary) {
      if (table.binaryEvent !== undefined) this.dispatch(table.binaryEvent, data);
      else this.runner.refuseUnsupported('binary');
    } else if (table.textEvent === HandlerEvent.Text) {
      const text = data.toString();
      const outbound = this.outbound;
      outbound.receivedText = text;
      outbound.receivedBytes = data;
      this.dispatch(HandlerEvent.Text, text);
      outbound.receivedText = outbound.receivedBytes = undefined;
    } else {
      this.receiveText(data.toString());
    }
  }

  transportText(text: string): void {
    const event = this.options.table.textEvent;
    if (event === undefined || !this.isPlain) this.receiveTextAsEvent(text);
    else if (event === HandlerEvent.Text) this.runner.runText(text);
    else this.runner.runMessage(text);
  }

  /**
   * Nothing stands between a message and its handler: no observer to tell, no token that may
   * take it, no failure closing the connection, no handler pending, reading not held. Then the
   * runner takes a text message straight (`runText`, or `runMessage` for `@OnMessage`), with
   * the same outcome as `dispatch`.
   */
  private get isPlain(): boolean {
    if (this.info !== undefined || (this.flags & BUSY) !== 0) return false;
    const extras = this.madeExtras;
    if (extras !== undefined && (extras.failureCloseCode !== undefined || extras.token !== undefined)) return false;
    return this.madeOutbound?.readingHeld !== true;
  }

  private receiveTextAsEvent(text: string): void {
    if (this.info !== undefined) this.options.report.observer!.messageReceived?.(this.info, 'text', Buffer.from(text));
    if (this.token?.takesText(text) !== true) this.receiveText(text);
  }

  private receiveText(text: string): void {
    const event = this.options.table.textEvent;
    if (event !== undefined) this.dispatch(event, text);
    else this.runner.refuseUnsupported('text');
  }

  transportPing(data: Buffer): void {
    if (this.options.table.handlers[HandlerEvent.Ping] !== undefined) this.dispatch(HandlerEvent.Ping, data);
    else this.outbound.writeControl(HandlerEvent.Pong, data);
  }

  transportPong(data: Buffer): void {
    this.awaitingPong = false;
    if (this.options.table.handlers[HandlerEvent.Pong] !== undefined) this.dispatch(HandlerEvent.Pong, data);
  }

  transportActivity(): void {
    this.idle!.touch();
  }

  transportError(error: ProtocolError): void {
    // The engine closes the connection itself after a protocol error; the service is told why.
    this.options.report.errorOccurred(this.info, error);
    this.dispatch(HandlerEvent.Error, error);
  }

  transportClose(code: number, reason: string): void {
    this.idle?.stop();
    this.token?.stop();
    this.madeOutbound?.closed();
    this.extras.closed(code, reason);
    this.madeRunner?.stopStreams();
    this.unlist();
    if (this.info !== undefined) this.options.report.observer!.connectionClosed?.(this.info, code, reason);
    this.dispatch(HandlerEvent.Close, code, reason);
  }

  // --- ordered dispatch -------------------------------------------------------------------

  dispatch(event: HandlerEvent, first?: unknown, second?: unknown): void {
    // After a failure the connection is closing with an error code: no further message is handled.
    if (this.failureCloseCode !== undefined && isMessageEvent(event)) return;
    if (event === HandlerEvent.Close && this.busy) {
      this.closePastBusyHandler(first as number, second as string);
      return;
    }
    if (this.busy || (this.readingHeld && isMessageEvent(event))) this.enqueue(event, first, second);
    else this.runner.run(event, first, second);
  }

  /**
   * The socket closed while a handler is still pending: `@OnClose` runs now, past it (a handler
   * that never settles must not keep `@OnClose` from running, nor a graceful stop waiting).
   * Messages still waiting behind that handler can no longer be answered and are not handled.
   */
  private closePastBusyHandler(code: number, reason: string): void {
    this.runner.runCloseBesideBusy(code, reason, this.pending?.discard(isMessageEvent) ?? 0);
  }

  private enqueue(event: HandlerEvent, first: unknown, second: unknown): void {
    const queue = this.pendingQueue();
    if (!isMessageEvent(event)) queue.push(event, first, second);
    else if (!queue.admitMessage(event, first, second)) this.overflow();
  }

  private get pending(): InboundQueue | undefined {
    return this.madeExtras?.pending;
  }

  private pendingQueue(): InboundQueue {
    const extras = this.extras;
    return (extras.pending ??= new InboundQueue(this.config, this.transport));
  }

  /** Reading is paused because too many messages wait (`inboundOverflow: 'pause'`). */
  get queueFull(): boolean {
    return this.pending?.paused === true;
  }

  /** Idle. Paused behind a handler stuck since, `@OnIdleTimeout` could only wait: close (1001), never hold for ever. */
  private idleTimedOut(): void {
    if (this.busy && this.queueFull) this.closeIfOpen(CloseCode.GoingAway, 'idle timeout');
    else this.dispatch(HandlerEvent.IdleTimeout);
  }

  runWaiting(): void {
    const queue = this.pending;
    while (!this.busy && queue !== undefined && queue.count > 0) {
      // Reading is held for a slow reader: messages wait, a close or an error does not.
      if (this.readingHeld && queue.nextIsMessage(isMessageEvent)) break;
      const event = queue.shift();
      const { first, second } = queue;
      queue.release();
      if (this.failureCloseCode !== undefined && isMessageEvent(event)) continue;
      this.runner.run(event, first, second);
    }
    queue?.handled(this.readingHeld, this.busy);
  }

  private overflow(): void {
    const limit = this.config.maxPendingMessages;
    // Logged now: @OnError hears of it in order, which is after the handler that is stuck.
    this.options.report.logger.warn('too many messages waiting for a busy handler; closing with 1013', this.options.report.fields(this.caller, { limit }));
    this.runner.failWith(CloseCode.TryAgainLater, new PendingMessagesOverflowError(limit));
  }

  // --- RunnerHost: what the handler runner asks ----------------------------------------------

  handlerPending(): void {
    this.flags |= BUSY;
  }

  handlerSettled(): void {
    this.flags &= ~BUSY;
    this.settledSincePing = true;
  }

  closeIfOpen(code: number, reason: string): void {
    if (!this.transport.isOpen) return;
    // The peer's close frame completes the handshake: reading must go on.
    this.madeOutbound?.resumeForClose();
    this.pending?.resumeForClose();
    this.transport.close(code, reason);
  }

  closeFinished(): void {
    this.flags |= FINISHED;
    this.madeExtras?.finish();
  }

  idleAgain(): void {
    this.idle?.touch();
  }
}
