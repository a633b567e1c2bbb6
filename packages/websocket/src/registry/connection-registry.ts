// `ConnectionRegistry`: every open connection of the app, by id and by room, and the
// broadcasts that reach them — on this process and, through the backplane, on the others — plus
// the cluster's view of them: membership (`cluster`), presence, and operations on connections
// wherever they live. Each service's own connections are its endpoint's set; the registry only
// looks them up by class. The other nodes' traffic lands in registry-node.ts.
// Bound as a singleton by `webSocketModule`: inject it or `container.get(ConnectionRegistry)`.
import { randomUUID } from 'node:crypto';
import { injectable } from 'inversify';
import type { Caller } from '../caller';
import type { ServiceClass } from '../module';
import { InvalidArgumentError } from '../errors';
import { type Logger, consoleLogger } from '../logger';
import { type Backplane, type BackplaneMessage, type ClusterAnswer, InMemoryBackplane } from './backplane';
import { type BroadcastHost, type BroadcastMember, BroadcastTarget } from './broadcast';
import { type ClusterHost, ClusterView, checkName } from './cluster-view';
import { Presence, type PresenceDiff, type PresenceHost, type PresenceEntry, type PresenceListener, presenceMeta } from './presence';
import { PRESENCE_DIFF_EVENT, PRESENCE_STATE_EVENT, sendPresenceEvent } from './presence-events';
import { OPERATE_REQUEST, type Operation, checkDisconnect, operateLocally } from './remote-operations';
import { RegistryNode } from './registry-node';
import { RegistryCounters, type RegistryStats, type ResumeRefusal } from './registry-stats';
import { Rooms } from './rooms';
import { CompiledFilters } from './member-filter';
import { MemberList, type ReadonlyMemberList } from './member-list';
import { targetRooms } from './target-selection';
import { inOpeningOrder } from './opening-order';

/** A connection as the registry holds it. */
export interface RegistryMember extends BroadcastMember {
  /** Its id if one was drawn (asking `connectionId` draws one, and names it here while listed). */
  readonly drawnId: string | undefined;
  /** When it opened, in this process (increasing): `list()` keeps this order over services. */
  readonly openedAs: number;
  /** Added and not yet removed: it is open. */
  readonly listed: boolean;
}

/** One service of the app: its path, and the live list of its open connections (its endpoint's). */
interface ServiceMembers {
  readonly path: string;
  readonly members: ReadonlyMemberList<RegistryMember>;
}

const NONE: ReadonlyMemberList<RegistryMember> = new MemberList();

@injectable()
export class ConnectionRegistry implements BroadcastHost, ClusterHost, PresenceHost {
  /** This process's id on the backplane. */
  readonly nodeId = randomUUID();
  // An idle connection is named nowhere but in its service's list: an id is drawn only when
  // asked for, and only a connection whose id was drawn can be looked up by it, as no one
  // can know an id that was never drawn.
  /** Open connections whose id was drawn, by id. */
  private readonly byId = new Map<string, RegistryMember>();
  private open = 0;
  private readonly services = new Map<ServiceClass, ServiceMembers>();
  /** Every service's list of open connections, in the order the services were added. */
  private readonly memberSets: ReadonlyMemberList<RegistryMember>[] = [];
  private readonly rooms = new Rooms<RegistryMember>();
  private backplane: Backplane = new InMemoryBackplane();
  /** @internal Set at start from the container's logger. */
  logger: Logger = consoleLogger;
  /** @internal `.filter()` sources compiled here. */
  readonly filters = new CompiledFilters();
  /** Membership over every live node of the backplane. */
  readonly cluster = new ClusterView(this);
  private readonly presenceState = new Presence(this);
  /** Where the other nodes' traffic lands (handed to the backplane at start). */
  private readonly node = new RegistryNode(this, this.presenceState);
  /** Whether some service sends presence events (else a diff looks at no room's members). */
  private presenceEvents = false;
  private readonly counters = new RegistryCounters();

  /** Open connections, of one service class or of all. */
  count(service?: ServiceClass): number {
    return service === undefined ? this.open : (this.services.get(service)?.members.size ?? 0);
  }

  /** The callers of open connections, of one service class or of all (a new array). */
  list(service?: ServiceClass): Caller[] {
    const members = service === undefined ? this.allMembers() : (this.services.get(service)?.members ?? NONE).values();
    return Array.from(members, (member) => member.caller);
  }

  get(connectionId: string): Caller | undefined {
    return this.byId.get(connectionId)?.caller;
  }

  /** Iterates the callers of every open connection without copying. */
  *[Symbol.iterator](): IterableIterator<Caller> {
    for (const member of this.allMembers()) yield member.caller;
  }

