// A resumable session (service config `resume`), seen by its connection as one `Transport` that
// outlives the sockets under it. Every message to the client is numbered by its place, kept until
// the client acknowledges it, and written again to the next socket; messages from the client are
// counted and acknowledged in batches, so the client re-sends only what never arrived. A socket
// that drops without a clean close leaves the session waiting `window` seconds for a resume
// (`@OnDisconnect`); `@OnClose` runs once, when the session itself ends. Wire format: docs/client.md.
import { CloseCode } from './close-codes';
import type { ProtocolError } from './errors';
import { HandlerEvent } from './metadata';
import type { ConnectionInfo, SessionLoss } from './monitoring/observer';
import type { FrameData } from './replies';
import { type BufferedFrame, FrameKind, ResumeBuffer } from './resume-buffer';
import type { ResolvedResumeConfig } from './resume-config';
import type { EncodedFrame } from './transport/frame-encoding';
import type { Transport, TransportHandler } from './transport/transport';
import { SessionAcks } from './session-acks';
import { SocketLink } from './session-link';
import type { TokenLifetime } from './token-lifetime';

/** The dispatcher values of the session's own frames; '$…' names are never contract messages. */
export const SESSION_NAME = '$session';

/** What the session needs of its connection, besides the transport events. */
export interface SessionHost extends TransportHandler {
  awaitingPong: boolean;
  /** What observers are told of the connection; undefined when none is bound. */
  readonly info: ConnectionInfo | undefined;
  dispatch(event: HandlerEvent, first?: unknown, second?: unknown): void;
  /** Its principal's expiry, on a service with `auth` (a resume brings new credentials). */
  readonly token: TokenLifetime | undefined;
}

/** What a session tells the store that keeps it. */
export interface SessionOwner {
  /** The socket under the session dropped; the session waits for a resume. */
  sessionDropped(session: Session, code: number, reason: string): void;
  /** The session took a new socket. */
  sessionResumed(session: Session): void;
  /** The session ended; `outcome` says why when a later resume should hear of it. */
  sessionEnded(session: Session, outcome: SessionLoss | undefined): void;
}

const enum State {
  Up,
  Down,
  /** Ending on the next turn (an overflow or a close while down): nothing more is written. */
  Ending,
  Ended,
}

export class Session implements Transport {
  link: SocketLink | undefined;
  host!: SessionHost;
  readonly protocol: string;
  readonly extensions: string;
  private state = State.Up;
  private watchActivity = false;
  /** The connection asked to stop reading, and whether the current socket is paused. */
  private readingPaused = false;
  private socketPaused = false;
  /** The server started the close: the socket's close ends the session. */
  private closeAsked = false;
  private readonly buffer = new ResumeBuffer();
  private readonly acks: SessionAcks;
  private windowTimer: NodeJS.Timeout | undefined;
  /** `onFlushed` callbacks waiting for held frames to go out. */
  private flushWaiters: (() => void)[] | undefined;

  constructor(
    private readonly owner: SessionOwner,
    readonly token: string,
    /** The principal's name the session is bound to (undefined without auth). */
    readonly principal: string | undefined,
    private readonly config: ResolvedResumeConfig,
    private readonly dispatcherKey: string,
    transport: Transport,
    refusal: string | undefined,
  ) {
    this.protocol = transport.protocol;
    this.extensions = transport.extensions;
    this.acks = new SessionAcks(dispatcherKey, config.maxBufferedMessages, () => this.sendAck());
    this.link = new SocketLink(this, transport);
    // The first frame of the socket, before anything @OnOpen writes.
    transport.send(this.sessionFrame(false, refusal));
  }

  get isOpen(): boolean {
    return this.state <= State.Down && !this.closeAsked;
  }

  get isClosed(): boolean {
    return this.state === State.Ended;
  }

  /** Whether a resume may take this session: the same as being open (a session closing is gone). */
  get resumable(): boolean {
    return this.isOpen;
  }

  /** Whether `n` is an honest count of messages received by the client. */
  canReplayAfter(n: number): boolean {
    return Number.isSafeInteger(n) && n >= this.buffer.acked && n <= this.buffer.last;
  }

  // --- Transport: what the connection asks ----------------------------------------------------

  attach(handler: TransportHandler, watchActivity: boolean): void {
    this.host = handler as SessionHost;
    this.watchActivity = watchActivity;
    this.link!.transport.attach(this.link!, watchActivity);
  }

