// A broadcast target: rooms (a union), a service, or every connection, less its exceptions and
// through its filter (target-selection.ts); it sends, and acts on its connections wherever they
// live (remote-operations.ts). The message is framed once (header and payload in one Buffer) and the same bytes are handed to
// every socket; each socket's slow-consumer limit applies, and the other nodes of the
// backplane get it too. Where the engine fans out itself (Bun), members are not written to:
// each is checked against its limit and subscribed (topics.ts), then each server publishes once.
import type { AnyContract, EventName } from '@duet/contract';
import { Caller } from '../caller';
import { type EventPayload, eventText } from '../messages/events';
import { type EncodedFrame, encodeFrame } from '../transport/frame-encoding';
import { InvalidArgumentError } from '../errors';
import { type BinaryData, isBinaryData, toJsonFrame } from '../frames';
import { bytesOf } from '../replies';
import type { TopicSocket } from '../transport/transport';
import type { BackplaneMessage } from './backplane';
import { type MemberPredicate, filterSource, passes } from './member-filter';
import { type Operation, type OperationHost, checkDisconnect, checkRoomOperation } from './remote-operations';
import {
  type ExceptTarget,
  type Excluded,
  type TargetSpec,
  candidates,
  exceptNames,
  excludedMembers,
  isExcluded,
  plainMembers,
  targetFilter,
} from './target-selection';
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
  /** Its id (`caller.getConnectionId()`), read without making its Caller. */
  readonly connectionId: string;
  readonly caller: Caller;
  readonly transport: { readonly isOpen: boolean };
  /** Its service's configuration: the contract (for `emit`), its path, and what presence events need. */
  readonly config: {
    readonly contract: AnyContract | undefined;
    readonly path: string;
    readonly presenceEvents: boolean;
    readonly dispatcherKey: string;
  };
  /** Its socket in its server's topics, when the engine fans broadcasts out itself; undefined: written to. */
  readonly topicSocket: TopicSocket | undefined;
  /** Its subscriptions, once it has some. */
  readonly subscriptions: MemberTopics | undefined;
  /** Its subscriptions, made if need be (only with a `topicSocket`). */
  topics(): MemberTopics;
  /** Joins or leaves a room as `caller.join` / `caller.leave` do (topics included). */
  join(room: string): void;
  leave(room: string): void;
}

/** The registry side of a target: who is selected, where other nodes are, how operations travel. */
export interface BroadcastHost extends OperationHost {
  readonly nodeId: string;
  publish(message: BackplaneMessage): void;
  /** Acts here and on every other node; how many connections acted, over the cluster. */
  operate(operation: Operation): Promise<number>;
}

const NOTHING_SENT: Promise<BroadcastResult> = Promise.resolve({ sent: 0, skipped: 0 });

export class BroadcastTarget {
  /** @internal Made by `ConnectionRegistry.to()` / `broadcast()`, and for broadcasts from other nodes. */
  constructor(
    private readonly host: BroadcastHost,
    private readonly spec: TargetSpec,
  ) {}

  /**
   * The same target without the connections of a room, a caller (typically the sender), a
   * connection id, or a list of these. Calling it again adds to what is left out.
   *
   * @example
   * registry.to(['lobby', 'kitchen']).except([caller, 'muted']).emit('said', { text });
   */
  except(target: ExceptTarget): BroadcastTarget {
    const { rooms, servicePath, except, filter } = this.spec;
    // The usual case, `.except(caller)` on each message, makes one array and no other list.
    let names: string[] | InvalidArgumentError;
    if (target instanceof Caller) names = except === undefined ? [target.getConnectionId()] : [...except, target.getConnectionId()];
    else if ((names = exceptNames(target)) instanceof InvalidArgumentError) throw names;
    else if (except !== undefined) names = [...except, ...names];
    return new BroadcastTarget(this.host, { rooms, servicePath, except: names, filter });
  }

  /**
   * The same target, only the connections `predicate(caller)` is true for. The predicate runs on
   * each node for its own connections, compiled there from its source (this node included): it
   * must be a self-contained, pure function of the caller, with no variables from around it.
   * Calling it again: both must hold. A predicate that throws leaves that connection out
   * (logged once). Throws `InvalidArgumentError` when its source does not compile on its own.
   *
   * @example
   * registry.to('lobby').filter((caller) => caller.principal?.scopes.includes('admin') === true)
   */
  filter(predicate: MemberPredicate): BroadcastTarget {
    const source = filterSource(predicate, this.spec.filter, this.host.filters);
    if (source instanceof InvalidArgumentError) throw source;
    const { rooms, servicePath, except } = this.spec;
    return new BroadcastTarget(this.host, { rooms, servicePath, except, filter: source });
  }

