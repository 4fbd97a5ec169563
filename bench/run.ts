// `npm run bench`: chatq's API and worker as real processes on the local Postgres and Redis (a
// fresh database and queue prefixes of their own, dropped at the end), driven by autocannon, next
// to floors measured in the same run: bare servers doing the same database calls and enqueues.
// Prints markdown tables; README.md keeps the numbers of one run.
import type { TurnJob } from '@chatq/contracts';
import { addTurnJobs, createTurnQueue } from '@chatq/chat-core';
import { createRedis, createSql, deleteKeys, Redis, type Sql } from '@chatq/platform';
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServiceProcess, startService } from '../test/harness/processes.ts';
import { type FacadeSide, measureFacade } from './facade.ts';

const env = process.env;
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const REQUESTS = Number(env.BENCH_REQUESTS ?? 8_000);
const TURNS = Number(env.BENCH_TURNS ?? 3_000);
/** Tool turns drained beside the plain ones: each is two model steps around one webhook call. */
const TOOL_TURNS = Number(env.BENCH_TOOL_TURNS ?? 1_000);
const OPEN_LOOP_RATE = Number(env.BENCH_RATE ?? 200);
const OPEN_LOOP_SECONDS = 5;
const SCALING_LATENCY_MS = 500;
const SCALING_TURNS_PER_WORKER = 100;
const WORKER_CONCURRENCY = 10;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
/** Requests per side of the facade measure (a streamed chat completion beside a native send and its reply). */
const FACADE_REQUESTS = Number(env.BENCH_FACADE_REQUESTS ?? 1_000);
const FACADE_CONNECTIONS = 10;
const SIDES = ['floor', 'chatq'] as const;
const POOL = 10;

