import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { settlesWithin } from './timeout.ts';

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

/** How often, at most, one connection's errors reach the log while Redis is away. */
export const REDIS_ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * An `error` listener for a Redis connection, or for a BullMQ worker or queue, which relay their
 * connections' errors. ioredis raises one error per reconnect attempt, several a second during an
 * outage: this logs the first, then at most one line per REDIS_ERROR_LOG_INTERVAL_MS, each counting
 * the errors it stands for (`repeats`). Every Redis error listener goes through here.
 */
export function redisErrorLog(logger: Logger, level: 'debug' | 'warn' | 'error', msg: string): (err: Error) => void {
  let loggedAt = -Infinity;
  let repeats = 0;
  return (err) => {
    const now = Date.now();
    if (now - loggedAt < REDIS_ERROR_LOG_INTERVAL_MS) {
      repeats++;
      return;
    }
    logger[level](repeats > 0 ? { err, repeats } : { err }, msg);
    loggedAt = now;
    repeats = 0;
  };
}

/**
 * How long closing waits for Redis to acknowledge its goodbyes (QUIT, BullMQ's close). A Redis that
 * is up answers in milliseconds; one that is down never does, and a stopping process should not
 * wait for it.
 */
export const REDIS_GOODBYE_MS = 500;

/**
 * Says goodbye to Redis: waits for `goodbyes` at most REDIS_GOODBYE_MS, then drops the sockets of
 * `clients` (a no-op for those already closed). Only for when the work that needed Redis is done.
 */
export async function closeRedis(goodbyes: Promise<unknown>[], clients: RedisClient[]): Promise<void> {
  await settlesWithin(Promise.allSettled(goodbyes), REDIS_GOODBYE_MS);
  for (const client of clients) client.disconnect();
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
