import { Redis } from 'ioredis';
import postgres from 'postgres';

/** Where the test run finds Postgres and Redis, and how to stop what it started. */
export interface TestServices {
  pgAdminUrl: string;
  redisUrl: string;
  stop: () => Promise<void>;
}

const LOCAL_PG = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

async function postgresAnswers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // A refused connection is an answer here (false), not an error to report.
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

const HOW_TO =
  'Set DATABASE_URL and REDIS_URL, run Postgres on 127.0.0.1:5432 and Redis on 127.0.0.1:6379, ' +
  'or make a Docker engine reachable so testcontainers can start them.';

/**
 * DATABASE_URL / REDIS_URL when set; else the local services when they answer; else containers.
 * DATABASE_URL may name any database on the server: tests create their own next to it.
 */
export async function resolveServices(env = process.env): Promise<TestServices> {
  const stops: (() => Promise<unknown>)[] = [];
  let pgAdminUrl = env.DATABASE_URL;
  let redisUrl = env.REDIS_URL;

  if (!pgAdminUrl && (await postgresAnswers(LOCAL_PG))) pgAdminUrl = LOCAL_PG;
  if (!redisUrl && (await redisAnswers(LOCAL_REDIS))) redisUrl = LOCAL_REDIS;

  if (!pgAdminUrl) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql').catch(() => {
      throw new Error(`No Postgres for the tests. ${HOW_TO}`);
    });
    const container = await new PostgreSqlContainer('postgres:17-alpine')
      .start()
      .catch((err: Error) => Promise.reject(new Error(`No Postgres for the tests (${err.message}). ${HOW_TO}`)));
    pgAdminUrl = container.getConnectionUri();
    stops.push(() => container.stop());
  }
  if (!redisUrl) {
    const { RedisContainer } = await import('@testcontainers/redis').catch(() => {
      throw new Error(`No Redis for the tests. ${HOW_TO}`);
    });
    const container = await new RedisContainer('redis:7-alpine')
      .start()
      .catch((err: Error) => Promise.reject(new Error(`No Redis for the tests (${err.message}). ${HOW_TO}`)));
    redisUrl = container.getConnectionUrl();
    stops.push(() => container.stop());
  }

  const admin = new URL(pgAdminUrl);
  admin.pathname = '/postgres';
  return {
    pgAdminUrl: admin.toString(),
    redisUrl,
    stop: async () => {
      await Promise.all(stops.map((s) => s()));
    },
  };
}
