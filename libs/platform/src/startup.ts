import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from './db.ts';

/** A service could not reach what it needs at start; the message says what to check. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** `url` with its password (in the user info or a `password` parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

/** How an unreachable dependency failed, in the words an operator searches for. */
function reason(err: unknown): string {
  // Node reports every address of a dual-stack name in an AggregateError; the first one tells.
  const e = (err as { errors?: unknown[] }).errors?.[0] ?? err;
  const code = (e as { code?: unknown }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return 'timed out';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.replace(/\.$/, '').slice(0, 200);
}

/** What a probe found: reachable, worth waiting for, or wrong in a way waiting will not fix. */
type Probe = { ok: true } | { ok: false; wait: boolean; reason: string };

const PROBE_TIMEOUT_S = 3;

async function probePostgres(url: string): Promise<Probe> {
  const sql = postgres(url, { max: 1, connect_timeout: PROBE_TIMEOUT_S, onnotice: () => {} });
  try {
    await sql`select 1`;
    return { ok: true };
  } catch (err) {
    // A database that does not exist yet is reachable: the API creates it.
    if ((err as { code?: unknown }).code === '3D000') return { ok: true };
    return { ok: false, wait: isDatabaseUnavailable(err), reason: reason(err) };
  } finally {
    await sql.end({ timeout: 0 });
  }
}

const REDIS_REFUSALS = /^(NOAUTH|WRONGPASS|NOPERM)|invalid password|ERR AUTH/i;

async function probeRedis(url: string): Promise<Probe> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_S * 1_000,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // The connect promise only says "Connection is closed"; the error event says why.
  let socketError: unknown;
  redis.on('error', (err) => {
    socketError = err;
  });
  try {
    await redis.connect();
    await redis.ping();
    return { ok: true };
  } catch (err) {
    const why = reason(socketError ?? err);
    return { ok: false, wait: !REDIS_REFUSALS.test(why), reason: why };
  } finally {
    redis.disconnect();
  }
}

/** One thing a service needs at start, named the way its operator configures it. */
interface Dependency {
  name: string;
  variable: string;
  url: string;
  probe: (url: string) => Promise<Probe>;
}

/** How often an unreachable dependency is tried, and how often the wait is logged. */
const RETRY_MS = 500;
const LOG_EVERY_MS = 5_000;

async function waitFor(dep: Dependency, deadline: number, timeoutMs: number, logger: Logger): Promise<void> {
  const where = `${dep.variable}=${redactUrl(dep.url)}`;
  let loggedAt = -Infinity;
  for (;;) {
    const found = await dep.probe(dep.url);
    if (found.ok) return;
    if (!found.wait) {
      throw new StartupError(`${dep.name} refused the connection (${where}): ${found.reason}; check ${dep.variable}`);
    }
    if (Date.now() >= deadline) {
      throw new StartupError(
        `gave up waiting for ${dep.name} after ${timeoutMs} ms (${where}): ${found.reason}; check that ` +
          `${dep.name} is running and reachable from here, and ${dep.variable} (STARTUP_TIMEOUT_MS sets the wait)`,
      );
    }
    if (Date.now() - loggedAt >= LOG_EVERY_MS) {
      logger.warn(`waiting for ${dep.name} (${where}): ${found.reason}`);
      loggedAt = Date.now();
    }
    await sleep(Math.min(RETRY_MS, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Waits, at start, until Postgres and (when given) Redis answer: for up to `timeoutMs` in all,
 * logging a line every few seconds that names the variable and the address (password hidden).
 * Throws a StartupError, whose message says what to check, when one stays unreachable or refuses
 * the credentials; the caller exits 1 with it rather than a stack trace.
 */
export async function waitForDependencies(
  urls: { databaseUrl: string; redisUrl?: string },
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const postgresDep = { name: 'Postgres', variable: 'DATABASE_URL', url: urls.databaseUrl, probe: probePostgres };
  await waitFor(postgresDep, deadline, timeoutMs, logger);
  if (urls.redisUrl === undefined) return;
  // A Redis Cluster's seed node answers PING like a single server: one probe fits both.
  const redisDep = { name: 'Redis', variable: 'REDIS_URL', url: urls.redisUrl, probe: probeRedis };
  await waitFor(redisDep, deadline, timeoutMs, logger);
}