  /** The members of `room` on this process. */
  membersOf(room: string): Caller[] {
    return Array.from(this.rooms.membersOf(room), (member) => member.caller);
  }

  /**
   * A target on every node: the members of a room, or of any of several (each connection once).
   * A name is a room or a connection id (every connection is a room of one, as in Socket.IO).
   * Throws `InvalidArgumentError` for anything but a string or an array of strings.
   *
   * @example
   * await registry.to(['lobby', 'kitchen']).except(caller).emit('said', { text });
   */
  to(target: string | readonly string[]): BroadcastTarget {
    const rooms = targetRooms(target);
    if (rooms instanceof InvalidArgumentError) throw rooms;
    return new BroadcastTarget(this, { rooms });
  }

  /** A broadcast target: every connection (of `service`, when given), on every node. */
  broadcast(service?: ServiceClass): BroadcastTarget {
    return new BroadcastTarget(this, { servicePath: service === undefined ? undefined : this.pathOf(service) });
  }

  /** Open connections over every node of the backplane (the same as `cluster.count()`). */
  clusterCount(): Promise<number> {
    return this.backplane.clusterCount();
  }

  /**
   * Starts closing the connection `connectionId`, wherever in the cluster it is, with `code`
   * and `reason` (checked as `caller.close` checks them: a bad one rejects with
   * `InvalidArgumentError`). Resolves with whether such a connection was found.
   */
  disconnect(connectionId: string, code = 1000, reason = ''): Promise<boolean> {
    try {
      checkName('disconnect', 'connectionId', connectionId);
    } catch (error) {
      return Promise.reject(error);
    }
    const invalid = checkDisconnect(code, reason);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.operate({ op: 'disconnect', code, reason, connectionId }).then((count) => count > 0);
  }

