// The backplane: how broadcasts, cluster-wide questions and presence reach the other processes
// of a cluster. The core only knows this interface; the in-memory one below is the default (one
// process, or several apps in one process sharing a bus), and @duet/redis provides one across
// machines. A backplane moves messages and knows which nodes are alive; what the messages mean
// (membership, presence, remote operations) is the registry's business, so every backplane
// behaves the same.

/** A broadcast as it travels between processes. Exactly one of `text` and `binary` is set. */
export interface BackplaneMessage {
  /** The node that published it (it has delivered locally already). */
  readonly origin: string;
  /**
   * Deliver to connections in any of these rooms, or whose connection id is one of them (each
   * connection once); `undefined` = every connection.
   */
  readonly rooms?: readonly string[];
  /** Deliver to connections of the service on this path only. */
  readonly servicePath?: string;
  /** Connections in any of these rooms, or whose connection id is one of them, do not receive it. */
  readonly except?: readonly string[];
  /** The source of a predicate `(caller) => boolean` each node runs on its own connections (`.filter()`). */
  readonly filter?: string;
  readonly text?: string;
  /** Base64 of binary data, so every transport can carry it as text. */
  readonly binary?: string;
}

/** A question one node asks every other live node (cluster membership, remote operations, presence state). */
export interface ClusterRequest {
  /** The asking node. */
  readonly origin: string;
  /** What is asked, e.g. `'members'`; the registry defines the kinds. */
  readonly kind: string;
  /** A JSON value. */
  readonly body: unknown;
}

/** One node's answer to a `ClusterRequest`. */
export interface ClusterAnswer {
  readonly node: string;
  /** A JSON value. */
  readonly body: unknown;
}

/** A one-way message to every other node (presence diffs). */
export interface ClusterSignal {
  readonly origin: string;
  readonly kind: string;
  /** A JSON value. */
  readonly body: unknown;
}

/** What a node hands its backplane at start: where the other nodes' traffic goes. */
export interface BackplaneNode {
  /** A broadcast another node published. */
  deliver(message: BackplaneMessage): void;
  /** Another node's request; the JSON value returned travels back to it. Synchronous. */
  answer(request: ClusterRequest): unknown;
  /** Another node's signal. */
  signal(signal: ClusterSignal): void;
  /**
   * Other nodes that left the cluster: stopped, or gone silent (crashed) for longer than the
   * backplane's liveness window (`countTtl` for Redis). Each node is reported once.
   */
  nodesLeft(nodes: readonly string[]): void;
  /**
   * The backplane is connected again after an outage (for Redis: both connections ready and
   * subscribed). Signals may have been lost both ways meanwhile, so the registry resyncs
   * presence: it signals its whole state and asks the others for theirs (docs/cluster.md, "After
   * an outage"). Optional: call it once each time the link is back; a backplane that cannot lose
   * its link never calls it.
   */
  reconnected?(): void;
}

/** Reports from a backplane about what it could not do. */
export interface BackplaneStats {
  /** Broadcasts that could not be published to other processes (e.g. while Redis was down). */
  readonly undelivered: number;
  readonly connected: boolean;
  /** Requests some live node did not answer in time (its answer was left out), since start. */
  readonly unanswered?: number;
}

export interface Backplane {
  /** Connects and starts handing other nodes' traffic to `node`. */
  start(nodeId: string, node: BackplaneNode): Promise<void>;
  /** Sends a broadcast to the other nodes. Never throws: failures are counted in `stats()`. */
  publish(message: BackplaneMessage): void;
  /**
   * Asks every other live node and resolves with their answers (not this node's own: the
   * registry answers for itself). A live node that does not answer in time is left out and
   * counted in `stats().unanswered`; rejects (with the backplane's own error) when the request
   * cannot be sent at all, e.g. while Redis is away.
   */
  request(kind: string, body: unknown): Promise<ClusterAnswer[]>;
  /** Sends a signal to every other node. Never throws: failures are counted in `stats().undelivered`. */
  signal(kind: string, body: unknown): void;
  /** Reports this node's open connection count, for `clusterCount()`. */
  reportCount(count: number): void;
  /** Open connections over every node. */
  clusterCount(): Promise<number>;
  stats(): BackplaneStats;
  stop(): Promise<void>;
}

/** The container token for the backplane (bound by `webSocketModule({ backplane })`). */
export const BACKPLANE = Symbol.for('@duet/websocket:backplane');

/** Lets several apps in one process act as a cluster (tests, workers sharing a process). */
export class InMemoryBus {
  readonly nodes = new Map<string, BackplaneNode>();
  readonly counts = new Map<string, number>();
}

/** The default backplane: no other process; with a shared `InMemoryBus`, the apps on it. */
export class InMemoryBackplane implements Backplane {
  private nodeId = '';

  constructor(private readonly bus: InMemoryBus = new InMemoryBus()) {}

  async start(nodeId: string, node: BackplaneNode): Promise<void> {
    this.nodeId = nodeId;
    this.bus.nodes.set(nodeId, node);
  }

  publish(message: BackplaneMessage): void {
    for (const [id, node] of this.bus.nodes) {
      if (id !== message.origin) node.deliver(message);
    }
  }

  async request(kind: string, body: unknown): Promise<ClusterAnswer[]> {
    const request: ClusterRequest = { origin: this.nodeId, kind, body: copy(body) };
    const answers: ClusterAnswer[] = [];
    for (const [id, node] of this.bus.nodes) {
      if (id !== this.nodeId) answers.push({ node: id, body: copy(node.answer(request)) });
    }
    return answers;
  }

  signal(kind: string, body: unknown): void {
    const signal: ClusterSignal = { origin: this.nodeId, kind, body: copy(body) };
    for (const [id, node] of this.bus.nodes) {
      if (id !== this.nodeId) node.signal(signal);
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
    return { undelivered: 0, connected: true, unanswered: 0 };
  }

  async stop(): Promise<void> {
    if (!this.bus.nodes.delete(this.nodeId)) return;
    this.bus.counts.delete(this.nodeId);
    for (const node of this.bus.nodes.values()) node.nodesLeft([this.nodeId]);
  }
}

/** What crosses a process boundary is JSON: the in-memory bus copies it the same way, so nothing is shared by reference. */
function copy(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
