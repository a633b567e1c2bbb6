// The backplane: how a broadcast reaches connections held by other processes. The core only
// knows this interface; the in-memory one below is the default (one process, or several apps
// in one process sharing a bus), and @duet/redis provides one across machines.

/** A broadcast as it travels between processes. Exactly one of `text` and `binary` is set. */
export interface BackplaneMessage {
  /** The node that published it (it has delivered locally already). */
  readonly origin: string;
  /** Deliver to members of this room only; `undefined` = every connection. */
  readonly room?: string;
  /** Deliver to connections of the service on this path only. */
  readonly servicePath?: string;
  /** A connection id that must not receive it. */
  readonly except?: string;
  readonly text?: string;
  /** Base64 of binary data, so every transport can carry it as text. */
  readonly binary?: string;
}

/** Reports from a backplane about what it could not do. */
export interface BackplaneStats {
  /** Broadcasts that could not be published to other processes (e.g. while Redis was down). */
  readonly undelivered: number;
  readonly connected: boolean;
}

export interface Backplane {
  /** Connects and starts delivering other nodes' messages to `deliver`. */
  start(nodeId: string, deliver: (message: BackplaneMessage) => void): Promise<void>;
  /** Sends a broadcast to the other nodes. Never throws: failures are counted in `stats()`. */
  publish(message: BackplaneMessage): void;
  /** Reports this node's open connection count, for `clusterCount()`. */
  reportCount(count: number): void;
  /** Open connections over every node. */
  clusterCount(): Promise<number>;
  stats(): BackplaneStats;
  stop(): Promise<void>;
}

/** The container token for the backplane (bound by `webSocketModule({ backplane })`). */
export const BACKPLANE = Symbol.for('@duet/websocket:backplane');

type Subscriber = (message: BackplaneMessage) => void;

/** Lets several apps in one process act as a cluster (tests, workers sharing a process). */
export class InMemoryBus {
  readonly subscribers = new Map<string, Subscriber>();
  readonly counts = new Map<string, number>();
}

/** The default backplane: no other process; with a shared `InMemoryBus`, the apps on it. */
export class InMemoryBackplane implements Backplane {
  private nodeId = '';

  constructor(private readonly bus: InMemoryBus = new InMemoryBus()) {}

  async start(nodeId: string, deliver: Subscriber): Promise<void> {
    this.nodeId = nodeId;
    this.bus.subscribers.set(nodeId, deliver);
  }

  publish(message: BackplaneMessage): void {
    for (const [node, deliver] of this.bus.subscribers) {
      if (node !== message.origin) deliver(message);
    }
  }

  reportCount(count: number): void {
    this.bus.counts.set(this.nodeId, count);
  }

  async clusterCount(): Promise<number> {
    let total = 0;
    for (const count of this.bus.counts.values()) total += count;
    return total;
  }

  stats(): BackplaneStats {
    return { undelivered: 0, connected: true };
  }

  async stop(): Promise<void> {
    this.bus.subscribers.delete(this.nodeId);
    this.bus.counts.delete(this.nodeId);
  }
}
