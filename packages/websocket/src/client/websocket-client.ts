// `WebSocketClient`: Duet's client. One straight line per message in each direction:
//   socket 'message' → onSocketMessage → MessageQueue.push → a read;
//   write → PendingWrites.add → socket.send → the shared write callback settles the write.
// Connection attempts and reconnects go through reconnection.ts; the socket's listeners are shared
// static functions that find their client through a symbol link, so nothing is allocated
// per message beyond the message itself.
import { deflateSendOptions } from '../compression';
import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { ConnectionClosedError, InvalidArgumentError } from '../errors';
import type { InferOutput, StandardSchemaV1 } from '../messages/standard-schema';
import { readFrom } from './typed-read';
import { type HttpHeaders, type ResolvedClientConfig, type WebSocketClientConfig, resolveClientConfig } from './client-config';
import { openSocket } from './client-handshake';
import { Attributes, type BinaryData, checkCloseArguments, checkControlPayload, isBinaryData, toJsonFrame } from '../frames';
import { type Message, MessageQueue, ReadKind } from './message-queue';
import { CloseWaiters } from './close-waiters';
import { PendingWrites } from './pending-writes';
import { PingPongHooks } from './ping-pong-hooks';
import { protocolFailure } from './protocol-failure';
import { Reconnection } from './reconnection';
import { PendingRefreshes } from './token-refresh';

const OPEN: typeof WebSocket.OPEN = 1;
const CLOSING: typeof WebSocket.CLOSING = 2;
const CLOSED: typeof WebSocket.CLOSED = 3;
const kClient = Symbol('duet.client');
type LinkedSocket = WebSocket & { [kClient]: WebSocketClient };

/**
 * A WebSocket client for `ws://` and `wss://` services, Duet's or anyone's.
 *
 * Received messages are queued in arrival order (up to `maxQueuedMessages`/`maxQueuedBytes`,
 * then the socket is paused so TCP holds the sender back) and each goes to exactly one read.
 *
 * @example
 * ```ts
 * const client = await WebSocketClient.connect('ws://localhost:8080/ws', { readTimeout: 10 });
 * await client.writeTextMessage('Hello!');
 * console.log(await client.readTextMessage());
 * for await (const message of client) console.log(message); // ends when the connection closes
 * ```
 */
export class WebSocketClient implements AsyncIterable<string | Buffer> {
  private socket: WebSocket | undefined;
  private writes: PendingWrites | undefined;
  private headers: HttpHeaders = {};
  private connectionId = '';
  private readonly queue: MessageQueue;
  private readonly attributes = new Attributes();
  private closeCode: number | undefined;
  private closeReason = '';
  /** Set once the client is closed for good: what reads and writes reject with. */
  private endError: Error | undefined;
  private readonly reconnection: Reconnection;
  private closeRequested = false;
  private readonly closeWaiters = new CloseWaiters();
  private readonly closedError = (): Error =>
    this.endError ?? new ConnectionClosedError(this.closeCode, this.closeReason);
  private readonly hooks: PingPongHooks | undefined;
  /** Made at the first `refreshToken`: until then no frame is looked at for an answer. */
  private refreshes: PendingRefreshes | undefined;

  private constructor(private readonly config: ResolvedClientConfig) {
    this.queue = new MessageQueue(config.maxQueuedMessages, config.maxQueuedBytes, config.readTimeout);
    if (config.pingPongHandler !== undefined) this.hooks = new PingPongHooks(this, config.pingPongHandler);
    this.reconnection = new Reconnection(config.retry, (signal) => openSocket(config, signal, (socket, headers) => this.adopt(socket, headers)));
  }

