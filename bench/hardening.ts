// `node scripts/node.mjs bench/hardening.ts`: what the API's hardening costs on the request path.
// Boots one API in this process on the local Postgres and Redis (a fresh database and key prefix,
// dropped at the end) and drives it with a closed loop of concurrent fetches: a create without
// and with an Idempotency-Key, a replay, a list page, and an anonymous probe. Also times one
// rate-limit round trip (the Lua script) next to a bare Redis PING and a Postgres `select 1`.
// Prints a markdown table.
import { loadApiConfig } from '@chatq/api/config.ts';
import { RateLimitCounters } from '@chatq/api/db/rate-limits.repository.ts';
import { createApiServer } from '@chatq/api/server.ts';
import { createLogger, createRedis, createSql } from '@chatq/platform';
import { randomBytes } from 'node:crypto';

const env = process.env;
const REQUESTS = Number(env.BENCH_REQUESTS ?? 3_000);
const CONCURRENCY = Number(env.BENCH_CONNECTIONS ?? 20);
const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SERVER_URL = new URL(env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const RUN = `chatq_bench_hardening_${randomBytes(4).toString('hex')}`;
const TOKEN = `cq_${randomBytes(24).toString('hex')}`;
const UNLIMITED = '1000000';

const databaseUrl = Object.assign(new URL(SERVER_URL), { pathname: `/${RUN}` }).toString();
const config = loadApiConfig({
  DATABASE_URL: databaseUrl,
  REDIS_URL,
  QUEUE_PREFIX: RUN,
  CHATQ_SECRET_KEY: randomBytes(32).toString('hex'),
  CHATQ_BOOTSTRAP_TOKEN: TOKEN,
  LOG_LEVEL: 'warn',
  RATE_LIMIT_REQUESTS_PER_MINUTE: UNLIMITED,
  RATE_LIMIT_TURNS_PER_MINUTE: UNLIMITED,
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: UNLIMITED,
});

interface Result {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** `REQUESTS` calls of `call(i)`, `CONCURRENCY` at a time; every one must succeed. */
async function drive(name: string, call: (i: number) => Promise<Response>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < REQUESTS; i = next++) {
        const t0 = performance.now();
        const res = await call(i);
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${name}: ${res.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { name, perSecond: REQUESTS / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** Mean time of `n` sequential calls, in microseconds. */
async function timeEach(n: number, call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await call();
  return ((performance.now() - started) * 1000) / n;
}

/** The table goes to stdout; logs (warn and up) go to stderr. */
const print = (text: string) => process.stdout.write(`${text}\n`);

const logger = createLogger({ service: 'bench', level: 'warn' });
const server = await createApiServer(config, logger);
const base = await server.app.listen({ port: 0, host: '127.0.0.1' });
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const post = (headers: Record<string, string> = {}) =>
  fetch(`${base}/api/v1/chats`, { method: 'POST', headers: { ...auth, ...headers }, body: '{"title":"bench"}' });

const redis = createRedis(REDIS_URL, 'consumer');
const admin = createSql(Object.assign(new URL(SERVER_URL), { pathname: '/postgres' }).toString(), {
  max: 1,
  applicationName: 'bench',
});
try {
  await drive('warm-up', () => post());
  const results = [
    await drive('GET /healthz (anonymous, counted per IP)', () => fetch(`${base}/healthz`)),
    await drive('GET /api/v1/chats?limit=20 (keyset page)', () =>
      fetch(`${base}/api/v1/chats?limit=20`, { headers: auth }),
    ),
    await drive('POST /api/v1/chats, no key', () => post()),
    await drive('POST /api/v1/chats, new Idempotency-Key each', (i) => post({ 'idempotency-key': `${RUN}-${i}` })),
    await drive('POST /api/v1/chats, same key (replays)', () => post({ 'idempotency-key': `${RUN}-0` })),
  ];
  const counters = new RateLimitCounters(redis, `${RUN}:probe`);
  const sql = createSql(databaseUrl, { max: 1, applicationName: 'bench' });
  const roundTrips = {
    ping: await timeEach(2_000, () => redis.ping()),
    script: await timeEach(2_000, () => counters.hit([{ key: '{u:bench}:t:x', windowMs: 60_000 }])),
    select: await timeEach(2_000, () => sql`select 1`),
  };
  await sql.end();

  print(`\n${REQUESTS} requests per row, ${CONCURRENCY} concurrent, one API process\n`);
  print('| request | req/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |');
  for (const r of results) {
    print(`| ${r.name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
  }
  print('\n| one sequential round trip | µs |\n| --- | ---: |');
  print(`| Redis PING | ${roundTrips.ping.toFixed(0)} |`);
  print(`| rate-limit script (INCR + PTTL) | ${roundTrips.script.toFixed(0)} |`);
  print(`| Postgres select 1 | ${roundTrips.select.toFixed(0)} |`);
} finally {
  await server.close();
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${RUN}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = nextCursor;
  } while (cursor !== '0');
  redis.disconnect();
  await admin.unsafe(`drop database if exists ${RUN} with (force)`);
  await admin.end();
}
