// The `ws` engine: the only server file that imports `ws`. A `WsEngine` completes a service's
// handshakes with one `WebSocketServer` in noServer mode; a `WsTransport` is one accepted
// socket. ws's own frames are bypassed where it is faster and safe (frame-writer.ts), replies
// to one read leave in one write (write-batch.ts), and ws's engine errors become
// `ProtocolError`s carrying their close code. Its listeners are shared by every socket and
// find their transport through a symbol, so accepting a connection makes no closure per event.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { type ServerOptions, WebSocketServer } from 'ws';
import { closeCodeOfEngineError } from '../close-codes';
import { ProtocolError } from '../errors';
import type { FrameData } from '../replies';
import type { EncodedFrame } from './frame-encoding';
import { type ResolvedCompression, deflateSendOptions } from '../compression';
import { answerDeflateOffers } from './deflate-negotiation';
import {
  type DeflateSending,
  SharedDeflater,
  writeCompressible,
  writeCompressibleEncoded,
  writeCompressibleText,
} from './deflate-writer';
import { acceptsDirectFrames, writeEncodedFrame, writeFrame, writeTextBytes } from './frame-writer';
import type { NodeUpgrade } from './node-listener';
import type { EngineOptions, PendingUpgrade, Transport, TransportEngine, TransportHandler } from './transport';
import { WriteBatch } from './write-batch';
import { closeAtOnceAfterCloseHandshake } from './close-at-once';
import { WsHandshake } from './ws-handshake';
import { kTransport, takeReceiverEvents, treatTooManyFragmentsAsTooBig } from './ws-receiver-events';

const OPEN: typeof WebSocket.OPEN = 1;
const CLOSED: typeof WebSocket.CLOSED = 3;
const NOTHING = Buffer.alloc(0);

type LinkedSocket = WebSocket & { [kTransport]: WsTransport };
type LinkedStream = Socket & { [kTransport]: WsTransport };
const kExtraHeaders = Symbol('duet.extraHeaders');
type RequestWithHeaders = IncomingMessage & { [kExtraHeaders]?: Readonly<Record<string, string>> };

/** The handshakes of one service, on ws. */
export class WsEngine implements TransportEngine {
  private readonly server: WebSocketServer;
  /** Completes the handshakes that agree no compression (ws's server does the others). */
  private readonly handshake: WsHandshake;
  private readonly compression: ResolvedCompression | undefined;
  /** How sockets that agreed each answer are written, made at the first socket to agree it. */
  private readonly sendings = new Map<string, DeflateSending>();

  constructor(options: EngineOptions) {
    this.compression = options.compression;
    // `closeTimeout` (ws ≥ 8.18) is not in @types/ws yet.
    const serverOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      clientTracking: false,
      perMessageDeflate: wsDeflateOptions(options.compression),
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      // Pongs are answered by the connection, under the slow-consumer bound like every write.
      autoPong: false,
      // The service's connectionClosureTimeout (ws's own is 30 s).
      closeTimeout: options.closeTimeoutMs,
      // Always given: without it ws would pick the client's first offer even when unsupported.
      handleProtocols: (offered: Set<string>) => options.selectSubProtocol(offered),
    };
    this.server = new WebSocketServer(serverOptions);
    this.handshake = new WsHandshake(this.server, (offered) => options.selectSubProtocol(offered));
    // Only services that add headers to the 101 (@OnUpgrade) listen: a listener costs every handshake.
    if (options.addsHeaders) this.server.on('headers', appendExtraHeaders);
  }

  accept(
    upgrade: PendingUpgrade,
    headers: Readonly<Record<string, string>> | undefined,
    onAccepted: (transport: Transport) => void,
  ): void {
    // A Node listener hands its ws engines only the upgrades its node:http server made.
    const { request, stream, head } = upgrade as NodeUpgrade;
    if (this.compression === undefined) {
      const ws = this.handshake.complete(request, stream, head, headers);
      if (ws !== undefined) onAccepted(new WsTransport(ws, undefined));
      return;
    }
    if (headers !== undefined) (request as RequestWithHeaders)[kExtraHeaders] = headers;
    const sending = this.agree(request);
    this.server.handleUpgrade(request, stream, head, (ws: WebSocket) => onAccepted(new WsTransport(ws, ws.extensions === '' ? undefined : sending)));
  }

  /**
   * Negotiates permessage-deflate for `request` (deflate-negotiation.ts) and leaves ws the
   * answer as the request's only offer, which it accepts unchanged; no acceptable offer leaves
   * it none, so the handshake goes on without the extension instead of ws's 400.
   */
  private agree(request: IncomingMessage): DeflateSending | undefined {
    const config = this.compression!;
    const answer = answerDeflateOffers(request.headers['sec-websocket-extensions'], config);
    request.headers['sec-websocket-extensions'] = answer;
    if (answer === undefined) return undefined;
    let sending = this.sendings.get(answer);
    if (sending === undefined) {
      const windowBits = /server_max_window_bits=(\d+)/.exec(answer);
      const shared = answer.includes('server_no_context_takeover')
        ? new SharedDeflater(config.level, config.memLevel, windowBits === null ? 15 : Number(windowBits[1]))
        : undefined;
      sending = { threshold: config.threshold, shared };
      this.sendings.set(answer, sending);
    }
    return sending;
  }
}

/**
 * ws's permessage-deflate options for a service. The parameters of the agreement are left
 * unset: Duet has negotiated them already (see `agree`), and ws accepts the answer it is given.
 */
function wsDeflateOptions(compression: ResolvedCompression | undefined): false | object {
  if (compression === undefined) return false;
  return {
    threshold: compression.threshold,
    concurrencyLimit: compression.concurrencyLimit,
    zlibDeflateOptions: { level: compression.level, memLevel: compression.memLevel },
  };
}

