import { commonEnv, ConfigError, createLogger, createSql, parseEnv, SecretBox } from '@chatq/platform';
import { z } from 'zod';
import { resealAll, UnopenableSecretError } from './db/sealed.repository.ts';

/**
 * `npm run rotate-key`: re-seals every secret in the database (provider API keys and secret
 * headers, recorded idempotent responses, the key check) from CHATQ_SECRET_KEY_PREVIOUS to
 * CHATQ_SECRET_KEY, in one transaction, and exits. Running it again changes nothing.
 */
const Env = z.object({
  DATABASE_URL: commonEnv.DATABASE_URL,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  CHATQ_SECRET_KEY: commonEnv.CHATQ_SECRET_KEY,
  CHATQ_SECRET_KEY_PREVIOUS: commonEnv.CHATQ_SECRET_KEY_PREVIOUS.unwrap(),
});

try {
  const env = parseEnv(Env, process.env);
  const logger = createLogger({ service: 'rotate-key', level: env.LOG_LEVEL });
  const sql = createSql(env.DATABASE_URL, { max: 1, applicationName: 'chatq-rotate-key' });
  try {
    const resealed = await resealAll(
      sql,
      new SecretBox(env.CHATQ_SECRET_KEY),
      new SecretBox(env.CHATQ_SECRET_KEY_PREVIOUS),
    );
    const total = Object.values(resealed).reduce((a, b) => a + b, 0);
    logger.info(
      { resealed },
      total ? 'secrets re-sealed with CHATQ_SECRET_KEY' : 'every secret already opens with CHATQ_SECRET_KEY',
    );
  } finally {
    await sql.end();
  }
} catch (err) {
  const known = err instanceof ConfigError || err instanceof UnopenableSecretError;
  console.error(`chatq rotate-key: ${known ? err.message : String(err)}`);
  process.exit(1);
}
