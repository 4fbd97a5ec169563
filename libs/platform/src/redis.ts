import { Redis, type RedisOptions } from 'ioredis';

export { Redis } from 'ioredis';

/**
 * ioredis connections for the two roles BullMQ distinguishes. Producers (the API) give up on a
 * command after one reconnection attempt, so nothing waits long or piles up while Redis is away;
 * consumers (workers, blocking reads) wait and retry forever, as BullMQ requires.
 */
export function createRedis(url: string, role: 'producer' | 'consumer', extra: RedisOptions = {}): Redis {
  const common: RedisOptions = {
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...extra,
  };
  return new Redis(
    url,
    role === 'producer' ? { ...common, maxRetriesPerRequest: 1 } : { ...common, maxRetriesPerRequest: null },
  );
}
