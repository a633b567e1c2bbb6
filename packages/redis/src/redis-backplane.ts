// `RedisBackplane`: carries Duet's broadcasts and room messages between processes over one
// Redis pub/sub channel, and sums their connection counts. Two connections, as Redis requires:
// one publishes and writes counts, one only listens. When Redis goes away, publishing is
// refused at once and counted (never queued without bound), the outage and the recovery are
// logged, and ioredis reconnects with a bounded backoff; local clients never notice.
import { Redis, type RedisOptions } from 'ioredis';
import {
  type Backplane,
  type BackplaneMessage,
  type BackplaneStats,
  DuetError,
  InvalidArgumentError,
  type Logger,
  consoleLogger,
} from '@duet/websocket';
import { NodeCounts } from './node-counts';
import { SequenceTracker } from './sequence-tracker';
import { type WireMessage, decodeWireMessage } from './wire-message';

/** The options of `new RedisBackplane(options)`. */
export interface RedisBackplaneOptions {
  /** Where Redis is, e.g. `redis://:secret@redis.internal:6379/0` (default `redis://127.0.0.1:6379`). */
  url?: string;
  /**
   * ioredis options, over Duet's defaults (a reconnect backoff of 100 ms doubling up to 1 s,
   * `disconnectTimeout` 200 ms).
   * `lazyConnect`, `enableOfflineQueue` and `autoResubscribe` are the backplane's own.
   */
  redis?: RedisOptions;
  /** The pub/sub channel every node of one cluster shares (default `'duet:broadcast'`). */
  channel?: string;
  /** Prefix of the keys holding connection counts (default `'duet:'`); one cluster, one prefix. */
  keyPrefix?: string;
  /** Seconds a node's count outlives its last refresh, i.e. how soon a crashed node's count vanishes (default 10). */
  countTtl?: number;
  /** Where the outage and recovery are reported (default: warnings to the console). */
  logger?: Logger;
}

/** `stats()` of a `RedisBackplane`. */
export interface RedisBackplaneStats extends BackplaneStats {
  /**
   * Broadcasts other nodes published that never arrived here (sent while this node's
   * subscription was down), counted from the first message this node got from each of them.
   */
  readonly missed: number;
}

/** Redis could not be reached when it had to be: at start, or for `clusterCount()`. */
export class RedisBackplaneError extends DuetError {
  readonly code = 'DUET_ERR_REDIS_BACKPLANE';
}

