// Rooms and services as topics of servers that fan a broadcast out themselves (Bun's pub/sub):
// the topic names, one connection's subscriptions, and the publishes one broadcast makes (one
// per server and topic, as a room may span listeners). Connections whose engine has no topics
// (ws) or that must see every message themselves (a resumable session) are written to instead.
import type { EncodedFrame } from '../transport/frame-encoding';
import type { TopicServer, TopicSocket } from '../transport/transport';

/** What taking a publish needs of a member: its slow-consumer bound, and its rooms. */
export interface TopicMember {
  readonly outbound: {
    writeBroadcast(encoded: EncodedFrame): boolean;
    /** Whether it takes a publish of `encoded` under its bound (counted as sent); false: dropped or closing. */
    takesPublish(encoded: EncodedFrame): boolean;
  };
  rooms(): ReadonlySet<string>;
}

/** A room's topic. A service's starts otherwise, so no room name can take it. */
export function roomTopic(room: string): string {
  return `room:${room}`;
}

/** The topic of a service's connections, on each server it listens on. */
export function serviceTopic(path: string): string {
  return `service:${path}`;
}

/**
 * One connection's subscriptions: the topic of every room it is in and, from the first service
 * broadcast that reaches it, its service's. While its socket is past `maxBufferedBytes` it is
 * subscribed to none, so a publish leaves it out (its slow-consumer policy has run); the next
 * broadcast it fits under subscribes it again, before that broadcast's publish. Subscribing
 * a socket that already is changes nothing in Bun.
 */
export class MemberTopics {
  private isAttached = true;
  private inServiceTopic = false;

  constructor(
    private readonly socket: TopicSocket,
    readonly serviceTopic: string,
  ) {}

  joined(room: string): void {
    if (this.isAttached) this.socket.subscribe(roomTopic(room));
  }

  left(room: string): void {
    if (this.isAttached) this.socket.unsubscribe(roomTopic(room));
  }

  /**
   * Whether `member` takes its server's publish of `encoded` to its room's topic (`service`:
   * its service's), under its slow-consumer policy: true, counted as sent and subscribed; false,
   * dropped or closing, and subscribed to nothing so the publish leaves it out.
   */
  take(member: TopicMember, encoded: EncodedFrame, service: boolean): boolean {
    if (!member.outbound.takesPublish(encoded)) {
      this.leaveOut(member.rooms());
      return false;
    }
    if (!this.isAttached) this.attach(member.rooms());
    if (service) this.joinService();
    return true;
  }

  /** Whether a publish to its room's topic (`service`: its service's) reaches it now. */
  reachedBy(service: boolean): boolean {
    return this.isAttached && (!service || this.inServiceTopic);
  }

  /** Subscribed to its rooms' topics: false while left out (`leaveOut`). */
  get attached(): boolean {
    return this.isAttached;
  }

  /** Subscribed again to the topics of its `rooms`, for the publish about to go. */
  attach(rooms: ReadonlySet<string>): void {
    for (const room of rooms) this.socket.subscribe(roomTopic(room));
    this.isAttached = true;
  }

  /** Subscribed to its service's topic too, for the service broadcast about to go. */
  joinService(): void {
    if (this.inServiceTopic) return;
    this.socket.subscribe(this.serviceTopic);
    this.inServiceTopic = true;
  }

  /** Left out of every publish until `attach`. */
  leaveOut(rooms: ReadonlySet<string>): void {
    if (!this.isAttached) return;
    for (const room of rooms) this.socket.unsubscribe(roomTopic(room));
    if (this.inServiceTopic) this.socket.unsubscribe(this.serviceTopic);
    this.isAttached = this.inServiceTopic = false;
  }
}

/** The publishes of one broadcast: each server and topic once, however many members it reaches. */
export class TopicPublishes {
  private readonly servers: TopicServer[] = [];
  private readonly topics: string[] = [];

  add(server: TopicServer, topic: string): void {
    const servers = this.servers;
    const last = servers.length - 1;
    // Members come service by service, so the pair is almost always the last one added.
    if (last >= 0 && servers[last] === server && this.topics[last] === topic) return;
    for (let i = 0; i < last; i++) if (servers[i] === server && this.topics[i] === topic) return;
    servers.push(server);
    this.topics.push(topic);
  }

  /**
   * Publishes `frame`; `except` (subscribed to `exceptTopic`) is left out by its server. True
   * when a server reported backpressure for some subscriber.
   */
  send(frame: EncodedFrame, except: TopicSocket | undefined, exceptTopic: string | undefined): boolean {
    const { servers, topics } = this;
    let pressed = false;
    for (let i = 0; i < servers.length; i++) {
      const server = servers[i]!;
      const topic = topics[i]!;
      if (server.publish(topic, frame, except !== undefined && except.server === server && exceptTopic === topic ? except : undefined)) pressed = true;
    }
    return pressed;
  }
}