  /**
   * Opens a connection to `url` (`ws://` or `wss://`). Rejects with `ClientConfigError` for a
   * bad configuration, `HandshakeError` when the server refuses, `TlsError`, `ConnectError`,
   * or — with `retryConfig`, once every retry failed — `RetryExhaustedError`.
   */
  static async connect(url: string | URL, config?: WebSocketClientConfig): Promise<WebSocketClient> {
    const client = new WebSocketClient(resolveClientConfig(url, config));
    await client.reconnection.connect();
    return client;
  }

  /** Sends a text frame; resolves once it is handed to the operating system. */
  writeTextMessage(text: string): Promise<void> {
    if (typeof text !== 'string') return Promise.reject(new InvalidArgumentError(`writeTextMessage takes a string, got ${typeof text}`));
    return this.send(text);
  }

  /** Sends a binary frame; resolves once it is handed to the operating system. */
  writeBinaryMessage(data: BinaryData): Promise<void> {
    if (!isBinaryData(data)) {
      return Promise.reject(new InvalidArgumentError('writeBinaryMessage takes a Buffer, Uint8Array or ArrayBuffer'));
    }
    return this.send(data);
  }

  /** Sends a string as text, bytes as binary, and any other value as JSON text. */
  writeMessage(value: unknown): Promise<void> {
    if (typeof value === 'string' || isBinaryData(value)) return this.send(value);
    if (value === undefined) return Promise.reject(new InvalidArgumentError('writeMessage has nothing to send'));
    let json: string;
    try {
      json = toJsonFrame(value, "writeMessage's value");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(json);
  }

  /** The next message, which must be text; a binary one rejects with `MessageTypeError` and stays queued. */
  readTextMessage(): Promise<string> {
    return this.queue.read(ReadKind.Text) as Promise<string>;
  }

  /** The next message, which must be binary; a text one rejects with `MessageTypeError` and stays queued. */
  readBinaryMessage(): Promise<Buffer> {
    return this.queue.read(ReadKind.Binary) as Promise<Buffer>;
  }

  /**
   * The next message: a string for text, a Buffer for binary. Waits up to `readTimeout`
   * (then `ReadTimeoutError`; the connection stays usable). Once the connection is closed and
   * the queue is empty it rejects with `ConnectionClosedError` (code and reason of the close),
   * or with `RetryExhaustedError` when reconnecting after a drop gave up.
   */
  readMessage(): Promise<string | Buffer>;
  /**
   * The next message, which must be JSON text that `schema` (Standard Schema v1: zod, valibot,
   * arktype…) accepts: resolves with the schema's output. A message that is not JSON or that the
   * schema refuses is taken and rejects with `MessageValidationError` (its `issues` say why); the
   * connection stays usable. A binary message rejects with `MessageTypeError` and stays queued.
   */
  readMessage<Schema extends StandardSchemaV1>(options: { schema: Schema }): Promise<InferOutput<Schema>>;
  readMessage(options?: { schema: StandardSchemaV1 }): Promise<unknown> {
    return readFrom(this.queue, options);
  }

  /** Sends a ping (at most 125 bytes of data). */
  ping(data?: BinaryData | string): Promise<void> {
    return this.control(true, data);
  }

  /** Sends an unsolicited pong, or the answer to a ping when `onPing` is set (at most 125 bytes). */
  pong(data?: BinaryData | string): Promise<void> {
    return this.control(false, data);
  }

  /**
   * Starts the close handshake and resolves when it completes; after `timeoutSeconds` without
   * the server's answer the socket is terminated (the `ws` engine also ends a close that has
   * waited 30 s, so longer timeouts act as 30 s). Resolves at once when already closed.
   * Messages that arrived before the close can still be read. A `timeoutSeconds` that is not
   * finite, negative or over 2^31-1 ms rejects with `InvalidArgumentError` and closes nothing.
   */
  close(statusCode = 1000, reason = '', timeoutSeconds = 60): Promise<void> {
    const invalid = checkCloseArguments(statusCode, reason, timeoutSeconds);
    if (invalid !== undefined) return Promise.reject(invalid);
    if (this.endError !== undefined) return Promise.resolve();
    this.closeRequested = true;
    const socket = this.socket;
    if (socket !== undefined && socket.readyState !== CLOSED) {
      // A full queue pauses the socket; the server's close frame is behind the data, so read on.
      this.queue.setFlow(undefined);
      socket.resume();
      const closed = this.closeWaiters.wait(socket, timeoutSeconds);
      if (socket.readyState === OPEN) socket.close(statusCode, reason);
      return closed;
    }
    if (this.reconnection.pending !== undefined) return this.reconnection.abort(new ConnectionClosedError(this.closeCode, this.closeReason));
    return Promise.resolve();
  }

  /**
   * Sends a new token for this connection to a Duet service with `auth` and resolves once the
   * server took it (docs/client.md); the answer never reaches the reads. Rejects with
   * `TokenRefusedError` (`remoteCode`; the connection goes on), `ReadTimeoutError` (no answer in
   * `timeout` seconds, default 10), `ConnectionClosedError` (another principal's token: 1008).
   */
  refreshToken(token: string, options: { dispatcherKey?: string; timeout?: number } = {}): Promise<void> {
    return (this.refreshes ??= new PendingRefreshes()).refresh(token, options, (frame) => this.send(frame));
  }

  /** The sub-protocol the server selected, if any. */
  getNegotiatedSubProtocol(): string | undefined {
    return this.socket?.protocol || undefined;
  }

  /** A unique id of the current connection (a reconnect gets a new one). */
  getConnectionId(): string {
    return this.connectionId;
  }

  /** True while the connection is open (false during a close and while reconnecting). */
  isOpen(): boolean {
    return this.socket !== undefined && this.socket.readyState === OPEN;
  }

  /** True for a `wss://` connection. */
  isSecure(): boolean {
    return this.config.secure;
  }

  /** The headers of the server's handshake response (names in lower case). */
  getHttpResponseHeaders(): HttpHeaders {
    return this.headers;
  }

  /** Keeps an application value on the client. */
  setAttribute(key: string, value: unknown): void {
    this.attributes.set(key, value);
  }

  /** A value stored with `setAttribute`. */
  getAttribute<T = unknown>(key: string): T | undefined {
    return this.attributes.get<T>(key);
  }

  /** Forgets a value stored with `setAttribute`. */
  removeAttribute(key: string): void {
    this.attributes.remove(key);
  }

  /**
   * Yields each message as `readMessage()` would, and ends without an error once the
   * connection has closed and the queue is empty. Other errors still end it by throwing: a
   * `ReadTimeoutError` when `readTimeout` is set, a `RetryExhaustedError` when reconnecting
   * gave up. Leaving the loop does not close the client.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<string | Buffer, void, undefined> {
    for (;;) {
      let message: Message;
      try {
        message = await this.queue.read(ReadKind.Any);
      } catch (error) {
        if (error instanceof ConnectionClosedError) return;
        throw error;
      }
      yield message;
    }
  }

  // --- sending ------------------------------------------------------------------------------

  private send(data: string | BinaryData): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== OPEN) return this.notOpen(() => this.send(data));
    const writes = this.writes as PendingWrites;
    const written = writes.add();
    const compression = this.config.compression;
    if (compression === undefined || socket.extensions === '') socket.send(data, writes.onWritten);
    else socket.send(data, deflateSendOptions(data, compression.threshold), writes.onWritten);
    return written;
  }

  private control(isPing: boolean, data: BinaryData | string | undefined): Promise<void> {
    const invalid = checkControlPayload(isPing ? 'ping' : 'pong', data);
    if (invalid !== undefined) return Promise.reject(invalid);
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== OPEN) return this.notOpen(() => this.control(isPing, data));
    const writes = this.writes as PendingWrites;
    const written = writes.add();
    if (isPing) socket.ping(data, undefined, writes.onWritten);
    else socket.pong(data, undefined, writes.onWritten);
    return written;
  }

  // While reconnecting, a write waits for the new connection; otherwise it fails. Between the
  // close handshake and the socket's close (the server may close TCP at once, before this
  // client has read its FIN) whether a reconnect follows is not known yet: it is at the close.
  private notOpen(retry: () => Promise<void>): Promise<void> {
    const reconnecting = this.reconnection.pending;
    if (reconnecting !== undefined) return reconnecting.then(retry);
    const socket = this.socket;
    if (socket !== undefined && socket.readyState === CLOSING) {
      return new Promise<void>((closed) => socket.once('close', () => closed())).then(() => this.notOpen(retry));
    }
    return Promise.reject(this.closedError());
  }

  // --- the socket's life --------------------------------------------------------------------

  private adopt(socket: WebSocket, headers: HttpHeaders): void {
    this.socket = socket;
    this.reconnection.opened();
    this.headers = headers;
    this.connectionId = randomUUID();
    this.closeCode = undefined;
    this.closeReason = '';
    this.writes = new PendingWrites(this.config.writeTimeout, this.closedError);
    (socket as LinkedSocket)[kClient] = this;
    socket.on('message', WebSocketClient.onSocketMessage);
    socket.on('close', WebSocketClient.onSocketClose);
    socket.on('error', WebSocketClient.onSocketError);
    const hooks = this.config.pingPongHandler;
    if (hooks?.onPing !== undefined) socket.on('ping', WebSocketClient.onSocketPing);
    if (hooks?.onPong !== undefined) socket.on('pong', WebSocketClient.onSocketPong);
    this.queue.setFlow(socket);
  }

  private static onSocketMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
    const client = (this as LinkedSocket)[kClient];
    if (!isBinary && client.refreshes?.takes(data) === true) return;
    client.queue.push(isBinary ? data : data.toString());
  }

  // A protocol error of the server ends the client at once; any other error is followed by
  // 'close', which carries the close code reads report.
  private static onSocketError(this: WebSocket, error: Error): void {
    const client = (this as LinkedSocket)[kClient];
    const failure = protocolFailure(error, client.config.maxFrameSize);
    if (failure !== undefined) client.failed(failure);
  }

  private static onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
    (this as LinkedSocket)[kClient].socketClosed(code, reason.toString());
  }

  private static onSocketPing(this: WebSocket, data: Buffer): void {
    (this as LinkedSocket)[kClient].hooks!.ping(data);
  }

  private static onSocketPong(this: WebSocket, data: Buffer): void {
    (this as LinkedSocket)[kClient].hooks!.pong(data);
  }

  /**
   * The server broke the protocol: `ws` has sent the close frame with `failure.statusCode` and
   * ends the socket itself. Reads and writes reject now, not when the server gets round to
   * closing, and a connection that fails this way is not reconnected: it would fail again.
   */
  private failed(failure: ConnectionClosedError): void {
    if (this.endError !== undefined) return;
    this.closeCode = failure.statusCode;
    this.closeReason = failure.reason;
    this.queue.setFlow(undefined);
    this.writes?.fail(failure);
    this.refreshes?.failAll(failure);
    this.finish(failure);
  }

  private socketClosed(code: number, reason: string): void {
    if (this.endError !== undefined) return; // already reported (a protocol error)
    this.closeCode = code;
    this.closeReason = reason;
    this.queue.setFlow(undefined);
    const closed = new ConnectionClosedError(code, reason);
    this.writes?.fail(closed);
    this.refreshes?.failAll(closed);
    if (!this.closeRequested && this.reconnection.afterClose(code, closed, this.gaveUp)) {
      this.socket = undefined;
      return;
    }
    this.finish(closed);
  }

  private readonly gaveUp = (error: Error): void => this.finish(error);

  private finish(error: Error): void {
    this.endError = error;
    this.queue.end(error);
    this.closeWaiters.release();
  }
}

