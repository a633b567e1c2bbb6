// `RedisBackplane`: carries Duet's broadcasts, cluster requests and signals between processes
// over Redis pub/sub, sums their connection counts, and tells each node which others left.
// Two connections, as Redis requires: one publishes and writes counts (outbound-messages.ts),
// one only listens (inbound-messages.ts). Broadcasts, signals, requests and left notices go on
// the shared channel; answers go on the asker's own channel (`<channel>:<node>`), so that N
// nodes answering do not make every node read N answers meant for one. Both channels are read
// by the one subscriber connection, and everything a node sends goes through its one
// publisher: Redis hands a subscriber connection its messages in the order the PUBLISHes ran,
// across channels, so a node's answers and signals reach each other node in the order it sent
// them. When Redis goes away, or keeps its socket open but stops answering (see
// watched-connection.ts), publishing is refused at once and counted (never queued without
// bound), the outage and the recovery are logged once each (outage.ts), and ioredis
// reconnects with a bounded backoff; local clients never notice.
import { Redis } from 'ioredis';
import type { Backplane, BackplaneMessage, BackplaneNode, BackplaneStats, ClusterAnswer, Logger } from '@duet/websocket';
import { RedisBackplaneError } from './errors';
import { NodeCounts } from './node-counts';
import { InboundMessages } from './inbound-messages';
import { NodeLiveness } from './node-liveness';
import { Outage } from './outage';
import { OutboundMessages } from './outbound-messages';
import { PendingRequests } from './pending-requests';
import { type RedisBackplaneOptions, type ResolvedOptions, resolveOptions } from './redis-backplane-options';
import { WatchedConnection } from './watched-connection';
import type { WireRequest } from './wire-message';

/** `stats()` of a `RedisBackplane`. */
export interface RedisBackplaneStats extends BackplaneStats {
  /**
   * Broadcasts, signals and answers to other nodes' requests that could not be published (while
   * Redis was away or silent, or when `maxPendingPublishes` were waiting).
   */
  readonly undelivered: number;
  /**
   * Broadcasts and signals other nodes published that never arrived here (sent while this
   * node's subscription was down), counted from the first message this node got from each of them.
   */
  readonly missed: number;
  /**
   * Answers left out of this node's cluster requests: one per live node that did not answer
   * within `commandTimeout`, or that had no answer to give (its registry threw).
   */
  readonly unanswered: number;
}

const FORGET_SILENT_ORIGINS_MS = 10 * 60_000;

/**
 * A backplane over Redis pub/sub: every process of a cluster passes the same options, and
 * broadcasts and room messages reach the matching connections on all of them, once each.
 *
 * @example
 * ```ts
 * import { RedisBackplane } from '@duet/redis';
 * container.load(webSocketModule({
 *   port: 8080,
 *   services: [ChatService],
 *   backplane: new RedisBackplane({ url: process.env.REDIS_URL }),
 * }));
 * ```
 */
export class RedisBackplane implements Backplane {
  private readonly options: ResolvedOptions;
  private readonly logger: Logger;
  private readonly outbound: OutboundMessages;
  private publisher: WatchedConnection | undefined;
  private subscriber: WatchedConnection | undefined;
  private counts: NodeCounts | undefined;
  private liveness: NodeLiveness | undefined;
  private requests: PendingRequests | undefined;
  private inbound: InboundMessages | undefined;
  private node: BackplaneNode | undefined;
  private nodeId = '';
  /** This node's own channel, where the answers to its requests arrive. */
  private answerChannel = '';
  private subscribed: Promise<void> | undefined;
  private isSubscribed = false;
  private started = false;
  private stopped = false;
  private outage: Outage | undefined;
  private lastError: Error | undefined;
  private housekeeping: NodeJS.Timeout | undefined;

  /** Checks every option; throws `RedisBackplaneConfigError` naming the first invalid one. */
  constructor(options: RedisBackplaneOptions = {}) {
    this.options = resolveOptions(options);
    this.logger = this.options.logger;
    this.outbound = new OutboundMessages(this.options.channel, () => this.nodeId, this.options.maxPendingPublishes, this.logger);
  }

