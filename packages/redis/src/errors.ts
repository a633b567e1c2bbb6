// The errors @duet/redis raises, each a class with a stable `code`, as in @duet/websocket.
import { ConfigError, DuetError } from '@duet/websocket';

/**
 * Redis could not be reached, or did not answer in time, when it had to: at start, for
 * `clusterCount()`, or for a cluster request (which also rejects with it when `maxPendingRequests`
 * are waiting already).
 */
export class RedisBackplaneError extends DuetError {
  readonly code = 'DUET_ERR_REDIS_BACKPLANE';
}

/** An option of `new RedisBackplane(options)` is invalid; thrown by the constructor, naming the option in `field`. */
export class RedisBackplaneConfigError extends ConfigError {
  readonly code = 'DUET_ERR_REDIS_BACKPLANE_CONFIG';

  constructor(field: string, problem: string) {
    super('RedisBackplane', field, `RedisBackplane: '${field}' ${problem}`);
  }
}
