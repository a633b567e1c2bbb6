// The options of `new RedisBackplane()`: what each one means, its default, and the checks run
// once, at construction, so that a misconfigured backplane throws before anything connects.
import type { RedisOptions } from 'ioredis';
import { type Logger, consoleLogger } from '@duet/websocket';
import { type ConfigErrorFactory, MAX_TIMER_MS, count, describeValue as describe, seconds as secondsOf } from '@duet/websocket/internal';
import { RedisBackplaneConfigError } from './errors';

/** The options of `new RedisBackplane(options)`. */
export interface RedisBackplaneOptions {
  /** Where Redis is, e.g. `redis://:secret@redis.internal:6379/0` (default `redis://127.0.0.1:6379`). */
  url?: string;
  /**
   * ioredis options, over Duet's defaults (a reconnect backoff of 100 ms doubling up to 1 s,
   * `disconnectTimeout` 200 ms).
   * `lazyConnect`, `enableOfflineQueue`, `autoResubscribe` and `maxRetriesPerRequest` are the
   * backplane's own; give `connectTimeout` and `commandTimeout` to the backplane, not here.
   */
  redis?: RedisOptions;
  /** The pub/sub channel every node of one cluster shares (default `'duet:broadcast'`). */
  channel?: string;
  /** Prefix of the keys holding connection counts (default `'duet:'`); one cluster, one prefix. */
  keyPrefix?: string;
  /**
   * Seconds a node's count outlives its last refresh (default 10): how soon a crashed node's
   * count vanishes, and, a quarter of it later at most, the other nodes report it as left
   * (its members and presences drop out). A node refreshes its count every third of this.
   */
  countTtl?: number;
  /**
   * Seconds a connection attempt may take, from opening the socket to Redis answering the
   * handshake (default 10). `start()` fails with `RedisBackplaneError` within this time when
   * Redis cannot be reached or accepts the connection but never answers; later attempts that
   * take longer are abandoned and retried.
   */
  connectTimeout?: number;
  /**
   * Seconds Redis may leave a command unanswered (default 2). Past that, Redis is
   * treated as gone although its socket is open (a frozen or overloaded server): both
   * connections are closed and reconnected, the publishes waiting for an answer are counted as
   * undelivered (one Redis had already received may still run if it wakes up), later ones are
   * refused at once until Redis answers again, and a `clusterCount()` waiting for it rejects.
   * An idle node finds out at its next count refresh, every third of `countTtl`. A cluster
   * request resolves within this time too, without the answers of nodes that gave none.
   */
  commandTimeout?: number;
  /**
   * Publishes sent to Redis and not yet answered (default 10000). Beyond this, a publish is
   * refused and counted as undelivered: what waits for a slow or frozen Redis stays bounded
   * (about 1 KiB per short message, some 10 MiB at the default) until `commandTimeout` ends the
   * wait. A healthy local Redis keeps a few dozen waiting; only a burst of more than this many
   * broadcasts in one turn of the event loop would reach it.
   */
  maxPendingPublishes?: number;
  /**
   * Cluster requests (`registry.cluster.membersOf()`, `presence()`, remote operations) this
   * node may have waiting for answers at once (default 1000). Beyond this, a request rejects at
   * once with `RedisBackplaneError`: each waits at most `commandTimeout`, so a node answering
   * nothing cannot make the others pile up requests without bound.
   */
  maxPendingRequests?: number;
  /** Where the outage and recovery are reported (default: warnings to the console). */
  logger?: Logger;
}

/** The default reconnect delay: 100 ms, doubling, at most 1 s between attempts. */
export function defaultRetryStrategy(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(attempt - 1, 0), 1000);
}

/** @internal The options with their defaults filled in, checked. */
export interface ResolvedOptions {
  readonly url: string | undefined;
  readonly channel: string;
  readonly keyPrefix: string;
  readonly countTtlMs: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly maxPendingPublishes: number;
  readonly maxPendingRequests: number;
  readonly logger: Logger;
  /** What every ioredis connection of the backplane is created with. */
  readonly redis: RedisOptions;
}

const configError: ConfigErrorFactory = (field, problem) => new RedisBackplaneConfigError(field, problem);

/** @internal Fills in the defaults and throws `RedisBackplaneConfigError` naming the first bad option. */
export function resolveOptions(options: RedisBackplaneOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new RedisBackplaneConfigError('options', `must be an object, got ${describe(options)}`);
  }
  const { url, channel = 'duet:broadcast', keyPrefix = 'duet:', countTtl = 10, logger = consoleLogger } = options;
  if (url !== undefined && typeof url !== 'string') throw new RedisBackplaneConfigError('url', `must be a string, got ${describe(url)}`);
  if (typeof channel !== 'string' || channel === '') {
    throw new RedisBackplaneConfigError('channel', `must be a non-empty string, got ${describe(channel)}`);
  }
  if (typeof keyPrefix !== 'string') throw new RedisBackplaneConfigError('keyPrefix', `must be a string, got ${describe(keyPrefix)}`);
  // The count is refreshed every third of its TTL, on a Node timer.
  if (typeof countTtl !== 'number' || !(countTtl >= 0.1 && countTtl * 1000 <= MAX_TIMER_MS)) {
    throw new RedisBackplaneConfigError('countTtl', `must be a number of seconds from 0.1 to ${MAX_TIMER_MS / 1000}, got ${describe(countTtl)}`);
  }
  const redis = options.redis ?? {};
  if (redis === null || typeof redis !== 'object') throw new RedisBackplaneConfigError('redis', `must be ioredis options, got ${describe(redis)}`);
  for (const own of ['keyPrefix', 'connectTimeout', 'commandTimeout'] as const) {
    if (redis[own] !== undefined) throw new RedisBackplaneConfigError(`redis.${own}`, `is the backplane's own: give ${own} to RedisBackplane, not to redis`);
  }
  const connectTimeoutMs = Math.ceil(secondsOf(configError, 'connectTimeout', options.connectTimeout, 10, 'positive') * 1000);
  return {
    url,
    channel,
    keyPrefix,
    countTtlMs: countTtl * 1000,
    connectTimeoutMs,
    commandTimeoutMs: Math.ceil(secondsOf(configError, 'commandTimeout', options.commandTimeout, 2, 'positive') * 1000),
    maxPendingPublishes: count(configError, 'maxPendingPublishes', options.maxPendingPublishes, 10_000),
    maxPendingRequests: count(configError, 'maxPendingRequests', options.maxPendingRequests, 1000),
    logger,
    redis: {
      retryStrategy: defaultRetryStrategy,
      // ioredis waits this long for a socket to close on disconnect(), even one already closed
      // between reconnect attempts (its 2 s default kept a stopped process alive that long).
      disconnectTimeout: 200,
      ...redis,
      // ioredis bounds only the TCP connect with it; the backplane bounds the handshake too.
      connectTimeout: connectTimeoutMs,
      lazyConnect: true,
      // A publish while Redis is away is counted, not queued: the queue would grow without bound.
      enableOfflineQueue: false,
      // Commands in flight when a connection closes fail at once instead of waiting to be sent
      // again after a reconnect: a broadcast is delivered now or counted, never minutes late.
      maxRetriesPerRequest: 0,
      // The subscriber resubscribes itself on 'ready', so the backplane knows when it listens again.
      autoResubscribe: false,
    },
  };
}