  /**
   * Connects both connections and subscribes; rejects with `RedisBackplaneError` when Redis
   * cannot be reached, or has not answered within `connectTimeout`.
   */
  async start(nodeId: string, node: BackplaneNode): Promise<void> {
    if (this.publisher !== undefined) throw new RedisBackplaneError('RedisBackplane: start() was called twice');
    const { channel, keyPrefix, countTtlMs, commandTimeoutMs, maxPendingRequests } = this.options;
    this.nodeId = nodeId;
    this.node = node;
    this.answerChannel = `${channel}:${nodeId}`;
    const publisher = (this.publisher = this.outbound.publisher = this.connection('publisher'));
    const subscriber = (this.subscriber = this.connection('subscriber'));
    const counts = (this.counts = new NodeCounts(publisher, keyPrefix, nodeId, countTtlMs));
    const inbound = (this.inbound = new InboundMessages(nodeId, node, this.outbound, this.logger));
    const requests = (this.requests = inbound.requests = new PendingRequests(nodeId, commandTimeoutMs, maxPendingRequests, (answered) => inbound.inbox.requestSettled(answered)));
    const liveness = (this.liveness = inbound.liveness = new NodeLiveness(counts, publisher, nodeId, countTtlMs, (nodes) => inbound.nodesLeft(nodes)));
    publisher.redis.on('ready', () => this.onPublisherReady());
    subscriber.redis.on('ready', () => void this.subscribe());
    subscriber.redis.on('message', (from: string, raw: string) => inbound.receive(from, raw));
    // Each attempt is bounded, and so is the whole: SUBSCRIBE and the first count write too.
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => {
        const error = new Error(`no answer within connectTimeout (${this.options.connectTimeoutMs} ms)`);
        this.lastError ??= error;
        reject(error);
      }, this.options.connectTimeoutMs);
    });
    const connected = (async () => {
      await Promise.all([publisher.redis.connect(), subscriber.redis.connect()]);
      await this.subscribed;
      if (!this.isSubscribed) throw this.lastError ?? new Error(`could not subscribe to ${this.options.channel}`);
      await counts.start();
      await liveness.start();
    })();
    connected.catch(() => {}); // when the deadline wins, stop() fails what is left of it
    try {
      await Promise.race([connected, timedOut]);
    } catch (error) {
      await this.stop();
      const reason = this.lastError?.message ?? (error as Error).message;
      throw new RedisBackplaneError(`RedisBackplane: cannot reach Redis at ${this.address()}: ${reason}`, {
        cause: this.lastError ?? error,
      });
    } finally {
      clearTimeout(deadline);
    }
    this.started = true;
    this.housekeeping = setInterval(() => {
      inbound.forgetSilent(Date.now() - FORGET_SILENT_ORIGINS_MS);
      liveness.forgetReported(Date.now() - FORGET_SILENT_ORIGINS_MS);
    }, FORGET_SILENT_ORIGINS_MS);
    this.housekeeping.unref();
  }

  /**
   * Publishes to the other nodes. Refused and counted in `stats().undelivered` while Redis is
   * away or silent, or when `maxPendingPublishes` are waiting for an answer; counted as well
   * when Redis does not answer within `commandTimeout`.
   */
  publish(message: BackplaneMessage): void {
    this.outbound.broadcast(message);
  }

  /**
   * Asks every other live node (those whose count key has not expired when Redis publishes the
   * request) and resolves with their answers, once every one has answered or left, or at
   * `commandTimeout` without the missing ones (counted in `stats().unanswered`). Rejects with
   * `RedisBackplaneError` while Redis is away, when it has not answered within
   * `commandTimeout`, when the subscription that brings the answers drops meanwhile, or when
   * `maxPendingRequests` are open already.
   */
  async request(kind: string, body: unknown): Promise<ClusterAnswer[]> {
    const { requests, counts, publisher } = this;
    if (requests === undefined || counts === undefined || publisher === undefined || this.stopped) {
      throw new RedisBackplaneError(`RedisBackplane: cluster request '${kind}' before start() or after stop()`);
    }
    if (!publisher.usable || !this.isSubscribed) {
      throw this.requestError(kind, new Error(`not connected (last error: ${this.lastError?.message ?? 'none'})`));
    }
    if (!this.outbound.open) {
      throw this.requestError(kind, new Error(`${this.outbound.pending} publishes are waiting for Redis already (maxPendingPublishes)`));
    }
    const { id, answers } = requests.begin(kind);
    let payload: string;
    try {
      payload = JSON.stringify({ type: 'request', origin: this.nodeId, id, kind, body } satisfies WireRequest);
    } catch (error) {
      requests.fail(id, new Error(`its body is not JSON: ${(error as Error).message}`));
      payload = '';
    }
    if (payload !== '') {
      const read = this.liveness!.readStarted();
      this.outbound.track(counts.publishToLive(this.options.channel, payload)).then(
        (live) => {
          this.liveness?.observe(live, read);
          requests.publishedTo(id, live);
        },
        (error: Error) => requests.fail(id, error),
      );
    }
    try {
      return await answers;
    } catch (error) {
      throw error instanceof RedisBackplaneError ? error : this.requestError(kind, error as Error);
    }
  }

  /**
   * Sends a signal to every other node, numbered with the broadcasts. Refused and counted in
   * `stats().undelivered` under the same rules as `publish()`; never queued.
   */
  signal(kind: string, body: unknown): void {
    this.outbound.signal(kind, body);
  }

  /** Records this node's connection count; written to Redis at most every 500 ms. */
  reportCount(count: number): void {
    this.counts?.report(count);
  }

  /**
   * Open connections over every live node; rejects with `RedisBackplaneError` while Redis is
   * away, or when it has not answered within `commandTimeout`.
   */
  async clusterCount(): Promise<number> {
    if (this.counts === undefined) throw new RedisBackplaneError('RedisBackplane: clusterCount() before start()');
    try {
      if (!this.publisher!.usable) throw new Error(`not connected (last error: ${this.lastError?.message ?? 'none'})`);
      return await this.counts.sum();
    } catch (error) {
      const reason = this.reasonOf(error as Error);
      throw new RedisBackplaneError(`RedisBackplane: the cluster count could not be read from Redis at ${this.address()}: ${reason}`, {
        cause: error,
      });
    }
  }

  /** What could not cross (`undelivered` from here, `missed` from others) and whether both connections are up and answering. */
  stats(): RedisBackplaneStats {
    return {
      undelivered: this.outbound.undelivered,
      connected: this.publisher?.usable === true && this.subscriber?.usable === true && this.isSubscribed,
      missed: this.inbound?.missed ?? 0,
      unanswered: this.requests?.unanswered ?? 0,
    };
  }

  /**
   * Removes this node's count and tells the other nodes it left (one transaction), fails the
   * requests still open, quits both connections and clears every timer; within
   * `commandTimeout` when Redis is silent.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = this.outbound.stopped = true;
    clearInterval(this.housekeeping);
    this.liveness?.stop();
    this.requests?.failAll((kind) => new RedisBackplaneError(`RedisBackplane: cluster request '${kind}' failed: the backplane stopped`));
    this.inbound?.stop();
    const farewell = [this.options.channel, JSON.stringify({ type: 'left', origin: this.nodeId })] as const;
    await this.counts?.stop(farewell).catch(() => {});
    await Promise.all([this.publisher?.close(), this.subscriber?.close()]);
  }

  private requestError(kind: string, error: Error): RedisBackplaneError {
    const reason = this.reasonOf(error);
    return new RedisBackplaneError(`RedisBackplane: cluster request '${kind}' could not be answered over Redis at ${this.address()}: ${reason}`, {
      cause: error,
    });
  }

  /** Why a command failed. ioredis fails a command in flight by name when its socket closes: say why it closed. */
  private reasonOf(error: Error): string {
    return error.name === 'MaxRetriesPerRequestError' ? `the connection closed before Redis answered: ${this.lastError?.message}` : error.message;
  }

  private connection(role: 'publisher' | 'subscriber'): WatchedConnection {
    const { url, redis: options, connectTimeoutMs, commandTimeoutMs } = this.options;
    const redis = url === undefined ? new Redis(options) : new Redis(url, options);
    // ioredis reports every failed reconnect attempt, and the fallout of a socket given up on;
    // the first error since a connection was last ready says why, and goes with the outage's
    // log line, logged once, on 'close'.
    redis.on('error', (error: Error) => (this.lastError ??= error));
    redis.on('ready', () => (this.lastError = undefined));
    redis.on('close', () => this.onConnectionLost(role));
    return new WatchedConnection(redis, connectTimeoutMs, commandTimeoutMs, (reason) => this.onSilent(reason));
  }

  /** Redis holds a socket open without answering: both connections start over. */
  private onSilent(reason: Error): void {
    this.lastError ??= reason;
    this.publisher?.giveUp(reason);
    this.subscriber?.giveUp(reason);
  }

  private subscribe(): Promise<void> {
    const subscriber = this.subscriber!;
    this.subscribed = subscriber.track(subscriber.redis.subscribe(this.options.channel, this.answerChannel)).then(
      () => {
        this.isSubscribed = true;
        this.checkRecovered();
      },
      (error: Error) => {
        // The connection dropped again before SUBSCRIBE was answered: the next 'ready' retries.
        this.lastError ??= error;
      },
    );
    return this.subscribed;
  }

  private onPublisherReady(): void {
    // After a restart Redis may have lost this node's count: write it again at once. The
    // other nodes may not have yet: none is taken for gone until they had time to.
    if (this.outage !== undefined) {
      void this.counts?.write().catch(() => {});
      this.liveness?.reconnected();
    }
    this.checkRecovered();
  }

  private onConnectionLost(role: 'publisher' | 'subscriber'): void {
    if (role === 'subscriber') {
      this.isSubscribed = false;
      // The answers to the open requests would come on this connection: they cannot any more.
      if (!this.stopped) {
        this.requests?.failAll((kind) => this.requestError(kind, new Error(`the subscription closed before every node answered${this.lastError ? `: ${this.lastError.message}` : ''}`)));
      }
    }
    if (!this.started || this.stopped || this.outage !== undefined) return;
    this.outage = new Outage(this.node!, this.logger, this.address(), role, this.lastError, this.outbound.undelivered, this.inbound!.missed);
  }

  private checkRecovered(): void {
    const outage = this.outage;
    if (outage === undefined || this.stopped || !this.stats().connected) return;
    this.outage = undefined;
    outage.ended(this.outbound.undelivered, this.inbound!.missed);
  }

  /** host:port only: a URL may carry a password, which never goes to a log. */
  private address(): string {
    const { host, port } = (this.publisher ?? this.subscriber)?.redis.options ?? this.options.redis;
    return `${host ?? '127.0.0.1'}:${port ?? 6379}`;
  }
}
