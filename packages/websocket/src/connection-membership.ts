// A connection as the registry, broadcasts and its service's heartbeat know it (connection.ts
// is the rest): its id, drawn at the first ask, its place in the opening order and in the
// registry, its rooms, presence and topic subscriptions, its heartbeat flags — and what few
// connections need, in one object made at the first need (connection-extras.ts), so that an
// idle connection holds none of it.
import type { Caller } from './caller';
import { ConnectionExtras } from './connection-extras';
import { newConnectionId } from './connection-id';
import type { Connection } from './connection';
import type { ConnectionOptions } from './connection-options';
import type { RegistryMember } from './registry/connection-registry';
import type { Outbound } from './outbound';
import { MemberTopics } from './registry/topics';
import type { ResolvedServiceConfig } from './service-config';
import type { TokenLifetime } from './token-lifetime';
import type { TopicSocket, Transport } from './transport/transport';

// Bits of `flags` (connection.ts has the higher ones).
const AWAITING_PONG = 1;
const SETTLED_SINCE_PING = 2;
/** In the registry: opened, not yet closed. */
const LISTED = 4;

/** How many connections this process has opened: each one's `openedAs`. */
let opened = 0;

export abstract class ConnectionMembership implements RegistryMember {
  readonly openedAs = ++opened;
  /** Flags in one number: these, and the connection's own (connection.ts) in the higher bits. */
  protected flags = 0;
  protected madeExtras: ConnectionExtras | undefined;

  constructor(
    readonly transport: Transport,
    protected readonly options: ConnectionOptions,
  ) {}

  abstract get caller(): Caller;
  abstract get outbound(): Outbound;

  protected get extras(): ConnectionExtras {
    return (this.madeExtras ??= new ConnectionExtras());
  }

  /** A unique id (`caller.getConnectionId()`), drawn at the first ask. */
  get connectionId(): string {
    const extras = this.extras;
    if (extras.id === undefined) {
      extras.id = newConnectionId();
      if (this.listed) this.options.registry.named(this);
    }
    return extras.id;
  }

  get drawnId(): string | undefined {
    return this.madeExtras?.id;
  }

  get listed(): boolean {
    return (this.flags & LISTED) !== 0;
  }

  /** Set once the socket closed. */
  get closeCode(): number | undefined {
    return this.madeExtras?.closeCode;
  }

  get closeReason(): string {
    return this.madeExtras?.closeReason ?? '';
  }

  /** Set when the connection is being closed because of a failure; later messages are not handled. */
  get failureCloseCode(): number | undefined {
    return this.madeExtras?.failureCloseCode;
  }

  set failureCloseCode(code: number | undefined) {
    this.extras.failureCloseCode = code;
  }

  /** Its subscriptions (`topics()`); made at its first room or publish, so most connections hold none. */
  get subscriptions(): MemberTopics | undefined {
    return this.madeExtras?.subscriptions;
  }

  /** Its principal's expiry and the client's token refreshes, on a service with `auth`. */
  get token(): TokenLifetime | undefined {
    return this.madeExtras?.token;
  }

  get config(): ResolvedServiceConfig {
    return this.options.table.config;
  }

  /** Its socket in its server's topics, when the engine fans broadcasts out itself (Bun). */
  get topicSocket(): TopicSocket | undefined {
    return this.transport.topics;
  }

  /** Awaiting the pong of a heartbeat ping (heartbeat.ts sends it to each member of its service's list). */
  get awaitingPong(): boolean {
    return (this.flags & AWAITING_PONG) !== 0;
  }

  set awaitingPong(value: boolean) {
    this.flags = value ? this.flags | AWAITING_PONG : this.flags & ~AWAITING_PONG;
  }

  /** A handler settled since the last heartbeat ping (a paused connection's sign of life). */
  get settledSincePing(): boolean {
    return (this.flags & SETTLED_SINCE_PING) !== 0;
  }

  set settledSincePing(value: boolean) {
    this.flags = value ? this.flags | SETTLED_SINCE_PING : this.flags & ~SETTLED_SINCE_PING;
  }

  /** Enters the open connection in its service's list and the registry. */
  protected list(): void {
    this.options.members.add(this as unknown as Connection);
    this.flags |= LISTED;
    this.options.registry.add(this);
  }

  /** The connection closed: out of its service's list and the registry, once. */
  protected unlist(): void {
    this.options.members.delete(this as unknown as Connection);
    if (!this.listed) return;
    this.flags &= ~LISTED;
    this.options.registry.remove(this);
  }

  join(room: string): void {
    this.options.registry.join(this, room);
    if (this.topicSocket !== undefined) this.topics().joined(room);
  }

  leave(room: string): void {
    this.options.registry.leave(this, room);
    this.subscriptions?.left(room);
  }

  presence(room: string, meta: unknown, tracked: boolean): void {
    if (tracked) this.options.registry.track(this, room, meta);
    else this.options.registry.untrack(this, room);
  }

  /** Its subscriptions, on an engine with topics (there must be a `topicSocket`). */
  topics(): MemberTopics {
    return (this.extras.subscriptions ??= new MemberTopics(this.topicSocket!, this.options.serviceTopic));
  }

  rooms(): ReadonlySet<string> {
    return this.options.registry.roomsOf(this);
  }
}