const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SERVER_URL = new URL(env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/chatq');
const RUN = `chatq_bench_${randomBytes(4).toString('hex')}`;
const dbUrl = (name: string) => Object.assign(new URL(SERVER_URL), { pathname: `/${name}` }).toString();
const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const TOKEN = `cq_${randomBytes(24).toString('hex')}`;
const BASE_ENV = {
  DATABASE_URL: dbUrl(RUN),
  DATABASE_POOL_MAX: String(POOL),
  REDIS_URL,
  CHATQ_SECRET_KEY: randomBytes(32).toString('hex'),
  CHATQ_BOOTSTRAP_TOKEN: TOKEN,
  // Two log lines per request would be measured as well; production at this rate runs at warn too.
  LOG_LEVEL: 'warn',
  WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
  // The benchmark measures throughput, not the limiter's refusals: one token sends everything.
  RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
  RATE_LIMIT_TURNS_PER_MINUTE: '1000000',
};

const processes: ServiceProcess[] = [];
const prefixes: string[] = [];
let prefixCount = 0;
const newPrefix = () => {
  const prefix = `${RUN}_${++prefixCount}`;
  prefixes.push(prefix);
  return prefix;
};

/**
 * BENCH_NODE_ARGS go to chatq's own processes (not the floors'): `--cpu-prof --cpu-prof-dir=DIR`
 * writes a profile of each when it stops.
 */
const NODE_ARGS = env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
/**
 * BENCH_ONLY=drain runs the turn drains alone (plain and tool turns): for profiling the worker.
 * BENCH_ONLY=facade runs the OpenAI facade measure alone.
 */
const ONLY_DRAIN = env.BENCH_ONLY === 'drain';
const ONLY_FACADE = env.BENCH_ONLY === 'facade';

async function spawn(kind: 'api' | 'worker', extra: Record<string, string>, file?: string): Promise<ServiceProcess> {
  const p = await startService(kind, { ...BASE_ENV, ...extra }, undefined, file && entry(file), file ? [] : NODE_ARGS);
  processes.push(p);
  return p;
}

async function stop(p: ServiceProcess): Promise<void> {
  await p.terminate(5_000);
}

const log = (line: string) => console.error(`bench: ${line}`);

/** One autocannon run over `paths` (each used once), `CONNECTIONS` at a time. */
async function drive(url: string, method: string, paths: string[], body: unknown, token?: string) {
  let next = 0;
  // autocannon ends a run on its one-second tick: the rate is timed to the last answer instead.
  const started = performance.now();
  let last = started;
  let firstRefusal: string | undefined;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount: paths.length,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    requests: [
      {
        method,
        body: JSON.stringify(body),
        setupRequest: (req) => ({ ...req, path: paths[next++] }),
        onResponse: (status: number, body: string) => {
          last = performance.now();
          if (status >= 300 && !firstRefusal) firstRefusal = `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${method} ${url}: ${result.non2xx} non-2xx answers (first: ${firstRefusal}), ${result.errors} errors`,
    );
  }
  const seconds = (last - started) / 1000;
  return { perSec: result.requests.total / seconds, p50: result.latency.p50, p99: result.latency.p99 };
}

async function makeChats(sql: Sql, owner: string, model: string, n: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    insert into chats (owner_id, title, last_model_config_id)
    select ${owner}, 'bench', ${model} from generate_series(1, ${n})
    returning id`;
  return rows.map((r) => r.id);
}

async function userMessages(sql: Sql, chats: string[]): Promise<{ chat: string; message: string }[]> {
  return sql<{ chat: string; message: string }[]>`
    select chat_id as chat, id as message from messages
    where chat_id = any(${chats}) and role = 'user' and deleted_at is null`;
}

async function obliterate(prefixes: string[]): Promise<void> {
  const redis = createRedis(REDIS_URL, 'consumer');
  for (const prefix of prefixes) {
    const queue = createTurnQueue(redis, prefix);
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
  redis.disconnect();
}

/**
 * Cancels every live turn and empties `prefixes`, so neither a worker nor the outbox relay picks
 * the leftovers of one phase into the next.
 */
async function settle(sql: Sql, prefixes: string[]): Promise<void> {
  await sql`update turns set status = 'cancelled', finished_at = now() where status in ('queued', 'running')`;
  await sql`update chats set status = 'idle' where status <> 'idle'`;
  await obliterate(prefixes);
}

/** Queued turns on `chats`, made directly in SQL (the drain measures workers, not the API). */
async function queuedTurns(sql: Sql, owner: string, chats: string[]): Promise<TurnJob[]> {
  const rows = await sql<{ t: { id: string; chat_id: string; generation: number } }[]>`
    select chatq_send_message(${owner}, id, 'hello', null, 'queue', 20, null, null) -> 'turn' as t
    from unnest(${chats}::uuid[]) as id`;
  return rows.map(({ t }) => ({ turn_id: t.id, chat_id: t.chat_id, generation: Number(t.generation) }));
}

async function enqueue(prefix: string, jobs: TurnJob[]): Promise<void> {
  const redis = createRedis(REDIS_URL, 'consumer');
  const queue = createTurnQueue(redis, prefix);
  for (let i = 0; i < jobs.length; i += 500) await addTurnJobs(queue, jobs.slice(i, i + 500));
  await queue.close();
  redis.disconnect();
}

async function untilFinished(sql: Sql, turns: string[], timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from turns where id = any(${turns}) and status in ('completed', 'failed', 'superseded')`;
    if (row!.n === turns.length) return;
    if (Date.now() > deadline) throw new Error(`only ${row!.n} of ${turns.length} turns finished in time`);
    await sleep(50);
  }
}

/** Turns per second of `workers` processes draining a backlog of `jobs`. */
async function drainRate(sql: Sql, prefix: string, jobs: TurnJob[]): Promise<number> {
  const started = performance.now();
  await enqueue(prefix, jobs);
  await untilFinished(
    sql,
    jobs.map((j) => j.turn_id),
  );
  return jobs.length / ((performance.now() - started) / 1000);
}

/** A webhook tool's server on localhost that answers every call at once: the loop is what is measured. */
async function startWebhook(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"temperature_c":24}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/weather`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Chats whose mock model calls a webhook tool in its first step and answers in its second: the
 * agent loop's cost (two model calls, a stored step, a signed webhook call, a stored result).
 */
async function makeToolChats(sql: Sql, owner: string, defaultModel: string, url: string, n: number): Promise<string[]> {
  const [tool] = await sql<{ id: string }[]>`
    insert into tools (name, description, input_schema, kind, url)
    values ('bench_weather', 'Weather.', ${sql.json({ type: 'object' })}, 'webhook', ${url})
    returning id`;
  const [model] = await sql<{ id: string }[]>`
    insert into model_configs (provider_id, model, options)
    select provider_id, 'bench-agent', ${sql.json({ tool_calls: [{ name: 'bench_weather', input: { city: 'Lisbon' } }] })}
    from model_configs where id = ${defaultModel}
    returning id`;
  const ids = await makeChats(sql, owner, model!.id, n);
  await sql`update chats set tool_ids = array[${tool!.id}::uuid] where id = any(${ids})`;
  return ids;
}

/** Peak resident memory of a process, in MB (Linux). */
function peakRssMb(p: ServiceProcess): number {
  const status = readFileSync(`/proc/${p.child.pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}

/** Enqueue-to-reply latency of the turns created in [from, to), in ms. */
async function turnLatency(sql: Sql, from: Date, to: Date): Promise<{ n: number; p50: number; p99: number }> {
  const [row] = await sql<{ n: number; p50: number; p99: number }[]>`
    select count(*)::int as n,
           percentile_cont(0.5) within group (order by ms) as p50,
           percentile_cont(0.99) within group (order by ms) as p99
    from (select extract(epoch from finished_at - created_at) * 1000 as ms from turns
          where created_at >= ${from} and created_at < ${to} and status = 'completed') t`;
  return row!;
}

/** Creates chats with a first message at a steady rate, and measures how long their replies take. */
async function openLoop(sql: Sql, url: string, path: string, token?: string) {
  const from = new Date();
  const result = await autocannon({
    url: `${url}${path}`,
    method: 'POST',
    connections: 10,
    overallRate: OPEN_LOOP_RATE,
    duration: OPEN_LOOP_SECONDS,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ content: 'hello' }),
  });
  const to = new Date();
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`open loop on ${path}: errors`);
  const ids = await sql<{ id: string }[]>`select id from turns where created_at >= ${from} and created_at < ${to}`;
  await untilFinished(
    sql,
    ids.map((r) => r.id),
  );
  return turnLatency(sql, from, to);
}