function appendExtraHeaders(headers: string[], request: IncomingMessage): void {
  const extra = (request as RequestWithHeaders)[kExtraHeaders];
  if (extra === undefined) return;
  for (const name of Object.keys(extra)) headers.push(`${name}: ${extra[name]}`);
}

/** One accepted ws socket. */
export class WsTransport implements Transport {
  private handler: TransportHandler | undefined;
  /** Frames may be handed to ws's sender whole (see frame-writer). */
  private readonly direct: boolean;
  /** ws's TCP (or TLS) socket: for reads, corking and write-completion callbacks. */
  private readonly stream: Socket;
  /**
   * Replies to the messages of one read leave in one write (see write-batch). Made at the first
   * message, so an idle connection holds none; `null` when the installed ws does not allow it
   * or the socket compresses.
   */
  private batch: WriteBatch | null | undefined;

  /**
   * @param deflate how to write when permessage-deflate was agreed (undefined: not agreed, and
   *     every write takes the uncompressed paths).
   */
  constructor(
    private readonly socket: WebSocket,
    private readonly deflate: DeflateSending | undefined,
  ) {
    this.direct = acceptsDirectFrames(socket);
    this.stream = (socket as unknown as { _socket: Socket })._socket;
    closeAtOnceAfterCloseHandshake(this.stream, socket);
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  get isClosed(): boolean {
    return this.socket.readyState === CLOSED;
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  get extensions(): string {
    return this.socket.extensions;
  }

  attach(handler: TransportHandler, watchActivity: boolean): void {
    this.handler = handler;
    const socket = this.socket as LinkedSocket;
    socket[kTransport] = this;
    socket.on('message', onSocketMessage);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    const receiver = (socket as unknown as { _receiver: Socket | null })._receiver;
    if (receiver === null || !takeReceiverEvents(receiver, socket)) {
      socket.on('ping', onSocketPing);
      socket.on('pong', onSocketPong);
      receiver?.prependListener('error', treatTooManyFragmentsAsTooBig);
    }
    if (watchActivity) {
      // ws reports only whole messages and control frames; any bytes show the peer is there.
      (this.stream as LinkedStream)[kTransport] = this;
      this.stream.on('data', onStreamData);
    }
  }

  backlog(maxHeld: number): number {
    const batch = this.batch;
    if (batch === undefined || batch === null) return this.socket.bufferedAmount;
    let held = batch.held();
    if (held > maxHeld) {
      batch.flush();
      held = 0;
    }
    return this.socket.bufferedAmount - held;
  }

  send(data: FrameData): void {
    if (this.deflate === undefined) writeFrame(this.socket, data, this.direct);
    else writeCompressible(this.socket, data, this.deflate);
  }

  sendTextBytes(bytes: Buffer): void {
    if (this.deflate === undefined) writeTextBytes(this.socket, bytes, this.direct);
    else writeCompressibleText(this.socket, bytes, this.deflate);
  }

  sendEncoded(frame: EncodedFrame): void {
    if (this.deflate === undefined) writeEncodedFrame(this.socket, frame, this.direct);
    else writeCompressibleEncoded(this.socket, frame, this.deflate);
  }

  sendAndFlush(data: FrameData): Promise<boolean> {
    if (this.deflate !== undefined) {
      const options = deflateSendOptions(data, this.deflate.threshold);
      return new Promise((resolve) => this.socket.send(data, options, (error) => resolve(error === undefined || error === null)));
    }
    return new Promise((resolve) => this.socket.send(data, (error) => resolve(error === undefined || error === null)));
  }

  ping(data?: FrameData): void {
    this.socket.ping(data);
  }

  pong(data?: FrameData): void {
    this.socket.pong(data);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  onFlushed(callback: () => void): void {
    // An empty write's callback runs once every write before it was accepted: nothing goes on
    // the wire for the wait (a ping would, and the peer's pong would reach @OnPong).
    if (this.stream.destroyed) process.nextTick(callback);
    else this.stream.write(NOTHING, callback);
  }

  /** A message from ws: replies to the messages of one read are held for one write. */
  receive(data: Buffer, isBinary: boolean): void {
    let batch = this.batch;
    // A compressing socket's replies are written later, by ws's deflater: holding the socket
    // for the read would hold nothing back, and costs a cork, an uncork and a tick per read.
    if (batch === undefined) batch = this.batch = (this.deflate === undefined ? WriteBatch.of(this.socket) : undefined) ?? null;
    if (batch !== null) batch.messageStarts();
    this.handler!.transportMessage(data, isBinary);
    if (batch !== null) batch.messageEnds();
  }

  /** An engine error: the peer broke the protocol; ws closes the connection itself. */
  fail(error: Error & { code?: string }): void {
    this.handler!.transportError(new ProtocolError(error.message, closeCodeOfEngineError(error), error.code));
  }

  get events(): TransportHandler {
    return this.handler!;
  }
}

function onSocketMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as LinkedSocket)[kTransport].receive(data, isBinary);
}

function onSocketPing(this: WebSocket, data: Buffer): void {
  (this as LinkedSocket)[kTransport].events.transportPing(data);
}

function onSocketPong(this: WebSocket, data: Buffer): void {
  (this as LinkedSocket)[kTransport].events.transportPong(data);
}

function onSocketError(this: WebSocket, error: Error): void {
  (this as LinkedSocket)[kTransport].fail(error);
}

function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as LinkedSocket)[kTransport].events.transportClose(code, reason.toString());
}

function onStreamData(this: Socket): void {
  (this as LinkedStream)[kTransport].events.transportActivity();
}
