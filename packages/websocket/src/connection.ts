// One accepted WebSocket connection: its lifecycle, the ordered dispatch of its events, and its
// close, once. The whole path of a message:
//   transport → transportMessage → dispatch → runner (compiled handler slot, or the router's
//   decision for @OnMessage; handler-runner.ts) → outbound (reply, stream) → transport.
// Handlers of one connection run one at a time in arrival order; events that arrive while an
// async handler runs wait in a bounded queue. Writes and the slow-consumer policy: outbound.ts.
import type { AnyContract } from '@duet/contract';
import { Caller, type CallerLink } from './caller';
import { CloseCode, closeReasonFor } from './close-codes';
import { Closing } from './closing';
import type { CompiledService } from './compiled-service';
import { newConnectionId } from './connection-id';
import { PendingMessagesOverflowError, type ProtocolError, SlowConsumerError } from './errors';
import type { ConnectionReport } from './connection-report';
import { HandlerRunner, type RunnerHost } from './handler-runner';
import { IdleTimer } from './idle-timer';
import { HandlerEvent } from './metadata';
import type { ConnectionInfo } from './monitoring/observer';
import { Outbound, type OutboundOwner } from './outbound';
import { PendingEvents } from './pending-events';
import type { ConnectionRegistry, RegistryMember } from './registry/connection-registry';
import { MemberTopics } from './registry/topics';
import type { ResolvedServiceConfig } from './service-config';
import type { EncodedFrame } from './transport/frame-encoding';
import type { TopicSocket, Transport, TransportHandler } from './transport/transport';
import type { UpgradeRequest } from './upgrade-request';

const SLOW_CONSUMER_CLOSE_TIMEOUT_MS = 5000;

/** What every connection of one service shares: made once per service endpoint. */
export interface ConnectionOptions {
  readonly table: CompiledService;
  /** The log and the observers, for every connection of the service. */
  readonly report: ConnectionReport;
  readonly registry: ConnectionRegistry;
  /** The endpoint's set of its service's open connections. */
  readonly members: Set<Connection>;
  /** The service's topic, on engines that fan broadcasts out themselves (registry/topics.ts). */
  readonly serviceTopic: string;
}

export class Connection implements CallerLink, RegistryMember, TransportHandler, OutboundOwner, RunnerHost {
  readonly caller: Caller;
  /** Awaiting the pong of a heartbeat ping (heartbeat.ts sends it). */
  awaitingPong = false;
  closeCode: number | undefined;
  closeReason = '';
  readonly outbound: Outbound;
  /** What observers are told of this connection; made only when some are bound. */
  readonly info: ConnectionInfo | undefined;
  /** Set when the connection is being closed because of a failure; later messages are not handled. */
  failureCloseCode: number | undefined;
  /** Its socket in its server's topics, when the engine fans broadcasts out itself (Bun). */
  readonly topicSocket: TopicSocket | undefined;

  private readonly runner: HandlerRunner;
  private readonly idle: IdleTimer | undefined;
  private readonly config: ResolvedServiceConfig;
  /** A handler's promise is pending: events wait in `pending`. */
  private busy = false;
  private pending: PendingEvents | undefined;
  /** Made when something waits for the close (a stop, `caller.close`); most connections never need it. */
  private closing: Closing | undefined;
  /** The socket closed and `@OnClose` has finished. */
  private finished = false;
  private idleWaiters: (() => void)[] | undefined;
  /** Its subscriptions; made at its first room or publish, so a connection that has neither holds none. */
  private memberTopics: MemberTopics | undefined;

  constructor(
    readonly transport: Transport,
    private readonly options: ConnectionOptions,
    instance: object,
    request: UpgradeRequest,
  ) {
    const { table, report } = options;
    this.config = table.config;
    this.caller = new Caller(this, newConnectionId(), request);
    this.topicSocket = transport.topics;
    if (table.config.idleTimeout > 0) {
      this.idle = new IdleTimer(table.config.idleTimeout, () => this.dispatch(HandlerEvent.IdleTimeout));
    }
    this.outbound = new Outbound(transport, table.config, options.registry, this.idle, this);
    this.info = report.infoFor(this.caller);
    this.runner = new HandlerRunner(this, table, instance, report);
    transport.attach(this, this.idle !== undefined);
    options.members.add(this);
    options.registry.add(this);
    if (this.info !== undefined) {
      this.outbound.observeWith(report.observer!, this.info);
      report.observer!.connectionOpened?.(this.info);
    }
    this.dispatch(HandlerEvent.Open);
  }

  // --- what the Caller, broadcasts and the heartbeat ask ----------------------------------

  writeBroadcast(encoded: EncodedFrame): boolean {
    return this.outbound.writeBroadcast(encoded);
  }

  join(room: string): void {
    this.options.registry.join(this, room);
    if (this.topicSocket !== undefined) this.topics(this.topicSocket).joined(room);
  }

  leave(room: string): void {
    this.options.registry.leave(this, room);
    this.memberTopics?.left(room);
  }

  get serviceTopic(): string {
    return this.options.serviceTopic;
  }

  takePublish(encoded: EncodedFrame, service: boolean): boolean {
    const socket = this.topicSocket!;
    if (!this.outbound.takesPublish(encoded, socket)) {
      this.memberTopics?.leaveOut(this.rooms());
      return false;
    }
    const topics = this.topics(socket);
    if (!topics.attached) topics.attach(this.rooms());
    if (service) topics.joinService();
    return true;
  }

