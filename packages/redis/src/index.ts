// The public API of @duet/redis, listed by name.
export { RedisBackplane, type RedisBackplaneStats } from './redis-backplane';
export { type RedisBackplaneOptions, defaultRetryStrategy } from './redis-backplane-options';
export { RedisBackplaneConfigError, RedisBackplaneError } from './errors';