/** The default reconnect delay: 100 ms, doubling, at most 1 s between attempts. */
export function defaultRetryStrategy(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(attempt - 1, 0), 1000);
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
  private readonly channel: string;
  private readonly keyPrefix: string;
  private readonly countTtlMs: number;
  private readonly logger: Logger;
  private readonly options: RedisOptions;
  private readonly sequences = new SequenceTracker();
  private publisher: Redis | undefined;
  private subscriber: Redis | undefined;
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

  constructor(private readonly config: RedisBackplaneOptions = {}) {
    this.channel = config.channel ?? 'duet:broadcast';
    this.keyPrefix = config.keyPrefix ?? 'duet:';
    const ttl = config.countTtl ?? 10;
    if (typeof this.channel !== 'string' || this.channel === '') {
      throw new InvalidArgumentError('RedisBackplane: channel must be a non-empty string');
    }
    if (typeof this.keyPrefix !== 'string') throw new InvalidArgumentError('RedisBackplane: keyPrefix must be a string');
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0.1) {
      throw new InvalidArgumentError(`RedisBackplane: countTtl must be a number of seconds of at least 0.1, got ${ttl}`);
    }
    if (config.redis?.keyPrefix !== undefined) {
      throw new InvalidArgumentError("RedisBackplane: give the backplane's keyPrefix, not redis.keyPrefix");
    }
    this.countTtlMs = ttl * 1000;
    this.logger = config.logger ?? consoleLogger;
    this.options = {
      retryStrategy: defaultRetryStrategy,
      // ioredis waits this long for a socket to close on disconnect(), even one already closed
      // between reconnect attempts (its 2 s default kept a stopped process alive that long).
      disconnectTimeout: 200,
      ...config.redis,
      lazyConnect: true,
      // A publish while Redis is away is counted, not queued: the queue would grow without bound.
      enableOfflineQueue: false,
      // The subscriber resubscribes itself on 'ready', so the backplane knows when it listens again.
      autoResubscribe: false,
    };
  }

  /** Connects both connections and subscribes; rejects with `RedisBackplaneError` when Redis cannot be reached. */
  async start(nodeId: string, deliver: (message: BackplaneMessage) => void): Promise<void> {
    if (this.publisher !== undefined) throw new RedisBackplaneError('RedisBackplane: start() was called twice');
    this.nodeId = nodeId;
    this.deliver = deliver;
    const publisher = (this.publisher = this.connection('publisher'));
    const subscriber = (this.subscriber = this.connection('subscriber'));
    this.counts = new NodeCounts(publisher, this.keyPrefix, nodeId, this.countTtlMs);
    publisher.on('ready', () => this.onPublisherReady());
    subscriber.on('ready', () => void this.subscribe());
    subscriber.on('message', (_channel: string, raw: string) => this.receive(raw));
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
      await this.subscribed;
      if (!this.isSubscribed) throw this.lastError ?? new Error(`could not subscribe to ${this.channel}`);
      await this.counts.start();
    } catch (error) {
      await this.stop();
      const reason = this.lastError?.message ?? (error as Error).message;
      throw new RedisBackplaneError(`RedisBackplane: cannot reach Redis at ${this.address()}: ${reason}`, {
        cause: this.lastError ?? error,
      });
    }
    this.started = true;
    this.housekeeping = setInterval(
      () => this.sequences.forgetSilent(Date.now() - FORGET_SILENT_ORIGINS_MS),
      FORGET_SILENT_ORIGINS_MS,
    );
    this.housekeeping.unref();
  }

  /** Publishes to the other nodes; while Redis is away the message is counted in `stats().undelivered`. */
  publish(message: BackplaneMessage): void {
    const publisher = this.publisher;
    if (publisher === undefined || publisher.status !== 'ready' || this.stopped) {
      this.undelivered++;
      return;
    }
    const wire: WireMessage = { ...message, seq: ++this.sequence, failed: this.failedNumbered };
    publisher.publish(this.channel, JSON.stringify(wire)).catch(() => {
      // The socket closed under a 'ready' connection: counted here, not again by the receivers.
      this.undelivered++;
      this.failedNumbered++;
    });
  }

  /** Records this node's connection count; written to Redis at most every 500 ms. */
  reportCount(count: number): void {
    this.counts?.report(count);
  }

  /** Open connections over every live node; rejects with `RedisBackplaneError` while Redis is away. */
  async clusterCount(): Promise<number> {
    if (this.counts === undefined) throw new RedisBackplaneError('RedisBackplane: clusterCount() before start()');
    try {
      return await this.counts.sum();
    } catch (error) {
      throw new RedisBackplaneError(
        `RedisBackplane: the cluster count could not be read from Redis at ${this.address()}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** What could not cross (`undelivered` from here, `missed` from others) and whether both connections are up. */
  stats(): RedisBackplaneStats {
    return {
      undelivered: this.undelivered,
      connected: this.publisher?.status === 'ready' && this.isSubscribed,
      missed: this.sequences.missed,
    };
  }

  /** Removes this node's count, quits both connections and clears every timer. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.housekeeping);
    await this.counts?.stop().catch(() => {});
    await Promise.all([close(this.publisher), close(this.subscriber)]);
  }

  private connection(role: 'publisher' | 'subscriber'): Redis {
    const redis =
      this.config.url === undefined ? new Redis(this.options) : new Redis(this.config.url, this.options);
    // ioredis reports every failed reconnect attempt; the outage is logged once, on 'close'.
    redis.on('error', (error: Error) => (this.lastError = error));
    redis.on('close', () => this.onConnectionLost(role));
    return redis;
  }

  private subscribe(): Promise<void> {
    this.subscribed = this.subscriber!.subscribe(this.channel).then(
      () => {
        this.isSubscribed = true;
        this.checkRecovered();
      },
      (error: Error) => {
        // The connection dropped again before SUBSCRIBE was answered: the next 'ready' retries.
        this.lastError = error;
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
      this.logger.warn('Redis backplane ignored a malformed message on its channel', { channel: this.channel });
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
    const { host, port } = (this.publisher ?? this.subscriber)?.options ?? this.options;
    return `${host ?? '127.0.0.1'}:${port ?? 6379}`;
  }
}

/** Quits a connection politely when it is up, and waits until its socket is closed. */
async function close(redis: Redis | undefined): Promise<void> {
  if (redis === undefined || redis.status === 'end') return;
  if (redis.status === 'reconnecting') {
    redis.disconnect(); // no socket between attempts, only the timer of the next one to clear
    return;
  }
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
  await ended;
}
