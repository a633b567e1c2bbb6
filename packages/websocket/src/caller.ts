// `Caller`: what a handler holds to talk back to its connection. One per connection, made when
// first needed (an idle connection whose handlers never ran holds none). Writes resolve once
// the frame is handed to the socket; on a connection that is not open they reject with
// ConnectionClosedError.
import type { AnyContract, EventName } from '@duet/contract';
import { WriteOutcome } from './backpressure';
import { ConnectionClosedError, InvalidArgumentError } from './errors';
import { Attributes, type BinaryData, checkCloseArguments, checkControlPayload, isBinaryData } from './frames';
import { type EventPayload, eventText } from './messages/events';
import { HandlerEvent } from './metadata';
import type { PathParams } from './path-matcher';
import { type FrameData, toFrameData } from './replies';
import type { Outbound } from './outbound';
import type { Transport } from './transport/transport';
import type { ResolvedServiceConfig } from './service-config';
import type { Principal, UpgradeRequest } from './upgrade-request';

// Writes hand the frame to the socket synchronously, so one settled promise can be shared.
// Every write resolves to `undefined` — handed over, or dropped under slowConsumerPolicy
// 'drop' (counted in `registry.stats().droppedMessages` and told to observers'
// `messageDropped`): a handler that returns a write's promise must not have its resolved
// value sent back as a reply.
const HANDED_TO_SOCKET: Promise<void> = Promise.resolve();

/** The connection-side operations a `Caller` needs; implemented by the connection. */
export interface CallerLink {
  readonly transport: Transport;
  /** Every write, under the slow-consumer policy. */
  readonly outbound: Outbound;
  join(room: string): void;
  leave(room: string): void;
  /** Tracks (`tracked`) or untracks its presence in `room`. */
  presence(room: string, meta: unknown, tracked: boolean): void;
  rooms(): ReadonlySet<string>;
  /** Close code and reason once the connection has closed. */
  readonly closeCode: number | undefined;
  readonly closeReason: string;
  closeWithin(statusCode: number, reason: string, timeoutMs: number): Promise<void>;
  stopStream(id: unknown): boolean;
  /** Its service's configuration: the contract (for `emit`), `connectionClosureTimeout` (for `close`). */
  readonly config: ResolvedServiceConfig;
  readonly connectionId: string;
  /** The upgrade request the connection came from. */
  readonly request: UpgradeRequest;
}


/**
 * What a handler holds to talk back to its connection. Typed by the service's contract when
 * declared as `Caller<typeof contract>`: `emit` then takes only its events and their fields.
 */
export class Caller<K extends AnyContract = AnyContract> {
  /** Made at the first `setAttribute`: a connection that stores nothing allocates nothing. */
  private attributes: Attributes | undefined;

  /** @internal Made by the connection, when first asked for. */
  constructor(private readonly link: CallerLink) {}

  /** The upgrade request this connection came from. */
  get request(): UpgradeRequest {
    return this.link.request;
  }

  /** Path parameters of the upgrade request (`/chat/:room` → `{ room }`). */
  get params(): PathParams {
    return this.link.request.params;
  }

  /** Who authentication accepted, when the service has `auth`. */
  get principal(): Principal | undefined {
    return this.link.request.principal;
  }

  /**
   * Sends a text frame. Resolves once the frame is handed to the socket; rejects with
   * ConnectionClosedError when the connection is not open. Under `slowConsumerPolicy: 'drop'`
   * a write that was dropped resolves too (drops are counted in `registry.stats()` and told to
   * observers' `messageDropped`), so a handler may return the promise.
   */
  writeTextMessage(text: string): Promise<void> {
    if (typeof text !== 'string') {
      return Promise.reject(new InvalidArgumentError(`writeTextMessage takes a string, got ${typeof text}`));
    }
    return this.send(text);
  }

  /** Sends a binary frame; resolves as `writeTextMessage` does. */
  writeBinaryMessage(data: BinaryData): Promise<void> {
    if (!isBinaryData(data)) {
      return Promise.reject(
        new InvalidArgumentError('writeBinaryMessage takes a Buffer, Uint8Array or ArrayBuffer'),
      );
    }
    return this.send(data);
  }

  /**
   * Sends a ping (at most 125 bytes of data). Control frames count against `maxBufferedBytes`
   * and never wait: past it a ping is dropped (and counted), or under 'close' the
   * connection closes with 1013.
   */
  ping(data?: BinaryData | string): Promise<void> {
    const invalid = checkControlPayload('ping', data);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.settle(this.link.outbound.writeControl(HandlerEvent.Ping, data));
  }

  /** Sends a pong (at most 125 bytes of data), under the same bound as `ping`. */
  pong(data?: BinaryData | string): Promise<void> {
    const invalid = checkControlPayload('pong', data);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.settle(this.link.outbound.writeControl(HandlerEvent.Pong, data));
  }