const table = (r: string[][]) => r.map((cells) => `| ${cells.join(' | ')} |`).join('\n');

/** The facade measure as table rows: the streamed chat completion beside the native send and its reply. */
function facadeRows(m: { facade: FacadeSide; native: FacadeSide }): string[][] {
  return [
    ['measure', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'vs native'],
    ['---', '---:', '---:', '---:', '---:'],
    [
      `streamed chat completion, /openai/v1 (${FACADE_CONNECTIONS} at a time)`,
      fmt(m.facade.perSec),
      fmt(m.facade.p50),
      fmt(m.facade.p99),
      ratio(m.facade.perSec, m.native.perSec),
    ],
    [
      `native create + reply on its event stream (${FACADE_CONNECTIONS} at a time)`,
      fmt(m.native.perSec),
      fmt(m.native.p50),
      fmt(m.native.p99),
      '1.00',
    ],
  ];
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ratio = (a: number, b: number) => fmt(a / b, 2);

async function main(): Promise<void> {
  const admin = createSql(dbUrl('postgres'), { max: 1, applicationName: 'chatq-bench' });
  await admin.unsafe(`create database ${RUN}`);
  const sql = createSql(dbUrl(RUN), { max: 4, applicationName: 'chatq-bench' });
  try {
    log(`database ${RUN}; starting chatq's API (it migrates) and the floor API`);
    const apiPrefix = newPrefix();
    const api = await spawn('api', { QUEUE_PREFIX: apiPrefix });
    const [owner] = await sql<{ id: string }[]>`select id from users where role = 'admin'`;
    const [model] = await sql<{ id: string }[]>`select id from model_configs where is_default`;
    const floorPrefix = newPrefix();
    const floor = await spawn('api', { QUEUE_PREFIX: floorPrefix, BENCH_OWNER: owner!.id }, 'floor-api.ts');
    const chats = (n: number) => makeChats(sql, owner!.id, model!.id, n);
    const facadeMeasure = () => {
      log(`facade: ${FACADE_REQUESTS} streamed chat completions beside as many native sends and replies`);
      return measureFacade(api.url, TOKEN, model!.id, FACADE_REQUESTS, FACADE_CONNECTIONS);
    };
    if (ONLY_FACADE) {
      const worker = await spawn('worker', { QUEUE_PREFIX: apiPrefix });
      const facade = await facadeMeasure();
      await stop(worker);
      process.stdout.write(`${table(facadeRows(facade))}\n`);
      return;
    }

    const sendPaths = {
      chatq: (ids: string[]) => ids.map((id) => `/api/v1/chats/${id}/messages`),
      floor: (ids: string[]) => ids.map((id) => `/send/${id}`),
    };
    const editPaths = {
      chatq: (ms: { chat: string; message: string }[]) =>
        ms.map((m) => `/api/v1/chats/${m.chat}/messages/${m.message}`),
      floor: (ms: { chat: string; message: string }[]) => ms.map((m) => `/edit/${m.chat}/${m.message}`),
    };
    const servers = { chatq: { url: api.url, token: TOKEN }, floor: { url: floor.url, token: undefined } };

    log('warming up');
    for (const side of ONLY_DRAIN ? [] : SIDES) {
      const ids = await chats(1_000);
      await drive(servers[side].url, 'POST', sendPaths[side](ids), { content: 'warm' }, servers[side].token);
    }

    // The machine may be shared and a database warms up as it grows: each side runs ROUNDS times,
    // in alternating order, and keeps its best run.
    type Load = Awaited<ReturnType<typeof drive>>;
    const http: Record<'sends' | 'edits', Partial<Record<'chatq' | 'floor', Load>>> = { sends: {}, edits: {} };
    const keep = (slot: Partial<Record<'chatq' | 'floor', Load>>, side: 'chatq' | 'floor', run: Load) => {
      if (!slot[side] || run.perSec > slot[side].perSec) slot[side] = run;
    };
    for (let round = 0; round < (ONLY_DRAIN ? 0 : ROUNDS); round++) {
      for (const side of round % 2 === 0 ? SIDES : [...SIDES].reverse()) {
        log(`${side}: ${REQUESTS} sends, then as many edits (round ${round + 1} of ${ROUNDS})`);
        const ids = await chats(REQUESTS);
        const s = servers[side];
        keep(http.sends, side, await drive(s.url, 'POST', sendPaths[side](ids), { content: 'hello' }, s.token));
        const messages = await userMessages(sql, ids);
        keep(http.edits, side, await drive(s.url, 'PATCH', editPaths[side](messages), { content: 'edited' }, s.token));
      }
    }
    await settle(sql, [apiPrefix, floorPrefix]);

    const drain: Partial<Record<'chatq' | 'floor', { perSec: number; rss: number }>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? SIDES : [...SIDES].reverse()) {
        log(`${side}: draining ${TURNS} turns (round ${round + 1} of ${ROUNDS})`);
        const prefix = newPrefix();
        const file = side === 'floor' ? 'floor-worker.ts' : undefined;
        const worker = await spawn('worker', { QUEUE_PREFIX: prefix }, file);
        const jobs = await queuedTurns(sql, owner!.id, await chats(TURNS));
        const perSec = await drainRate(sql, prefix, jobs);
        const rss = peakRssMb(worker);
        if (!drain[side] || perSec > drain[side].perSec) drain[side] = { perSec, rss };
        await stop(worker);
      }
    }
    const drained = drain as Record<'chatq' | 'floor', { perSec: number; rss: number }>;

    log(`chatq: draining ${TOOL_TURNS} two-step tool turns (a webhook on localhost)`);
    const webhook = await startWebhook();
    const toolPrefix = newPrefix();
    const toolWorker = await spawn('worker', { QUEUE_PREFIX: toolPrefix });
    const toolJobs = await queuedTurns(
      sql,
      owner!.id,
      await makeToolChats(sql, owner!.id, model!.id, webhook.url, TOOL_TURNS),
    );
    const toolDrain = { perSec: await drainRate(sql, toolPrefix, toolJobs), rss: peakRssMb(toolWorker) };
    await stop(toolWorker);
    await webhook.close();
    if (ONLY_DRAIN) {
      const plain = `turns/s: chatq ${fmt(drained.chatq.perSec)}, floor ${fmt(drained.floor.perSec)} (${ratio(drained.chatq.perSec, drained.floor.perSec)})`;
      const rss = `peak RSS (MB): chatq ${fmt(drained.chatq.rss)}, floor ${fmt(drained.floor.rss)}, tool turns ${fmt(toolDrain.rss)}`;
      const tools = `tool turns/s: ${fmt(toolDrain.perSec)} (${ratio(toolDrain.perSec, drained.floor.perSec)} of the floor)`;
      process.stdout.write(`${plain}\n${tools}\n${rss}\n`);
      return;
    }

    log(`enqueue-to-reply at ${OPEN_LOOP_RATE} new chats/s for ${OPEN_LOOP_SECONDS} s`);
    const floorWorker = await spawn('worker', { QUEUE_PREFIX: floorPrefix }, 'floor-worker.ts');
    const floorLatency = await openLoop(sql, floor.url, '/chats');
    await stop(floorWorker);
    const chatqWorker = await spawn('worker', { QUEUE_PREFIX: apiPrefix });
    const chatqLatency = await openLoop(sql, api.url, '/api/v1/chats', TOKEN);
    const facade = await facadeMeasure();
    await stop(chatqWorker);
    await stop(floor);

    log(`scaling: mock latency ${SCALING_LATENCY_MS} ms, 1, 2 and 4 worker processes`);
    const [slowProvider] = await sql<{ id: string }[]>`
      insert into providers (name, kind, options) values ('bench-slow', 'mock', ${sql.json({ latency_ms: SCALING_LATENCY_MS })})
      returning id`;
    const [slowModel] = await sql<{ id: string }[]>`
      insert into model_configs (provider_id, model) values (${slowProvider!.id}, 'bench-slow') returning id`;
    const scaling: { workers: number; turns: number; perSec: number; rss: number[] }[] = [];
    for (const n of [1, 2, 4]) {
      const prefix = newPrefix();
      const workers = await Promise.all(Array.from({ length: n }, () => spawn('worker', { QUEUE_PREFIX: prefix })));
      const ids = await makeChats(sql, owner!.id, slowModel!.id, SCALING_TURNS_PER_WORKER * n);
      const jobs = await queuedTurns(sql, owner!.id, ids);
      const perSec = await drainRate(sql, prefix, jobs);
      scaling.push({ workers: n, turns: jobs.length, perSec, rss: workers.map(peakRssMb) });
      await Promise.all(workers.map(stop));
    }

    const rows = [
      ['measure', 'chatq', 'floor', 'chatq / floor', 'target'],
      ['---', '---:', '---:', '---:', '---'],
      ...(['sends', 'edits'] as const).flatMap((kind) => [
        [
          `${kind}/s (${CONNECTIONS} connections)`,
          fmt(http[kind].chatq!.perSec),
          fmt(http[kind].floor!.perSec),
          ratio(http[kind].chatq!.perSec, http[kind].floor!.perSec),
          '>= 0.80',
        ],
        [
          `${kind} latency p50 / p99 (ms)`,
          `${fmt(http[kind].chatq!.p50)} / ${fmt(http[kind].chatq!.p99)}`,
          `${fmt(http[kind].floor!.p50)} / ${fmt(http[kind].floor!.p99)}`,
          '',
          'p99 < 50',
        ],
      ]),
      [
        `turns/s (drain of ${TURNS}, 1 worker x ${WORKER_CONCURRENCY})`,
        fmt(drained.chatq.perSec),
        fmt(drained.floor.perSec),
        ratio(drained.chatq.perSec, drained.floor.perSec),
        '>= 0.80',
      ],
      [
        `two-step tool turns/s (drain of ${TOOL_TURNS}, webhook on localhost)`,
        fmt(toolDrain.perSec),
        '',
        `${ratio(toolDrain.perSec, drained.chatq.perSec)} of plain turns/s`,
        '',
      ],
      [
        `enqueue-to-reply p50 / p99 (ms) at ${OPEN_LOOP_RATE} chats/s`,
        `${fmt(chatqLatency.p50)} / ${fmt(chatqLatency.p99)}`,
        `${fmt(floorLatency.p50)} / ${fmt(floorLatency.p99)}`,
        '',
        '',
      ],
      ['worker peak RSS (MB)', fmt(drained.chatq.rss), fmt(drained.floor.rss), '', '< 150'],
    ];
    const facadeTable = facadeRows(facade);
    const scalingRows = [
      ['worker processes', 'turns', 'turns/s', 'vs 1 worker', 'peak RSS per worker (MB)'],
      ['---:', '---:', '---:', '---:', '---'],
      ...scaling.map((s) => [
        String(s.workers),
        String(s.turns),
        fmt(s.perSec, 1),
        ratio(s.perSec, scaling[0]!.perSec),
        s.rss.map((r) => fmt(r)).join(', '),
      ]),
    ];
    process.stdout.write(
      [
        `chatq benchmark: ${availableParallelism()} CPUs, Node ${process.versions.node}, ${REQUESTS} requests per HTTP run`,
        '',
        table(rows),
        '',
        `Scaling: mock latency ${SCALING_LATENCY_MS} ms, concurrency ${WORKER_CONCURRENCY} per worker`,
        '',
        table(scalingRows),
        '',
        'OpenAI facade: request to end of reply, same mock turn',
        '',
        table(facadeTable),
      ].join('\n') + '\n',
    );
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    // Every key the run made (queues, event logs, counters) starts with its name.
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, `${RUN}*`);
    redis.disconnect();
    await sql.end({ timeout: 1 });
    await admin.unsafe(`drop database if exists ${RUN} with (force)`);
    await admin.end();
  }
}

await main();
