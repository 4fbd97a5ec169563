import { commonEnv, ConfigError, createLogger, createSql, parseEnv } from '@chatq/platform';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { pruneAuditEvents } from './db/audit.repository.ts';

/**
 * `npm run audit:prune -- --before <date>`: deletes the audit events older than `<date>` (an ISO
 * date or instant, not in the future) in one transaction that first writes an `audit.prune` event
 * with the cutoff and the count, and exits. The only way events leave the append-only log: the
 * table's guard lets a DELETE through only behind such an event (infra/migrations/0006_audit_events.sql).
 */
const Env = z.object({ DATABASE_URL: commonEnv.DATABASE_URL, LOG_LEVEL: commonEnv.LOG_LEVEL });

class UsageError extends Error {}

function cutoffOf(args: string[]): Date {
  const { values } = parseArgs({ args, options: { before: { type: 'string' } }, strict: true });
  if (values.before === undefined) throw new UsageError('--before <date> is required, e.g. --before 2025-01-01');
  const before = new Date(values.before);
  if (!/^\d{4}-\d{2}-\d{2}/.test(values.before) || Number.isNaN(before.getTime())) {
    throw new UsageError(`--before ${values.before} is not an ISO date or instant, e.g. 2025-01-01`);
  }
  if (before.getTime() > Date.now()) throw new UsageError(`--before ${values.before} is in the future`);
  return before;
}

try {
  const before = cutoffOf(process.argv.slice(2));
  const env = parseEnv(Env, process.env);
  const logger = createLogger({ service: 'audit-prune', level: env.LOG_LEVEL });
  const sql = createSql(env.DATABASE_URL, { max: 1, applicationName: 'chatq-audit-prune' });
  try {
    const deleted = await pruneAuditEvents(sql, before);
    logger.info({ before: before.toISOString(), deleted }, 'audit events pruned');
  } finally {
    await sql.end();
  }
} catch (err) {
  const known =
    err instanceof ConfigError ||
    err instanceof UsageError ||
    (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  console.error(`chatq audit:prune: ${known ? (err as Error).message : String(err)}`);
  process.exit(1);
}