  /**
   * Starts the close handshake and resolves when it completes; after `timeoutSeconds` (default:
   * the service's `connectionClosureTimeout`) without the peer's answer the socket is terminated
   * and the promise resolves all the same. The `ws` engine ends every close after
   * `connectionClosureTimeout`, so a longer `timeoutSeconds` acts as that. On a connection that
   * is already closed it resolves at once.
   */
  close(statusCode = 1000, reason = '', timeoutSeconds: number = this.link.config.connectionClosureTimeout): Promise<void> {
    const invalid = checkCloseArguments(statusCode, reason, timeoutSeconds);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.link.closeWithin(statusCode, reason, timeoutSeconds * 1000);
  }

  /**
   * Ends this connection's running reply stream of `id` (the `dispatcherStreamId` value of the
   * message that started it); its iterator's `return()` runs. False when no such stream runs.
   */
  stopStream(id: unknown): boolean {
    return this.link.stopStream(id);
  }

  /** The sub-protocol selected at the handshake, if any. */
  getNegotiatedSubProtocol(): string | undefined {
    return this.link.transport.protocol || undefined;
  }

  /** A unique id for this connection. */
  getConnectionId(): string {
    return this.link.connectionId;
  }

  /** True until a close has begun (from either side). */
  isOpen(): boolean {
    return this.link.transport.isOpen;
  }

  /** True on a TLS (`wss`) connection. */
  isSecure(): boolean {
    return this.link.request.secure;
  }

  setAttribute(key: string, value: unknown): void {
    (this.attributes ??= new Attributes()).set(key, value);
  }

  getAttribute<T = unknown>(key: string): T | undefined {
    return this.attributes?.get<T>(key);
  }

  removeAttribute(key: string): void {
    this.attributes?.remove(key);
  }

  /** A string as text, bytes as binary, anything else as JSON text. */
  writeMessage(value: unknown): Promise<void> {
    if (value === undefined) return Promise.reject(new InvalidArgumentError('writeMessage has nothing to send'));
    let data: FrameData;
    try {
      data = toFrameData(value);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(data);
  }

  /** Joins a room (at once): `registry.to(room)` broadcasts reach this connection. Left on close. */
  join(room: string): void {
    this.link.join(room);
  }

  /** Leaves a room (at once), and stops being tracked there. */
  leave(room: string): void {
    this.link.leave(room);
  }

  /**
   * Joins `room` and tracks this connection's presence there, over the cluster:
   * `registry.presence(room)` lists it, `registry.onPresence(room)` listeners hear the join (and
   * later the leave: `untrack`, `leave` or the close), under its key (the principal's `name`
   * when authenticated, else the connection id). `meta` is a plain JSON object (it travels to
   * every node); tracking again replaces it (a leave and a join). Throws
   * `InvalidArgumentError` for a room that is not a string or a meta that is not plain JSON.
   *
   * @example
   * caller.track('lobby', { status: 'online' });
   */
  track(room: string, meta?: Record<string, unknown>): void {
    this.link.presence(room, meta, true);
  }

  /** Stops tracking this connection's presence in `room`; it stays in the room. */
  untrack(room: string): void {
    this.link.presence(room, undefined, false);
  }

  /** The rooms this connection is in. */
  rooms(): ReadonlySet<string> {
    return this.link.rooms();
  }

  /**
   * Sends a contract event: `{ [dispatcherKey]: event, ...data }`, which `@duet/client` hands to
   * `client.on(event)`. Rejects with `InvalidArgumentError` for an event the contract does not
   * declare (or a service without a contract) and for data that is not a plain object.
   *
   * @example
   * await caller.emit('said', { from: 'ada', text: 'hi' });
   */
  emit<E extends EventName<K>>(event: E, data: EventPayload<K, E>): Promise<void> {
    let text: string | InvalidArgumentError;
    try {
      text = eventText(this.link.config.contract, event, data, 'caller.emit');
    } catch (error) {
      return Promise.reject(error);
    }
    if (text instanceof InvalidArgumentError) return Promise.reject(text);
    return this.send(text);
  }

  private send(data: FrameData): Promise<void> {
    return this.settle(this.link.outbound.write(data, true));
  }

  private settle(outcome: WriteOutcome | Promise<boolean>): Promise<void> {
    if (outcome === WriteOutcome.Sent || outcome === WriteOutcome.Dropped) return HANDED_TO_SOCKET;
    if (outcome === WriteOutcome.Closed) return Promise.reject(this.closedError());
    return outcome.then(toVoid);
  }

  private closedError(): ConnectionClosedError {
    return new ConnectionClosedError(this.link.closeCode, this.link.closeReason);
  }
}

function toVoid(): void {}
