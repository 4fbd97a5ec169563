import { buildApp } from '@chatq/api/app.ts';
import { loadApiConfig } from '@chatq/api/config.ts';
import { createTurnQueue } from '@chatq/chat-core';
import { createLogger, createRedis, loadMigrations } from '@chatq/platform';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { testEnv } from './stack.ts';

/**
 * An in-process API (not listening; use `app.inject`) on a database of its own whose Redis never
 * answers: nothing listens on port 1 and the client does not retry. `close` drops everything.
 */
export async function apiWithoutRedis(
  extraEnv: Record<string, string> = {},
  prepare: (db: TestDatabase) => Promise<unknown> = async () => {},
): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const db = await createTestDatabase();
  const config = loadApiConfig(testEnv(db, 'unused', { ...extraEnv, REDIS_URL: 'redis://127.0.0.1:1' }));
  await prepare(db);
  const redis = createRedis(config.redisUrl, 'producer', { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => {});
  const queue = createTurnQueue(redis, config.queuePrefix);
  queue.on('error', () => {});
  const logger = createLogger({ service: 'test', level: 'silent' });
  const app = buildApp({ config, logger, sql: db.sql, redis, queue, migrations: await loadMigrations() });
  return {
    app,
    close: async () => {
      await app.close();
      await queue.close().catch(() => {});
      redis.disconnect();
      await db.drop();
    },
  };
}
