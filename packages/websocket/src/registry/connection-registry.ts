// `ConnectionRegistry`: every open connection of the app, by id and by room, and the
// broadcasts that reach them — on this process and, through the backplane, on the others. Each
// service's own connections are its endpoint's set; the registry only looks them up by class.
// Bound as a singleton by `webSocketModule`: inject it or `container.get(ConnectionRegistry)`.
import { randomUUID } from 'node:crypto';
import { injectable } from 'inversify';
import type { Caller } from '../caller';
import type { ServiceClass } from '../module';
import { InvalidArgumentError } from '../errors';
import { type Backplane, type BackplaneMessage, type BackplaneStats, InMemoryBackplane } from './backplane';
import { type BroadcastHost, type BroadcastMember, BroadcastTarget } from './broadcast';
import { Rooms } from './rooms';

/** A connection as the registry holds it. */
export type RegistryMember = BroadcastMember;

/** One service of the app: its path, and the live set of its open connections (its endpoint's). */
interface ServiceMembers {
  readonly path: string;
  readonly members: ReadonlySet<RegistryMember>;
}

/** Why a resume was refused (the client hears the same words in `{ resumed: false, reason }`). */
export type ResumeRefusal = 'unknown session' | 'expired' | 'buffer overflowed' | 'principal mismatch';

/** Resumable sessions since start (services with `resume`). */
export interface SessionStats {
  /** Resumes accepted. */
  readonly resumed: number;
  /** Resumes refused, by the reason the client was given. */
  readonly refused: Readonly<Record<ResumeRefusal, number>>;
  /** Sessions whose window passed without a resume (closed with 1006 `session expired`). */
  readonly expired: number;
  /** Sessions ended because their buffer overflowed while the client was away (1013). */
  readonly overflowed: number;
}

export interface RegistryStats {
  readonly connections: number;
  readonly rooms: number;
  /** Messages dropped for slow consumers under the 'drop' policy, since start. */
  readonly droppedMessages: number;
  /** Messages refused by a `rateLimit` (answered, dropped or closed for), since start. */
  readonly rateLimited: number;
  readonly backplane: BackplaneStats;
  readonly sessions: SessionStats;
}

const NONE: ReadonlySet<RegistryMember> = new Set();

@injectable()
export class ConnectionRegistry implements BroadcastHost {
  /** This process's id on the backplane. */
  readonly nodeId = randomUUID();
  private readonly byId = new Map<string, RegistryMember>();
  private readonly services = new Map<ServiceClass, ServiceMembers>();
  private readonly rooms = new Rooms<RegistryMember>();
  private backplane: Backplane = new InMemoryBackplane();
  private dropped = 0;
  private limited = 0;
  private readonly sessions = {
    resumed: 0,
    expired: 0,
    overflowed: 0,
    refused: { 'unknown session': 0, expired: 0, 'buffer overflowed': 0, 'principal mismatch': 0 } as Record<ResumeRefusal, number>,
  };

  /** Open connections, of one service class or of all. */
  count(service?: ServiceClass): number {
    return service === undefined ? this.byId.size : (this.services.get(service)?.members.size ?? 0);
  }

  /** The callers of open connections, of one service class or of all (a new array). */
  list(service?: ServiceClass): Caller[] {
    const members = service === undefined ? this.byId.values() : (this.services.get(service)?.members ?? NONE).values();
    return Array.from(members, (member) => member.caller);
  }

  get(connectionId: string): Caller | undefined {
    return this.byId.get(connectionId)?.caller;
  }

  /** Iterates the callers of every open connection without copying. */
  *[Symbol.iterator](): IterableIterator<Caller> {
    for (const member of this.byId.values()) yield member.caller;
  }

  /** The members of `room` on this process. */
  membersOf(room: string): Caller[] {
    return Array.from(this.rooms.membersOf(room), (member) => member.caller);
  }

  /** A broadcast target: every member of `room`, on every node. */
  to(room: string): BroadcastTarget {
    return new BroadcastTarget(this, room, undefined);
  }

