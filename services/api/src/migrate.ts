import { commonEnv, ConfigError, createLogger, createSql, ensureDatabase, migrate, parseEnv } from '@chatq/platform';
import { z } from 'zod';

/** `npm run migrate`: applies pending migrations and exits. */
const Env = z.object({ DATABASE_URL: commonEnv.DATABASE_URL, LOG_LEVEL: commonEnv.LOG_LEVEL });

try {
  const env = parseEnv(Env, process.env);
  const logger = createLogger({ service: 'migrate', level: env.LOG_LEVEL });
  await ensureDatabase(env.DATABASE_URL, logger);
  const sql = createSql(env.DATABASE_URL, { max: 1, applicationName: 'chatq-migrate' });
  const applied = await migrate(sql, logger);
  logger.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
  await sql.end();
} catch (err) {
  console.error(`chatq migrate: ${err instanceof ConfigError ? err.message : String(err)}`);
  process.exit(1);
}
