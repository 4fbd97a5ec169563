import type { Readiness } from '@chatq/contracts';
import type { Sql } from './db.ts';
import { type Migration, pendingMigrations } from './migrate.ts';
import type { RedisClient } from './redis.ts';
import { withTimeout } from './timeout.ts';

/** A probe answers within this, whatever state its dependencies are in. */
const CHECK_TIMEOUT_MS = 2_000;

const ok = (promise: Promise<unknown>) =>
  withTimeout(promise, CHECK_TIMEOUT_MS).then(
    () => true,
    () => false,
  );

/**
 * What `/readyz` reports for a chatq process: Postgres and Redis answer and every migration on disk
 * is applied. `draining` (after SIGTERM) is never ready, so the orchestrator stops routing to it.
 */
export async function checkReadiness(deps: {
  sql: Sql;
  redis: RedisClient;
  migrations: Migration[];
  draining?: boolean;
}): Promise<Readiness> {
  const [postgres, redis, pending] = await Promise.all([
    ok(deps.sql`select 1`),
    ok(deps.redis.ping()),
    withTimeout(pendingMigrations(deps.sql, deps.migrations), CHECK_TIMEOUT_MS).catch(() => undefined),
  ]);
  const migrations = pending === undefined ? 'unknown' : pending.length === 0 ? 'ok' : 'pending';
  const ready = postgres && redis && migrations === 'ok' && !deps.draining;
  return {
    status: ready ? 'ready' : 'not_ready',
    checks: { postgres: postgres ? 'ok' : 'down', redis: redis ? 'ok' : 'down', migrations },
  };
}