  /** Every targeted connection, on every node, joins `room`; resolves with how many did. */
  join(room: string): Promise<number> {
    const invalid = checkRoomOperation('join', room);
    return invalid !== undefined ? Promise.reject(invalid) : this.host.operate({ op: 'join', room, target: this.spec });
  }

  /** Every targeted connection, on every node, leaves `room` (and is no longer tracked in it); resolves with how many. */
  leave(room: string): Promise<number> {
    const invalid = checkRoomOperation('leave', room);
    return invalid !== undefined ? Promise.reject(invalid) : this.host.operate({ op: 'leave', room, target: this.spec });
  }

  /**
   * Starts closing every targeted connection, on every node, with `code` and `reason` (checked
   * as `caller.close` checks them: a bad one rejects with `InvalidArgumentError`); resolves with
   * how many connections began to close.
   */
  disconnect(code = 1000, reason = ''): Promise<number> {
    const invalid = checkDisconnect(code, reason);
    return invalid !== undefined ? Promise.reject(invalid) : this.host.operate({ op: 'disconnect', code, reason, target: this.spec });
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
    if (this.spec.rooms?.length === 0) return NOTHING_SENT;
    const host = this.host;
    const filter = targetFilter(host, this.spec);
    const excluded = excludedMembers(host, this.spec.except);
    let contract: AnyContract | undefined;
    let encoded: EncodedFrame | undefined;
    let firstText: string | undefined;
    let sent = 0;
    let skipped = 0;
    let targeted = 0;
    for (const member of filter === null ? [] : candidates(host, this.spec)) {
      if (isExcluded(excluded, member)) continue;
      if (filter != null && !passes(filter, member.caller, host.logger)) continue;
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
      const { rooms, servicePath, except, filter } = this.spec;
      host.publish({ origin: host.nodeId, rooms, servicePath, except, filter, text: firstText });
    }
    return Promise.resolve({ sent, skipped });
  }

  /**
   * @internal Delivers on this process only (also used for messages from other nodes). For one
   * room or a service, with at most one connection left out and no filter, members on a server
   * with topics take part in its publish (made once, after every member was checked); the
   * others are written to. The excepted member, when subscribed, is the socket the publish goes
   * from, which Bun leaves out. Any other target is written to member by member, each once.
   */
  deliverLocally(data: Buffer, binary: boolean): BroadcastResult {
    const host = this.host;
    const encoded = encodeFrame(data, binary);
    const excluded = excludedMembers(host, this.spec.except);
    const plain = excluded instanceof Set ? undefined : plainMembers(host, this.spec);
    if (plain === undefined) return this.writeEach(encoded, excluded);
    const rooms = this.spec.rooms;
    const service = rooms === undefined;
    const topic = service ? undefined : roomTopic(rooms[0]!);
    let sent = 0;
    let skipped = 0;
    let publishes: TopicPublishes | undefined;
    let except: TopicSocket | undefined;
    let exceptTopic: string | undefined;
    for (const member of plain) {
      const socket = member.topicSocket;
      if (member === excluded) {
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
    // Backpressure somewhere: every member that took the publish is asked at its next look.
    // Otherwise none holds any of it, and the next broadcast asks the engine of none of them.
    if (publishes?.send(encoded, except, exceptTopic) === true) {
      for (const member of plainMembers(host, this.spec)!) member.topicSocket?.publishPressed();
    }
    return { sent, skipped };
  }

  /** A union, a filter or several exceptions: each selected member written to, once. */
  private writeEach(encoded: EncodedFrame, excluded: Excluded): BroadcastResult {
    const host = this.host;
    const filter = targetFilter(host, this.spec);
    let sent = 0;
    let skipped = 0;
    if (filter === null) return { sent, skipped };
    for (const member of candidates(host, this.spec)) {
      if (isExcluded(excluded, member)) continue;
      if (filter !== undefined && !passes(filter, member.caller, host.logger)) continue;
      if (member.outbound.writeBroadcast(encoded)) sent++;
      else skipped++;
    }
    return { sent, skipped };
  }

  private sendSettled(data: Buffer, binary: boolean, text: string | undefined): Promise<BroadcastResult> {
    if (this.spec.rooms?.length === 0) return NOTHING_SENT;
    try {
      return Promise.resolve(this.send(data, binary, text));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private send(data: Buffer, binary: boolean, text: string | undefined): BroadcastResult {
    const result = this.deliverLocally(data, binary);
    const { rooms, servicePath, except, filter } = this.spec;
    const origin = this.host.nodeId;
    this.host.publish(
      binary
        ? { origin, rooms, servicePath, except, filter, binary: data.toString('base64') }
        : { origin, rooms, servicePath, except, filter, text },
    );
    return result;
  }
}
