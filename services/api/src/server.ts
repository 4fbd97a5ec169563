import { createTurnQueue } from '@chatq/chat-core';
import {
  createRedis,
  createSql,
  ensureDatabase,
  type Logger,
  loadMigrations,
  migrate,
  SecretBox,
  verifySecretKey,
} from '@chatq/platform';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { ApiConfig } from './config.ts';
import { ModelConfigsRepository } from './db/model-configs.repository.ts';
import { ProvidersRepository } from './db/providers.repository.ts';
import { UsersRepository } from './db/users.repository.ts';
import { AuditRepository } from './db/audit.repository.ts';
import { Auditor } from './domain/audit.ts';
import { ensureAdmin, seedMockProvider } from './domain/bootstrap.ts';

/** A booted API: migrated, bootstrapped, not yet listening. `close` drains it and its pools. */
export interface ApiServer {
  app: FastifyInstance;
  close: () => Promise<void>;
}

/**
 * Boots the API against its database and Redis: creates and migrates the database, checks that
 * CHATQ_SECRET_KEY is the database's (`SecretKeyMismatchError` if not), makes sure an admin exists,
 * seeds the mock provider into an empty install, and builds the app.
 */
export async function createApiServer(config: ApiConfig, logger: Logger): Promise<ApiServer> {
  await ensureDatabase(config.databaseUrl, logger);
  const sql = createSql(config.databaseUrl, { max: config.databasePoolMax, applicationName: 'chatq-api' });
  // Auto-pipelining folds the rate-limit counts, event appends and enqueues of concurrent requests
  // into one socket write per tick.
  const redis = createRedis(config.redisUrl, 'producer', { enableAutoPipelining: true }, config.redisCluster);
  redis.on('error', (err) => logger.debug({ err }, 'redis connection error'));
  const queue = createTurnQueue(redis, config.queuePrefix);
  queue.on('error', (err) => logger.debug({ err }, 'queue error'));

  try {
    await migrate(sql, logger);
    const keyCheck = await verifySecretKey(sql, new SecretBox(config.secretKey, config.secretKeyPrevious));
    if (keyCheck === 'sealed') logger.info('sealed the key check: CHATQ_SECRET_KEY is now this database’s key');
    const audit = new Auditor(sql, new AuditRepository(sql));
    await ensureAdmin(new UsersRepository(sql), audit, config.bootstrapToken, logger);
    if (config.seedMock) {
      await seedMockProvider(sql, new ProvidersRepository(sql), new ModelConfigsRepository(sql), logger);
    }
  } catch (err) {
    await queue.close().catch(() => {});
    redis.disconnect();
    await sql.end({ timeout: 1 });
    throw err;
  }

  const app = buildApp({ config, logger, sql, redis, queue, migrations: await loadMigrations() });
  return {
    app,
    close: async () => {
      await app.close();
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
      await sql.end({ timeout: 5 });
    },
  };
}