  /** While down, writes are only buffered (their bound ends the session), so there is no backlog to pace. */
  backlog(maxHeld: number): number {
    const link = this.link;
    return link === undefined ? 0 : link.transport.backlog(maxHeld) + this.buffer.heldBytes;
  }

  send(data: FrameData): void {
    this.record(data, FrameKind.Data, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  }

  sendTextBytes(bytes: Buffer): void {
    this.record(bytes, FrameKind.TextBytes, bytes.length);
  }

  sendEncoded(frame: EncodedFrame): void {
    this.record(frame, FrameKind.Encoded, frame.payload.length);
  }

  /** A buffered frame is safe in the session: while down it counts as handed over. */
  sendAndFlush(data: FrameData): Promise<boolean> {
    this.send(data);
    return new Promise((resolve) => this.onFlushed(() => resolve(this.state !== State.Ended)));
  }

  ping(data?: FrameData): void {
    this.link?.transport.ping(data);
  }

  pong(data?: FrameData): void {
    this.link?.transport.pong(data);
  }

  close(code: number, reason: string): void {
    if (this.state >= State.Ending) return;
    this.closeAsked = true;
    if (this.link !== undefined) this.link.transport.close(code, reason);
    else this.endSoon(code, reason, undefined);
  }

  /**
   * After a close the server asked for, the socket is ended and so is the session. Without one
   * (the heartbeat found the peer dead) only the socket goes: the session waits for a resume.
   */
  terminate(): void {
    if (this.link !== undefined) this.link.transport.terminate();
    else if (this.closeAsked && this.state === State.Down) this.endSoon(CloseCode.AbnormalClosure, '', undefined);
  }

  pauseReading(): void {
    this.readingPaused = true;
    this.applyReading();
  }

  resumeReading(): void {
    this.readingPaused = false;
    this.applyReading();
  }

  onFlushed(callback: () => void): void {
    const link = this.link;
    if (link === undefined || this.state >= State.Ending) callback();
    else if (this.buffer.heldBytes === 0 && this.buffer.written === this.buffer.count) link.transport.onFlushed(callback);
    else (this.flushWaiters ??= []).push(callback);
  }

  // --- the sockets under the session ------------------------------------------------------------

  /** A new socket takes the session: the client has the first `clientReceived` messages. */
  resume(transport: Transport, clientReceived: number): void {
    const old = this.link;
    if (old !== undefined) {
      // The old socket looked alive but the client has moved on: drop it, keep the session.
      this.link = undefined;
      old.transport.terminate();
      this.dropNoted(CloseCode.AbnormalClosure, 'replaced by a resumed connection');
    }
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.state = State.Up;
    this.buffer.acknowledge(clientReceived);
    this.buffer.rewind();
    const link = (this.link = new SocketLink(this, transport));
    transport.attach(link, this.watchActivity);
    this.socketPaused = false;
    transport.send(this.sessionFrame(true, undefined));
    this.acks.caughtUp();
    this.pump();
    this.host.awaitingPong = false;
    this.owner.sessionResumed(this);
    this.host.dispatch(HandlerEvent.Resume);
  }

  /** The current socket closed. */
  dropped(code: number, reason: string): void {
    this.link = undefined;
    this.socketPaused = false;
    this.acks.stop();
    if (this.closeAsked || this.state >= State.Ending || !survives(code)) {
      this.end(code, reason, undefined);
      return;
    }
    this.state = State.Down;
    this.buffer.rewind();
    this.releaseFlushWaiters();
    // Frames held back for acknowledgements are over the bound already: nothing more may wait.
    if (this.buffer.exceeds(this.config.maxBufferedMessages, this.config.maxBufferedBytes)) {
      this.end(CloseCode.TryAgainLater, 'resume buffer full', 'overflowed');
      return;
    }
    this.windowTimer = setTimeout(() => this.end(CloseCode.AbnormalClosure, 'session expired', 'expired'), this.config.window * 1000);
    // The listener keeps the process alive; a waiting session alone should not.
    this.windowTimer.unref();
    this.dropNoted(code, reason);
  }

  /** The owner and then the service's `@OnDisconnect` hear that the socket went and the session waits. */
  private dropNoted(code: number, reason: string): void {
    this.owner.sessionDropped(this, code, reason);
    this.host.dispatch(HandlerEvent.Disconnect, code, reason);
  }

  /** A message from the client: an acknowledgement is taken here, anything else is counted and handed on. */
  received(data: Buffer, isBinary: boolean): void {
    if (this.acks.isAck(data, isBinary)) {
      this.acknowledged(data);
      return;
    }
    this.acks.count();
    this.host.transportMessage(data, isBinary);
  }

  // --- inside ---------------------------------------------------------------------------------

  private acknowledged(data: Buffer): void {
    const n = this.acks.countIn(data);
    if (n === undefined || !this.buffer.acknowledge(n)) {
      // A count the session cannot honour: replaying from it would lose or double messages.
      this.close(CloseCode.ProtocolError, 'invalid acknowledgement');
      return;
    }
    this.pump();
  }

  private record(frame: BufferedFrame, kind: FrameKind, size: number): void {
    if (this.state >= State.Ending) return;
    this.buffer.push(frame, kind, size);
    if (this.link !== undefined) {
      this.pump();
    } else if (this.buffer.exceeds(this.config.maxBufferedMessages, this.config.maxBufferedBytes)) {
      // The write may come from inside a handler or a broadcast: the session ends on the next turn.
      this.endSoon(CloseCode.TryAgainLater, 'resume buffer full', 'overflowed');
    }
  }

  /** Writes the held frames that fit within the bounds; the rest wait for acknowledgements. */
  private pump(): void {
    const link = this.link;
    if (link === undefined) return;
    const { maxBufferedMessages, maxBufferedBytes } = this.config;
    const buffer = this.buffer;
    const transport = link.transport;
    while (buffer.nextFits(maxBufferedMessages, maxBufferedBytes)) {
      const frame = buffer.nextFrame();
      const kind = buffer.nextKind();
      if (kind === FrameKind.Data) transport.send(frame as FrameData);
      else if (kind === FrameKind.TextBytes) transport.sendTextBytes(frame as Buffer);
      else transport.sendEncoded(frame as EncodedFrame);
      buffer.markWritten();
    }
    if (this.flushWaiters !== undefined && buffer.written === buffer.count) {
      const waiters = this.flushWaiters;
      this.flushWaiters = undefined;
      for (const callback of waiters) transport.onFlushed(callback);
    }
    this.applyReading();
  }

  /**
   * Frames held for acknowledgements go out only when the client's next `$ack` is read: while
   * any are held the socket keeps reading (messages meanwhile wait in the connection's bounded
   * queue), or both sides would wait for each other. Otherwise it is paced as the connection asks.
   */
  private applyReading(): void {
    const transport = this.link?.transport;
    if (transport === undefined) return;
    const pause = this.readingPaused && this.buffer.heldBytes === 0;
    if (pause === this.socketPaused) return;
    this.socketPaused = pause;
    if (pause) transport.pauseReading();
    else transport.resumeReading();
  }

  private sendAck(): void {
    const link = this.link;
    if (link === undefined) return this.acks.stop();
    const frame = this.acks.frame();
    if (frame !== undefined) link.transport.send(frame);
  }

  private sessionFrame(resumed: boolean, refusal: string | undefined): string {
    const frame: Record<string, unknown> = { [this.dispatcherKey]: SESSION_NAME, token: this.token, resumed };
    if (resumed) frame.ack = this.acks.received;
    else frame.ackEvery = this.acks.every;
    if (refusal !== undefined) frame.reason = refusal;
    return JSON.stringify(frame);
  }

  private endSoon(code: number, reason: string, outcome: SessionLoss | undefined): void {
    this.state = State.Ending;
    setImmediate(() => this.end(code, reason, outcome));
  }

  private end(code: number, reason: string, outcome: SessionLoss | undefined): void {
    if (this.state === State.Ended) return;
    this.state = State.Ended;
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.acks.stop();
    const link = this.link;
    this.link = undefined;
    link?.transport.terminate();
    this.buffer.clear();
    this.releaseFlushWaiters();
    this.owner.sessionEnded(this, outcome);
    this.host.transportClose(code, reason);
  }

  private releaseFlushWaiters(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = undefined;
    if (waiters !== undefined) for (const callback of waiters) callback();
  }
}

/**
 * A socket that closed without a close frame (1006), or that the client dropped as dead (4000,
 * what `@duet/client` sends when it gives up on a silent server), leaves the session waiting.
 * Any other close was asked for by one side, and ends it.
 */
function survives(code: number): boolean {
  return code === CloseCode.AbnormalClosure || code === 4000;
}
