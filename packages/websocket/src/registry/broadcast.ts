// A broadcast target: a room, a service, or every connection, optionally but one. The
// message is framed once (header and payload in one Buffer) and the same bytes are handed to
// every socket; each socket's slow-consumer limit applies, and the other nodes of the
// backplane get it too. Where the engine fans out itself (Bun), members are not written to:
// each is checked against its limit and subscribed (topics.ts), then each server publishes once.
import type { AnyContract, EventName } from '@duet/contract';
import type { Caller } from '../caller';
import { type EventPayload, eventText } from '../messages/events';
import { type EncodedFrame, encodeFrame } from '../transport/frame-encoding';
import { InvalidArgumentError } from '../errors';
import { type BinaryData, isBinaryData, toJsonFrame } from '../frames';
import { bytesOf } from '../replies';
import type { TopicSocket } from '../transport/transport';
import type { BackplaneMessage } from './backplane';
import { type MemberTopics, type TopicMember, TopicPublishes, roomTopic } from './topics';

/** What a broadcast did on this process. */
export interface BroadcastResult {
  /** Connections the frame was handed to. */
  readonly sent: number;
  /** Connections skipped by their slow-consumer policy (dropped or closed). */
  readonly skipped: number;
}

/** A connection as a broadcast sees it. */
export interface BroadcastMember extends TopicMember {
  readonly caller: Caller;
  readonly transport: { readonly isOpen: boolean };
  /** Its service's contract, when it has one (for `emit`). */
  readonly config: { readonly contract: AnyContract | undefined };
  /** Its socket in its server's topics, when the engine fans broadcasts out itself; undefined: written to. */
  readonly topicSocket: TopicSocket | undefined;
  /** Its subscriptions, once it has some. */
  readonly subscriptions: MemberTopics | undefined;
  /** Its subscriptions, made if need be (only with a `topicSocket`). */
  topics(): MemberTopics;
}

/** The registry side of a broadcast: who is targeted, and where other nodes are. */
export interface BroadcastHost {
  readonly nodeId: string;
  targets(room: string | undefined, servicePath: string | undefined): Iterable<BroadcastMember>;
  publish(message: BackplaneMessage): void;
}

export class BroadcastTarget {
  /** @internal Made by `ConnectionRegistry.to()` / `broadcast()`. */
  constructor(
    private readonly host: BroadcastHost,
    private readonly room: string | undefined,
    private readonly servicePath: string | undefined,
    private readonly excluded: Caller | undefined = undefined,
  ) {}

  /** The same target without `caller` (typically the sender). */
  except(caller: Caller): BroadcastTarget {
    return new BroadcastTarget(this.host, this.room, this.servicePath, caller);
  }

  // Every write method answers with a promise: what cannot be sent is a rejection
  // (InvalidArgumentError, ReplyEncodingError), never a throw at the call.

  /** Sends a text frame; rejects with `InvalidArgumentError` when `text` is not a string. */
  writeTextMessage(text: string): Promise<BroadcastResult> {
    if (typeof text !== 'string') {
      return Promise.reject(new InvalidArgumentError(`writeTextMessage takes a string, got ${typeof text}`));
    }
    return this.sendSettled(Buffer.from(text), false, text);
  }

  /** Sends a binary frame; rejects with `InvalidArgumentError` when `data` is not bytes. */
  writeBinaryMessage(data: BinaryData): Promise<BroadcastResult> {
    if (!isBinaryData(data)) {
      return Promise.reject(new InvalidArgumentError('writeBinaryMessage takes a Buffer, Uint8Array or ArrayBuffer'));
    }
    return this.sendSettled(bytesOf(data), true, undefined);
  }

