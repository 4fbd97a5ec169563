import { Cluster, Redis, type RedisOptions } from 'ioredis';

export { Cluster, Redis } from 'ioredis';

/** A connection to one Redis server or to a Redis Cluster; BullMQ takes either. */
export type RedisClient = Redis | Cluster;

/**
 * ioredis connections for the two roles BullMQ distinguishes. Producers (the API) fail fast while
 * Redis is away so a request never hangs on it; consumers (workers, blocking reads) wait and retry
 * forever, as BullMQ requires. With `cluster`, `url` names any one node of a Redis Cluster (its
 * credentials and TLS apply to every node); the queue prefix must then be a hash tag.
 */
export function createRedis(
  url: string,
  role: 'producer' | 'consumer',
  extra: RedisOptions = {},
  cluster = false,
): RedisClient {
  const retryStrategy = (times: number) => Math.min(times * 200, 2_000);
  const options: RedisOptions = {
    connectTimeout: 5_000,
    retryStrategy,
    ...extra,
    ...(role === 'producer' ? { maxRetriesPerRequest: 1, enableOfflineQueue: false } : { maxRetriesPerRequest: null }),
  };
  if (!cluster) return new Redis(url, options);
  const seed = new URL(url);
  return new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], {
    redisOptions: {
      ...options,
      username: decodeURIComponent(seed.username) || undefined,
      password: decodeURIComponent(seed.password) || undefined,
      tls: seed.protocol === 'rediss:' ? {} : undefined,
    },
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    clusterRetryStrategy: retryStrategy,
  });
}

/** Deletes every key matching `pattern` (SCAN and UNLINK in batches). For tests and tools, not request paths. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
