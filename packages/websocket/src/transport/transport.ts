// The boundary between Duet's connections and the engine that carries their frames: what a
// connection asks of one accepted socket (`Transport`), what the socket reports back
// (`TransportHandler`), and what a service endpoint asks of the engine that completes
// handshakes (`TransportEngine`), and what a listener asks of the server that receives its
// upgrades (`PendingUpgrade`, `ListenerServer`). `ws` on Node (ws-transport.ts, node-listener.ts)
// and Bun's native server (bun-transport.ts, bun-listener.ts) are the engines; nothing outside
// this folder knows which one runs.
import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import type { ResolvedCompression } from '../compression';
import type { ProtocolError } from '../errors';
import type { ProtocolVersions } from '../handshake-check';
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
  /**
   * This socket in its server's topics, when the engine fans a broadcast out itself (Bun's
   * pub/sub). Absent on ws, whose broadcasts are framed once and written to each socket, and on
   * a resumable session, whose every message must pass through its buffer.
   */
  readonly topics?: TopicSocket | undefined;
}

/**
 * A server that sends one message to all its sockets subscribed to a topic itself, in the
 * engine (Bun's `server.publish`: uWebSockets fans it out in C++), instead of Duet writing to
 * each socket.
 */
export interface TopicServer {
  /**
   * Sends `frame` to every socket of this server subscribed to `topic`, but `except` (one of
   * them). True when the engine reports data left behind for some subscriber (backpressure):
   * which ones it does not say, so each is asked at its next look (`publishPressed`).
   */
  publish(topic: string, frame: EncodedFrame, except: TopicSocket | undefined): boolean;
}

/** A socket reached through its server's topics. */
export interface TopicSocket {
  readonly server: TopicServer;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** A publish it took part in reported backpressure: from now its backlog is asked of the engine. */
  publishPressed(): void;
}

/** What a transport reports to its connection; one shared set of methods, no closure per event. */
export interface TransportHandler {
  transportMessage(data: Buffer, isBinary: boolean): void;
  /** A text message an engine already holds as a string (Bun): no bytes made only to be decoded again. */
  transportText(text: string): void;
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
  /** How long a close waits for the peer's close frame before the socket is ended (ms). */
  readonly closeTimeoutMs: number;
  /** permessage-deflate, when the service offers it. */
  readonly compression: ResolvedCompression | undefined;
}

/** An engine completing the handshakes of one service. */
export interface TransportEngine {
  /**
   * Completes the opening handshake of `upgrade` (with `headers` added to the 101) and hands
   * over the transport. A listener gives its engines only the upgrades its own server made.
   */
  accept(
    upgrade: PendingUpgrade,
    headers: Readonly<Record<string, string>> | undefined,
    onAccepted: (transport: Transport) => void,
  ): void;
}

/** The peer's side of the connection an upgrade arrived on, as `UpgradeRequest` reads it. */
export interface PeerSocket {
  readonly remoteAddress?: string | undefined;
  /** True on TLS. */
  readonly encrypted?: boolean;
  getPeerCertificate?(): PeerCertificate | object;
}

/** What an upgrade request says, whichever server received it (node:http's IncomingMessage fits). */
export interface UpgradeSource {
  readonly method?: string | undefined;
  /** The request target: path and query, as sent. */
  readonly url?: string | undefined;
  /** Lower-case names; repeated headers joined as node:http joins them. */
  readonly headers: IncomingHttpHeaders;
  readonly socket: PeerSocket;
  /**
   * `headers` was made for this request alone (Bun's engine builds it from the fetch `Request`),
   * so a connection may keep it in a compact form; node:http's object belongs to its request.
   */
  readonly ownHeaders?: boolean;
}

/**
 * One upgrade request waiting for its answer: the upgrade line (listener.ts, then
 * service-endpoint.ts) reads it and answers it exactly once, by `refuse` or through the
 * service's `TransportEngine`.
 */
export interface PendingUpgrade extends UpgradeSource {
  readonly method: string;
  readonly url: string;
  /** The client has gone, or the request was answered: nothing more can be sent. */
  readonly gone: boolean;
  /** A TLS client presented a certificate that did not verify (mutual TLS, 'optional'). */
  readonly untrustedCertificate: boolean;
  /** On an app's shared server another upgrade handler may own a path no service serves: leave it. */
  readonly othersMayServe: boolean;
  /**
   * Calls `onLeft` once if the client leaves before the answer; returns what stops watching.
   * Until then the engine's errors on the request (a client that left) are absorbed.
   */
  watchClient(onLeft: () => void): () => void;
  /**
   * Calls `callback` once, when this request's connection is over: it was refused, its client
   * left, or, once upgraded, its WebSocket closed (the listener's `maxConnectionsPerIp` count).
   */
  onEnded(callback: () => void): void;
  /** Answers with an HTTP error (plain-text `body`, `headers` that are safe to send). */
  refuse(status: number, body?: string, headers?: Readonly<Record<string, string>>): void;
}

/** What a listener's server reports to the upgrade line. */
export interface UpgradeLine {
  readonly name: string;
  /** Runs the upgrade line on a request for a WebSocket. */
  upgrade(upgrade: PendingUpgrade): void;
  /** The answer to a plain HTTP request for `url` that no app took: 426 on a service path, else 404. */
  plainRequestStatus(url: string): 404 | 426;
}

/** The server of one listener: binds its port, receives its upgrades and plain requests. */
export interface ListenerServer {
  /** Binds the port; rejects with the engine's error when it cannot. */
  listen(): Promise<void>;
  /** The bound port (the real one for port 0), or the configured one before `listen`. */
  readonly port: number;
  /** The engine completing the handshakes of one service on this server. */
  engineFor(options: EngineOptions): TransportEngine;
  /** The WebSocket protocol versions its engine speaks. */
  readonly versions: ProtocolVersions;
  /** Takes no more upgrades or requests; resolves once the port is closed. */
  stopAccepting(): Promise<void>;
  /** Ends every connection still open (after the graceful close had its time). */
  closeAll(): void;
}