  /** A broadcast target: every connection (of `service`, when given), on every node. */
  broadcast(service?: ServiceClass): BroadcastTarget {
    return new BroadcastTarget(this, undefined, service === undefined ? undefined : this.pathOf(service));
  }

  /** Open connections over every node of the backplane. */
  clusterCount(): Promise<number> {
    return this.backplane.clusterCount();
  }

  stats(): RegistryStats {
    return {
      connections: this.byId.size,
      rooms: [...this.rooms.roomNames()].length,
      droppedMessages: this.dropped,
      rateLimited: this.limited,
      backplane: this.backplane.stats(),
      sessions: { ...this.sessions, refused: { ...this.sessions.refused } },
    };
  }

  // --- used by the application and connections ------------------------------------------

  /**
   * @internal A service of the app, with its endpoint's live set of open connections: `count`,
   * `list` and `broadcast(service)` read it. A service broadcast travels by path between nodes.
   */
  addService(service: ServiceClass, path: string, members: ReadonlySet<RegistryMember>): void {
    this.services.set(service, { path, members });
  }

  /** @internal */
  async start(backplane: Backplane | undefined): Promise<void> {
    if (backplane !== undefined) this.backplane = backplane;
    await this.backplane.start(this.nodeId, {
      deliver: (message) => this.deliver(message),
      answer: () => undefined,
      signal: () => {},
      nodesLeft: () => {},
    });
    this.backplane.reportCount(this.byId.size);
  }

  /** @internal */
  stop(): Promise<void> {
    return this.backplane.stop();
  }

  /** @internal */
  add(member: RegistryMember): void {
    this.byId.set(member.caller.getConnectionId(), member);
    this.backplane.reportCount(this.byId.size);
  }

  /** @internal Removes a closed connection from everything, rooms included. */
  remove(member: RegistryMember): void {
    if (!this.byId.delete(member.caller.getConnectionId())) return;
    this.rooms.leaveAll(member);
    this.backplane.reportCount(this.byId.size);
  }

  /** @internal */
  join(member: RegistryMember, room: string): void {
    if (this.byId.has(member.caller.getConnectionId())) this.rooms.join(member, room);
  }

  /** @internal */
  leave(member: RegistryMember, room: string): void {
    this.rooms.leave(member, room);
  }

  /** @internal */
  roomsOf(member: RegistryMember): ReadonlySet<string> {
    return this.rooms.roomsOf(member);
  }

  /** @internal */
  countDropped(): void {
    this.dropped++;
  }

  /** @internal A message a `rateLimit` refused. */
  countRateLimited(): void {
    this.limited++;
  }

  /** @internal A resumable session was resumed, expired, or ended by an overflow while down. */
  countSession(outcome: 'resumed' | 'expired' | 'overflowed'): void {
    this.sessions[outcome]++;
  }

  /** @internal A resume was refused. */
  countRefusedResume(reason: ResumeRefusal): void {
    this.sessions.refused[reason]++;
  }

  /** @internal BroadcastHost */
  targets(room: string | undefined, servicePath: string | undefined): Iterable<RegistryMember> {
    if (room !== undefined) return this.rooms.membersOf(room);
    if (servicePath === undefined) return this.byId.values();
    return this.membersOnPath(servicePath);
  }

  /** @internal BroadcastHost */
  publish(message: BackplaneMessage): void {
    this.backplane.publish(message);
  }

  private deliver(message: BackplaneMessage): void {
    if (message.origin === this.nodeId) return;
    const binary = message.binary !== undefined;
    const data = binary ? Buffer.from(message.binary!, 'base64') : Buffer.from(message.text ?? '');
    new BroadcastTarget(this, message.rooms?.[0], message.servicePath).deliverLocally(data, binary, message.except?.[0]);
  }

  private *membersOnPath(path: string): IterableIterator<RegistryMember> {
    for (const service of this.services.values()) {
      if (service.path === path) yield* service.members;
    }
  }

  private pathOf(service: ServiceClass): string {
    const path = this.services.get(service)?.path;
    if (path === undefined) throw new InvalidArgumentError(`${service.name} is not a service of this application`);
    return path;
  }
}
