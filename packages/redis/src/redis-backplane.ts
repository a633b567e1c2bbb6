// `RedisBackplane`: carries Duet's broadcasts and room messages between processes over one
// Redis pub/sub channel, and sums their connection counts. Two connections, as Redis requires:
// one publishes and writes counts, one only listens. When Redis goes away, or keeps its socket
// open but stops answering (see watched-connection.ts), publishing is refused at once and
// counted (never queued without bound), the outage and the recovery are logged once each, and
// ioredis reconnects with a bounded backoff; local clients never notice.
import { Redis } from 'ioredis';
import type { Backplane, BackplaneMessage, BackplaneNode, BackplaneStats, ClusterAnswer, Logger } from '@duet/websocket';
import { RedisBackplaneError } from './errors';
import { NodeCounts } from './node-counts';
import { type RedisBackplaneOptions, type ResolvedOptions, resolveOptions } from './redis-backplane-options';
import { SequenceTracker } from './sequence-tracker';
import { WatchedConnection } from './watched-connection';
import { type WireMessage, decodeWireMessage } from './wire-message';

/** `stats()` of a `RedisBackplane`. */
export interface RedisBackplaneStats extends BackplaneStats {
  /**
   * Broadcasts other nodes published that never arrived here (sent while this node's
   * subscription was down), counted from the first message this node got from each of them.
   */
  readonly missed: number;
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
  private readonly sequences = new SequenceTracker();
  private publisher: WatchedConnection | undefined;
  private subscriber: WatchedConnection | undefined;
  private counts: NodeCounts | undefined;
  private deliver: (message: BackplaneMessage) => void = () => {};
  private nodeId = '';
  private sequence = 0;
  private undelivered = 0;
  /** Numbered publishes that failed: receivers do not count those numbers as missed. */
  private failedNumbered = 0;
  private subscribed: Promise<void> | undefined;
  private isSubscribed = false;
  private started = false;
  private stopped = false;
  private outage: { since: number; undelivered: number; missed: number } | undefined;
  private lastError: Error | undefined;
  private housekeeping: NodeJS.Timeout | undefined;

  /** Checks every option; throws `RedisBackplaneConfigError` naming the first invalid one. */
  constructor(options: RedisBackplaneOptions = {}) {
    this.options = resolveOptions(options);
    this.logger = this.options.logger;
  }

  /**
   * Connects both connections and subscribes; rejects with `RedisBackplaneError` when Redis
   * cannot be reached, or has not answered within `connectTimeout`.
   */
  async start(nodeId: string, node: BackplaneNode): Promise<void> {
    if (this.publisher !== undefined) throw new RedisBackplaneError('RedisBackplane: start() was called twice');
    this.nodeId = nodeId;
    this.deliver = (message) => node.deliver(message);
    const publisher = (this.publisher = this.connection('publisher'));
    const subscriber = (this.subscriber = this.connection('subscriber'));
    const counts = (this.counts = new NodeCounts(publisher, this.options.keyPrefix, nodeId, this.options.countTtlMs));
    publisher.redis.on('ready', () => this.onPublisherReady());
    subscriber.redis.on('ready', () => void this.subscribe());
    subscriber.redis.on('message', (_channel: string, raw: string) => this.receive(raw));
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
    this.housekeeping = setInterval(
      () => this.sequences.forgetSilent(Date.now() - FORGET_SILENT_ORIGINS_MS),
      FORGET_SILENT_ORIGINS_MS,
    );
    this.housekeeping.unref();
  }

  /**
   * Publishes to the other nodes. Refused and counted in `stats().undelivered` while Redis is
   * away or silent, or when `maxPendingPublishes` are waiting for an answer; counted as well
   * when Redis does not answer within `commandTimeout`.
   */
  publish(message: BackplaneMessage): void {
    const publisher = this.publisher;
    if (
      publisher === undefined ||
      !publisher.usable ||
      publisher.pending >= this.options.maxPendingPublishes ||
      this.stopped
    ) {
      this.undelivered++;
      return;
    }
    const wire: WireMessage = { ...message, seq: ++this.sequence, failed: this.failedNumbered };
    publisher.sent();
    publisher.redis.publish(this.options.channel, JSON.stringify(wire)).then(publisher.answered, this.publishFailed);
  }