  reachedBy(service: boolean): boolean {
    return this.transport.isOpen && this.memberTopics !== undefined && this.memberTopics.reachedBy(service);
  }

  private topics(socket: TopicSocket): MemberTopics {
    return (this.memberTopics ??= new MemberTopics(socket, this.options.serviceTopic));
  }

  rooms(): ReadonlySet<string> {
    return this.options.registry.roomsOf(this);
  }

  /** The service's contract, for `caller.emit`. */
  get contract(): AnyContract | undefined {
    return this.config.contract;
  }

  /** Ends the running stream of `id` (`dispatcherStreamId`); false when there is none. */
  stopStream(id: unknown): boolean {
    return this.runner.stopStream(id);
  }

  /** Closes (if open) and resolves when the socket has closed or `timeoutMs` passed (then it is terminated). */
  closeWithin(statusCode: number, reason: string, timeoutMs: number): Promise<void> {
    return (this.closing ??= new Closing(this.transport)).closeWithin(timeoutMs, () => this.closeIfOpen(statusCode, reason));
  }

  /** Resolves when no handler runs and no message waits (for a graceful stop). */
  whenIdle(): Promise<void> {
    if (!this.busy && (this.pending?.count ?? 0) === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /** Resolves once the socket has closed and `@OnClose` has finished. */
  whenFinished(): Promise<void> {
    return this.finished ? Promise.resolve() : (this.closing ??= new Closing(this.transport)).whenFinished();
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
    if (this.info !== undefined) this.options.report.observer!.messageReceived?.(this.info, 'text', Buffer.from(text));
    this.receiveText(text);
  }

  private receiveText(text: string): void {
    const event = this.options.table.textEvent;
    if (event !== undefined) this.dispatch(event, text);
    else this.runner.refuseUnsupported('text');
  }

  transportPing(data: Buffer): void {
    if (this.runner.has(HandlerEvent.Ping)) this.dispatch(HandlerEvent.Ping, data);
    else this.outbound.writeControl(HandlerEvent.Pong, data);
  }

  transportPong(data: Buffer): void {
    this.awaitingPong = false;
    if (this.runner.has(HandlerEvent.Pong)) this.dispatch(HandlerEvent.Pong, data);
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
    this.closeCode = code;
    this.closeReason = reason;
    this.idle?.stop();
    this.outbound.closed();
    this.closing?.closed();
    this.runner.stopStreams();
    this.options.members.delete(this);
    this.options.registry.remove(this);
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
    if (this.busy || (this.outbound.readingHeld && isMessageEvent(event))) this.enqueue(event, first, second);
    else this.runner.run(event, first, second);
  }

  /**
   * The socket closed while a handler is still pending: `@OnClose` runs now, past it (a handler
   * that never settles must not keep `@OnClose` from running, nor a graceful stop waiting).
   * Messages still waiting behind that handler can no longer be answered and are not handled.
   */
  private closePastBusyHandler(code: number, reason: string): void {
    const skipped = this.pending?.discard(isMessageEvent) ?? 0;
    if (skipped > 0) {
      const message = 'connection closed while a handler was still running; messages waiting behind it were not handled';
      this.options.report.logger.warn(message, this.options.report.fields(this.caller, { skipped }));
    }
    this.runner.runCloseBesideBusy(code, reason);
  }

  private enqueue(event: HandlerEvent, first: unknown, second: unknown): void {
    if ((this.pending?.count ?? 0) >= this.config.maxPendingMessages && isMessageEvent(event)) {
      this.overflow();
      return;
    }
    (this.pending ??= new PendingEvents()).push(event, first, second);
  }

  runWaiting(): void {
    const queue = this.pending;
    while (!this.busy && queue !== undefined && queue.count > 0) {
      // Reading is held for a slow reader: messages wait, a close or an error does not.
      if (this.outbound.readingHeld && queue.nextIsMessage(isMessageEvent)) break;
      const event = queue.shift();
      const { first, second } = queue;
      queue.release();
      if (this.failureCloseCode !== undefined && isMessageEvent(event)) continue;
      this.runner.run(event, first, second);
    }
    if (this.idleWaiters !== undefined && !this.busy && (this.pending?.count ?? 0) === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = undefined;
      for (const resolve of waiters) resolve();
    }
  }

  private overflow(): void {
    const limit = this.config.maxPendingMessages;
    // Logged now: @OnError hears of it in order, which is after the handler that is stuck.
    this.options.report.logger.warn('too many messages waiting for a busy handler; closing with 1013', this.options.report.fields(this.caller, { limit }));
    this.failureCloseCode = CloseCode.TryAgainLater;
    this.closeIfOpen(CloseCode.TryAgainLater, closeReasonFor(CloseCode.TryAgainLater));
    const overflow = new PendingMessagesOverflowError(limit);
    this.options.report.errorOccurred(this.info, overflow);
    (this.pending ??= new PendingEvents()).push(HandlerEvent.Error, overflow, undefined);
  }

  // --- RunnerHost: what the handler runner asks ----------------------------------------------

  handlerPending(): void {
    this.busy = true;
  }

  handlerSettled(): void {
    this.busy = false;
  }

  closeIfOpen(code: number, reason: string): void {
    if (!this.transport.isOpen) return;
    this.outbound.resumeForClose();
    this.transport.close(code, reason);
  }

  closeFinished(): void {
    this.finished = true;
    this.closing?.finish();
  }

  idleAgain(): void {
    this.idle?.touch();
  }
}

function isMessageEvent(event: HandlerEvent): boolean {
  return event !== HandlerEvent.Close && event !== HandlerEvent.Error;
}