  /**
   * Who is in `room` over the cluster (tracked with `caller.track`), grouped by key: the
   * principal's `name` when authenticated, else the connection id. Read from this node's
   * replica of every node's presence, so it costs no round trip.
   */
  presence(room: string): Promise<PresenceEntry[]> {
    try {
      checkName('presence', 'room', room);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(this.presenceState.list(room));
  }

  /**
   * Calls `listener` with each change of `room`'s presence, wherever in the cluster it happens:
   * `{ room, joins, leaves }`, only the metas that joined or left. Returns the unsubscribe
   * function. Throws `InvalidArgumentError` for a room that is not a string or a listener that
   * is not a function.
   */
  onPresence(room: string, listener: PresenceListener): () => void {
    checkName('onPresence', 'room', room);
    if (typeof listener !== 'function') throw new InvalidArgumentError(`onPresence takes a listener function, got ${typeof listener}`);
    return this.presenceState.listen(room, listener);
  }

  stats(): RegistryStats {
    return {
      connections: this.open,
      rooms: [...this.rooms.roomNames()].length,
      droppedMessages: this.counters.dropped,
      rateLimited: this.counters.rateLimited,
      backplane: this.backplane.stats(),
      sessions: this.counters.sessionStats(),
    };
  }

  // --- used by the application and connections ------------------------------------------

  /**
   * @internal A service of the app, with its endpoint's live set of open connections: `count`,
   * `list` and `broadcast(service)` read it. A service broadcast travels by path between nodes.
   */
  addService(service: ServiceClass, path: string, members: ReadonlyMemberList<RegistryMember>, presenceEvents = false): void {
    this.services.set(service, { path, members });
    this.memberSets.push(members);
    if (presenceEvents) this.presenceEvents = true;
  }

  /**
   * @internal Joins the backplane, then asks the other nodes for their presence state (a node
   * that cannot be asked is logged: presence then fills in from their next changes).
   */
  async start(backplane: Backplane | undefined, logger: Logger = consoleLogger): Promise<void> {
    if (backplane !== undefined) this.backplane = backplane;
    this.logger = logger;
    await this.backplane.start(this.nodeId, this.node);
    this.backplane.reportCount(this.open);
    await this.node.syncPresence('at start');
  }

  /** @internal */
  stop(): Promise<void> {
    return this.backplane.stop();
  }

  /** @internal A connection opened (its service's list has it already). */
  add(member: RegistryMember): void {
    this.open++;
    if (member.drawnId !== undefined) this.byId.set(member.drawnId, member);
    this.backplane.reportCount(this.open);
  }

  /** @internal An open connection's id was drawn: from now on it is found by it. */
  named(member: RegistryMember): void {
    this.byId.set(member.drawnId!, member);
  }

  /** @internal Removes a closed connection (once) from everything: rooms, and its presence (its leaves). */
  remove(member: RegistryMember): void {
    this.open--;
    // leaveAll forgets the member's set of rooms without emptying it: it still names the rooms
    // whose presence the connection leaves.
    const rooms = this.rooms.roomsOf(member);
    this.rooms.leaveAll(member);
    this.backplane.reportCount(this.open);
    // Without an id it was never tracked (tracking names it by id).
    const id = member.drawnId;
    if (id === undefined) return;
    this.byId.delete(id);
    this.presenceState.closed(id, rooms);
  }

  /** @internal A connection joins a room; with `presenceEvents`, it is sent the room's presence. */
  join(member: RegistryMember, room: string): void {
    if (!member.listed) return;
    const joining = member.config.presenceEvents && !this.rooms.roomsOf(member).has(room);
    this.rooms.join(member, room);
    if (joining) sendPresenceEvent([member], PRESENCE_STATE_EVENT, { room, presences: this.presenceState.list(room) });
  }

  /** @internal Leaves a room, and its presence there. */
  leave(member: RegistryMember, room: string): void {
    this.rooms.leave(member, room);
    this.presenceState.untrack(room, member.connectionId);
  }

  /**
   * @internal `caller.track`: joins the room (through the connection, so its topics follow)
   * and tracks it there. Throws InvalidArgumentError for a room that is not a string or a meta
   * that is not a plain JSON object. A closed connection is not tracked.
   */
  track(member: RegistryMember, room: string, meta: unknown): void {
    checkName('track', 'room', room);
    const id = member.connectionId;
    const tracked = presenceMeta(meta, id, this.nodeId);
    if (tracked instanceof InvalidArgumentError) throw tracked;
    if (!member.listed) return;
    if (!this.rooms.roomsOf(member).has(room)) member.join(room);
    this.presenceState.track(room, member.caller.principal?.name ?? id, tracked);
  }

  /** @internal `caller.untrack`: stops tracking, stays in the room. */
  untrack(member: RegistryMember, room: string): void {
    checkName('untrack', 'room', room);
    this.presenceState.untrack(room, member.connectionId);
  }

  /** @internal */
  roomsOf(member: RegistryMember): ReadonlySet<string> {
    return this.rooms.roomsOf(member);
  }

  /** @internal */
  countDropped(): void {
    this.counters.dropped++;
  }

  /** @internal A message a `rateLimit` refused. */
  countRateLimited(): void {
    this.counters.rateLimited++;
  }

  /** @internal A resumable session was resumed, expired, or ended by an overflow while down. */
  countSession(outcome: 'resumed' | 'expired' | 'overflowed'): void {
    this.counters.sessions[outcome]++;
  }

  /** @internal A resume was refused. */
  countRefusedResume(reason: ResumeRefusal): void {
    this.counters.sessions.refused[reason]++;
  }

  // --- SelectionHost, BroadcastHost, ClusterHost, PresenceHost ------------------------------

  /** @internal */
  roomMembers(room: string): ReadonlySet<RegistryMember> {
    return this.rooms.membersOf(room);
  }

  /** @internal */
  member(connectionId: string): RegistryMember | undefined {
    return this.byId.get(connectionId);
  }

  /** @internal Every open connection, in the order they opened (over every service). */
  allMembers(): IterableIterator<RegistryMember> {
    return inOpeningOrder(this.memberSets);
  }

  /** @internal */
  *membersOnPath(path: string): IterableIterator<RegistryMember> {
    for (const service of this.services.values()) {
      if (service.path === path) yield* service.members;
    }
  }

  /** @internal */
  publish(message: BackplaneMessage): void {
    this.backplane.publish(message);
  }

  /** @internal */
  request(kind: string, body: unknown): Promise<ClusterAnswer[]> {
    return this.backplane.request(kind, body);
  }

  /** @internal */
  signal(kind: string, body: unknown): void {
    this.backplane.signal(kind, body);
  }

  /** @internal Acts on this node's connections, then asks every other node to act on its own. */
  async operate(operation: Operation): Promise<number> {
    let total = operateLocally(this, operation);
    for (const answer of await this.backplane.request(OPERATE_REQUEST, operation)) {
      if (typeof answer.body === 'number') total += answer.body;
    }
    return total;
  }

  /** @internal A presence diff, to the room's members whose service has `presenceEvents`. */
  tellMembers(diff: PresenceDiff): void {
    if (this.presenceEvents) sendPresenceEvent(this.rooms.membersOf(diff.room), PRESENCE_DIFF_EVENT, diff);
  }

  private pathOf(service: ServiceClass): string {
    const path = this.services.get(service)?.path;
    if (path === undefined) throw new InvalidArgumentError(`${service.name} is not a service of this application`);
    return path;
  }
}
