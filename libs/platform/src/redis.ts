import { Redis, type RedisOptions } from 'ioredis';

export { Redis } from 'ioredis';

/**
 * ioredis connections for the two roles BullMQ distinguishes. Producers (the API) fail fast while
 * Redis is away so a request never hangs on it; consumers (workers, blocking reads) wait and retry
 * forever, as BullMQ requires.
 */
export function createRedis(url: string, role: 'producer' | 'consumer', extra: RedisOptions = {}): Redis {
  const common: RedisOptions = {
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...extra,
  };
  return new Redis(
    url,
    role === 'producer'
      ? { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false }
      : { ...common, maxRetriesPerRequest: null },
  );
}