  /**
   * A string as text, bytes as binary, anything else as JSON text. Rejects with
   * `InvalidArgumentError` for `undefined` and `ReplyEncodingError` for a value without a
   * JSON form (a cyclic object, a BigInt, a function).
   */
  writeMessage(value: unknown): Promise<BroadcastResult> {
    if (value === undefined) return Promise.reject(new InvalidArgumentError('writeMessage has nothing to send'));
    if (typeof value === 'string') return this.writeTextMessage(value);
    if (isBinaryData(value)) return this.writeBinaryMessage(value);
    let json: string;
    try {
      json = toJsonFrame(value, 'a broadcast');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.writeTextMessage(json);
  }

  /**
   * Sends a contract event to every targeted connection whose service's contract declares it,
   * as `caller.emit` does: `{ [dispatcherKey]: event, ...data }`, encoded once per contract.
   * Connections whose contract lacks the event are skipped (counted in `skipped`). Rejects with
   * `InvalidArgumentError` when targeted connections exist and none declares it, or for data that
   * is not a plain object. Typed with the contract as type argument:
   *
   * @example
   * await registry.to(room).emit<typeof chat, 'said'>('said', { from, text });
   */
  emit<K extends AnyContract = AnyContract, E extends EventName<K> = EventName<K>>(event: E, data: EventPayload<K, E>): Promise<BroadcastResult> {
    try {
      return this.emitEvent(event, data);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private emitEvent(event: string, data: unknown): Promise<BroadcastResult> {
    let contract: AnyContract | undefined;
    let encoded: EncodedFrame | undefined;
    let firstText: string | undefined;
    let sent = 0;
    let skipped = 0;
    let targeted = 0;
    for (const member of this.host.targets(this.room, this.servicePath)) {
      if (member.caller === this.excluded) continue;
      targeted++;
      const own = member.config.contract;
      if (own === undefined || !Object.hasOwn(own.events, event)) {
        skipped++;
        continue;
      }
      if (own !== contract) {
        const text = eventText(own, event, data, 'emit');
        if (text instanceof InvalidArgumentError) return Promise.reject(text);
        contract = own;
        firstText ??= text;
        encoded = encodeFrame(Buffer.from(text), false);
      }
      if (member.outbound.writeBroadcast(encoded!)) sent++;
      else skipped++;
    }
    if (targeted > 0 && contract === undefined) {
      return Promise.reject(new InvalidArgumentError(`emit: no targeted connection's contract declares the event '${event}'`));
    }
    // Other nodes deliver the frame as it was encoded here, for the first contract that declared it.
    if (firstText !== undefined) {
      this.host.publish({ origin: this.host.nodeId, ...this.wireTarget(), text: firstText });
    }
    return Promise.resolve({ sent, skipped });
  }

  /**
   * @internal Delivers on this process only (also used for messages from other nodes). Members
   * on a server with topics take part in its publish (made once, after every member was
   * checked); the others are written to. The excepted member, when subscribed, is the socket
   * the publish goes from, which Bun leaves out.
   */
  deliverLocally(data: Buffer, binary: boolean, exceptId: string | undefined): BroadcastResult {
    const encoded = encodeFrame(data, binary);
    const service = this.room === undefined;
    const topic = service ? undefined : roomTopic(this.room!);
    let sent = 0;
    let skipped = 0;
    let publishes: TopicPublishes | undefined;
    let except: TopicSocket | undefined;
    let exceptTopic: string | undefined;
    for (const member of this.host.targets(this.room, this.servicePath)) {
      const socket = member.topicSocket;
      if (member.caller === this.excluded || (exceptId !== undefined && member.caller.getConnectionId() === exceptId)) {
        const subscriptions = member.subscriptions;
        if (socket !== undefined && member.transport.isOpen && subscriptions?.reachedBy(service) === true) {
          except = socket;
          exceptTopic = topic ?? subscriptions.serviceTopic;
        }
        continue;
      }
      if (socket === undefined) {
        if (member.outbound.writeBroadcast(encoded)) sent++;
        else skipped++;
      } else if (member.topics().take(member, encoded, service)) {
        sent++;
        (publishes ??= new TopicPublishes()).add(socket.server, topic ?? member.topics().serviceTopic);
      } else {
        skipped++;
      }
    }
    publishes?.send(encoded, except, exceptTopic);
    return { sent, skipped };
  }

  private sendSettled(data: Buffer, binary: boolean, text: string | undefined): Promise<BroadcastResult> {
    try {
      return Promise.resolve(this.send(data, binary, text));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private send(data: Buffer, binary: boolean, text: string | undefined): BroadcastResult {
    const result = this.deliverLocally(data, binary, undefined);
    this.host.publish({
      origin: this.host.nodeId,
      ...this.wireTarget(),
      ...(binary ? { binary: data.toString('base64') } : { text }),
    });
    return result;
  }

  /** The target as other nodes read it. */
  private wireTarget(): Pick<BackplaneMessage, 'rooms' | 'servicePath' | 'except'> {
    const except = this.excluded?.getConnectionId();
    return {
      rooms: this.room === undefined ? undefined : [this.room],
      servicePath: this.servicePath,
      except: except === undefined ? undefined : [except],
    };
  }
}
