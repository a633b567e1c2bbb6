// The public API of @duet/redis, listed by name.
export {
  RedisBackplane,
  RedisBackplaneError,
  defaultRetryStrategy,
  type RedisBackplaneOptions,
  type RedisBackplaneStats,
} from './redis-backplane';
