// The boundary between Duet's connections and the engine that carries their frames: what a
// connection asks of one accepted socket (`Transport`), what the socket reports back
// (`TransportHandler`), and what a service endpoint asks of the engine that completes
// handshakes (`TransportEngine`). `ws` on Node is one engine (ws-transport.ts); nothing outside
// this folder knows which one runs.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProtocolError } from '../errors';
import type { FrameData } from '../replies';
import type { EncodedFrame } from './frame-encoding';

/** One accepted WebSocket, as a connection uses it. */
export interface Transport {
  /** Frames may be sent: the close handshake has not begun. */
  readonly isOpen: boolean;
  /** The socket has closed. */
  readonly isClosed: boolean;
  /** The negotiated sub-protocol, '' when none. */
  readonly protocol: string;
  /** The negotiated extensions, '' when none. */
  readonly extensions: string;
  /** Starts reporting to `handler`; `watchActivity`: also report every read (for idleTimeout). */
  attach(handler: TransportHandler, watchActivity: boolean): void;
  /**
   * What the peer has not taken yet: bytes the kernel has not accepted, without the replies
   * held back to leave in one batched write. A batch held past `maxHeld` bytes is written out
   * first, so it never hides more than that.
   */
  backlog(maxHeld: number): number;
  /** A string as a text frame, bytes as a binary frame. */
  send(data: FrameData): void;
  /** A text message's bytes as they were received (valid UTF-8), sent back without encoding again. */
  sendTextBytes(bytes: Buffer): void;
  /** A message framed once for many sockets (a broadcast). */
  sendEncoded(frame: EncodedFrame): void;
  /** Sends and resolves once it (and everything before it) reached the kernel: true, or false when the socket failed. */
  sendAndFlush(data: FrameData): Promise<boolean>;
  ping(data?: FrameData): void;
  pong(data?: FrameData): void;
  /** Starts the close handshake. */
  close(code: number, reason: string): void;
  /** Ends the TCP connection at once. */
  terminate(): void;
  /** Stops reading from the peer: TCP then holds it back. */
  pauseReading(): void;
  resumeReading(): void;
  /** Calls `callback` once every byte sent so far was accepted by the kernel, or the socket is gone. */
  onFlushed(callback: () => void): void;
}

/** What a transport reports to its connection; one shared set of methods, no closure per event. */
export interface TransportHandler {
  transportMessage(data: Buffer, isBinary: boolean): void;
  transportPing(data: Buffer): void;
  transportPong(data: Buffer): void;
  /** Bytes arrived from the peer (any frame, a continuation fragment included); only when watched. */
  transportActivity(): void;
  /** A protocol error of the peer; the engine closes the connection itself (with `closeCode`). */
  transportError(error: ProtocolError): void;
  transportClose(code: number, reason: string): void;
}

/** What a service asks of the engine that completes its handshakes. */
export interface EngineOptions {
  /** The largest message accepted (bytes); a larger one closes with 1009. */
  readonly maxPayload: number;
  /** Fragments one message may arrive in; more close with 1009. */
  readonly maxFragments: number;
  /** The sub-protocol to agree to among the client's offers, or false for none. */
  selectSubProtocol(offered: ReadonlySet<string>): string | false;
  /** Whether `accept` may be given headers to add to the 101. */
  readonly addsHeaders: boolean;
}

/** An engine completing the handshakes of one service. */
export interface TransportEngine {
  /** Completes the opening handshake of `request` (with `headers` added to the 101) and hands over the transport. */
  accept(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    headers: Readonly<Record<string, string>> | undefined,
    onAccepted: (transport: Transport) => void,
  ): void;
}