  /** Not carried over Redis yet (the cluster requests are being built): rejects. */
  request(kind: string, _body: unknown): Promise<ClusterAnswer[]> {
    return Promise.reject(new RedisBackplaneError(`RedisBackplane: cluster request '${kind}' is not carried yet`));
  }

  /** Not carried over Redis yet: counted as undelivered. */
  signal(_kind: string, _body: unknown): void {
    this.undelivered++;
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
      // ioredis fails a command in flight this way when its socket closes: say why it closed.
      const closed = (error as Error).name === 'MaxRetriesPerRequestError';
      const reason = closed ? `the connection closed before Redis answered: ${this.lastError?.message}` : (error as Error).message;
      throw new RedisBackplaneError(`RedisBackplane: the cluster count could not be read from Redis at ${this.address()}: ${reason}`, {
        cause: error,
      });
    }
  }

  /** What could not cross (`undelivered` from here, `missed` from others) and whether both connections are up and answering. */
  stats(): RedisBackplaneStats {
    return {
      undelivered: this.undelivered,
      connected: this.publisher?.usable === true && this.subscriber?.usable === true && this.isSubscribed,
      missed: this.sequences.missed,
    };
  }

  /** Removes this node's count, quits both connections and clears every timer; within `commandTimeout` when Redis is silent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.housekeeping);
    await this.counts?.stop().catch(() => {});
    await Promise.all([close(this.publisher), close(this.subscriber)]);
  }

  /** A publish that Redis refused or that failed with its socket: counted here, not again by the receivers. */
  private readonly publishFailed = (error: unknown): void => {
    this.publisher?.failed(error);
    this.undelivered++;
    this.failedNumbered++;
  };

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
    this.subscribed = subscriber.track(subscriber.redis.subscribe(this.options.channel)).then(
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
    // After a restart Redis may have lost this node's count: write it again at once.
    if (this.outage !== undefined) void this.counts?.write().catch(() => {});
    this.checkRecovered();
  }

  private onConnectionLost(role: 'publisher' | 'subscriber'): void {
    if (role === 'subscriber') this.isSubscribed = false;
    if (!this.started || this.stopped || this.outage !== undefined) return;
    this.outage = { since: Date.now(), undelivered: this.undelivered, missed: this.sequences.missed };
    this.logger.warn('Redis backplane lost its connection to Redis; reconnecting. Broadcasts to other processes are counted as undelivered meanwhile', {
      redis: this.address(),
      connection: role,
      error: this.lastError?.message,
    });
  }

  private checkRecovered(): void {
    const outage = this.outage;
    if (outage === undefined || this.stopped || !this.stats().connected) return;
    this.outage = undefined;
    this.logger.warn('Redis backplane reconnected to Redis', {
      redis: this.address(),
      outageMs: Date.now() - outage.since,
      undelivered: this.undelivered - outage.undelivered,
      missed: this.sequences.missed - outage.missed,
    });
  }

  private receive(raw: string): void {
    const message = decodeWireMessage(raw);
    if (message === undefined) {
      this.logger.warn('Redis backplane ignored a malformed message on its channel', { channel: this.options.channel });
      return;
    }
    if (message.origin === this.nodeId || !this.sequences.accept(message.origin, message.seq, message.failed)) return;
    const { seq: _seq, failed: _failed, ...broadcast } = message;
    try {
      this.deliver(broadcast);
    } catch (error) {
      this.logger.error('Redis backplane could not deliver a message locally', { error: (error as Error).message });
    }
  }

  /** host:port only: a URL may carry a password, which never goes to a log. */
  private address(): string {
    const { host, port } = (this.publisher ?? this.subscriber)?.redis.options ?? this.options.redis;
    return `${host ?? '127.0.0.1'}:${port ?? 6379}`;
  }
}

/**
 * Quits a connection politely when it is up, and waits until its socket is closed; a silent
 * Redis fails the QUIT within `commandTimeout`, and the socket is then closed without it.
 */
async function close(connection: WatchedConnection | undefined): Promise<void> {
  if (connection === undefined) return;
  const redis = connection.redis;
  if (redis.status === 'end') return connection.dispose();
  if (redis.status === 'reconnecting') {
    redis.disconnect(); // no socket between attempts, only the timer of the next one to clear
    return connection.dispose();
  }
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  if (connection.usable) await connection.track(redis.quit()).catch(() => redis.disconnect());
  else redis.disconnect();
  await ended;
  connection.dispose();
}
