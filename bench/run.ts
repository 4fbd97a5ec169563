// `npm run bench`: chatq's API and worker as real processes on the local Postgres and Redis (a
// fresh database and queue prefixes of their own, dropped at the end), driven by autocannon, next
// to floors measured in the same run: bare servers doing the same database calls and enqueues.
// Prints one markdown table of every target (chatq's figure, its floor or baseline, the ratio, the
// target and whether it is met), then the scaling and facade tables; README.md keeps the numbers
// of one run. Each ratio is the median of ROUNDS alternated rounds (bench/stats.ts).
//
// The phases, in the order they run; BENCH_ONLY=<phase> runs one alone:
//   http       sends and edits against the floor API (bench/floor-api.ts)
//   data       the same sends and edits after seeding 1,000,000 messages in 100,000 chats, against
//              the empty database's; and a user's chat list on the seeded data (alone, it measures
//              the empty database first)
//   drain      turn drains against the bare worker (bench/floor-worker.ts): plain and two-step
//              tool turns, the worker's peak and idle RSS
//   open-loop  enqueue-to-reply latency at a steady rate of new chats, beside the floors
//   facade     the OpenAI facade's streamed chat completion beside a native send and its reply
//   live       delta delivery to 1,000 open event streams on one API process, and its RSS
//   scaling    turns/s of 1, 2 and 4 workers on a slow model
import type { TurnJob } from '@chatq/contracts';
import { addTurnJobs, createTurnQueue } from '@chatq/chat-core';
import { createRedis, createSql, deleteKeys, Redis, type Sql, withTimeout } from '@chatq/platform';
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServiceProcess, startService } from '../test/harness/processes.ts';
import { type CpuSplit, cpuSince, memoryMb } from './proc.ts';
import { type FacadeMeasure, measureFacade } from './facade.ts';
import { followChats } from './live.ts';
import { seedChats, type SeedShape } from './seed.ts';
import {
  alternate,
  type Comparison,
  median,
  medianOf,
  paired,
  percentile,
  repeat,
  type Throughput,
  unpaired,
} from './stats.ts';

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
/** How long a freshly started worker sits with nothing to do before its idle RSS is read. */
const IDLE_MS = 2_000;
/** Event streams open at once on the live measure's API process, one per chat, one turn each. */
const LIVE_STREAMS = Number(env.BENCH_LIVE_STREAMS ?? 1_000);
/**
 * Turns started per second in the live measure: steady and well within what one worker runs, so
 * what is measured is delivery, not a backlog.
 */
const LIVE_RATE = Number(env.BENCH_LIVE_RATE ?? 100);
/** The live measure's mock spreads each reply's five chunks over this, so each is its own delta. */
const LIVE_REPLY_MS = 250;
/** Enough for LIVE_RATE turns/s of LIVE_REPLY_MS each, with room to spare. */
const LIVE_WORKER_CONCURRENCY = 50;
const LIVE_TIMEOUT_MS = 120_000;
/** The data set of the "flat with data" measure: 1,000,000 messages in 100,000 chats. */
const SEED: SeedShape = { users: 1_000, chats: 100_000, turnsPerChat: 5, readerChats: 10_000 };
const LIST_REQUESTS = Number(env.BENCH_LIST_REQUESTS ?? 2_000);
const LIST_CONNECTIONS = 10;
const SIDES = ['floor', 'chatq'] as const;
const DRAIN_SIDES = ['floor', 'chatq', 'tools'] as const;
const HTTP_KINDS = ['sends', 'edits'] as const;
const POOL = 10;

const PHASES = ['http', 'data', 'drain', 'open-loop', 'facade', 'live', 'scaling'] as const;
type Phase = (typeof PHASES)[number];
const ONLY = env.BENCH_ONLY || undefined;
if (ONLY !== undefined && !(PHASES as readonly string[]).includes(ONLY)) {
  throw new Error(`BENCH_ONLY=${ONLY}: expected one of ${PHASES.join(', ')}`);
}
const runs = (phase: Phase) => ONLY === undefined || ONLY === phase;

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

/** `file`: a floor's entry in bench/ instead of chatq's; `nodeArgs`: chatq's default to NODE_ARGS. */
interface SpawnOptions {
  file?: string;
  nodeArgs?: string[];
}

async function spawn(
  kind: 'api' | 'worker',
  extra: Record<string, string>,
  { file, nodeArgs = file ? [] : NODE_ARGS }: SpawnOptions = {},
): Promise<ServiceProcess> {
  const p = await startService(kind, { ...BASE_ENV, ...extra }, undefined, file && entry(file), nodeArgs);
  processes.push(p);
  return p;
}

async function stop(p: ServiceProcess): Promise<void> {
  await p.terminate(5_000);
}

const log = (line: string) => console.error(`bench: ${line}`);

/** How drive() loads a server: `connections` at a time, and when `rate` is set, no more requests/s (an open loop). */
interface Load {
  connections?: number;
  rate?: number;
}

/** One autocannon run over `paths` (each used once); every answer must be a 2xx. */
async function drive(
  url: string,
  method: string,
  paths: string[],
  body: unknown,
  token?: string,
  { connections = CONNECTIONS, rate }: Load = {},
): Promise<Throughput> {
  let next = 0;
  // autocannon ends a run on its one-second tick: the rate is timed to the last answer instead.
  const started = performance.now();
  let last = started;
  let firstRefusal: string | undefined;
  const result = await autocannon({
    url,
    connections,
    amount: paths.length,
    ...(rate === undefined ? {} : { overallRate: rate }),
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    requests: [
      {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
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

/** A model config on the default model's (mock) provider, with mock `options` of its own. */
async function mockModel(sql: Sql, defaultModel: string, name: string, options: object): Promise<string> {
  const [model] = await sql<{ id: string }[]>`
    insert into model_configs (provider_id, model, options)
    select provider_id, ${name}, ${sql.json(options as never)} from model_configs where id = ${defaultModel}
    returning id`;
  return model!.id;
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

/** A webhook tool at `url`, and a mock model that calls it in its first step and answers in its second. */
interface ToolModel {
  tool: string;
  model: string;
}

async function makeToolModel(sql: Sql, defaultModel: string, url: string): Promise<ToolModel> {
  const [tool] = await sql<{ id: string }[]>`
    insert into tools (name, description, input_schema, kind, url)
    values ('bench_weather', 'Weather.', ${sql.json({ type: 'object' })}, 'webhook', ${url})
    returning id`;
  const tool_calls = [{ name: 'bench_weather', input: { city: 'Lisbon' } }];
  return { tool: tool!.id, model: await mockModel(sql, defaultModel, 'bench-agent', { tool_calls }) };
}

/**
 * Chats on the tool model with its tool: each turn is the agent loop's cost (two model calls, a
 * stored step, a signed webhook call, a stored result).
 */
async function makeToolChats(sql: Sql, owner: string, { tool, model }: ToolModel, n: number): Promise<string[]> {
  const ids = await makeChats(sql, owner, model, n);
  await sql`update chats set tool_ids = array[${tool}::uuid] where id = any(${ids})`;
  return ids;
}

const peakRssMb = (p: ServiceProcess) => memoryMb(p.child.pid!, 'VmHWM');

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
  const paths = Array.from({ length: OPEN_LOOP_RATE * OPEN_LOOP_SECONDS }, () => path);
  await drive(url, 'POST', paths, { content: 'hello' }, token, { connections: 10, rate: OPEN_LOOP_RATE });
  const to = new Date();
  const ids = await sql<{ id: string }[]>`select id from turns where created_at >= ${from} and created_at < ${to}`;
  await untilFinished(
    sql,
    ids.map((r) => r.id),
  );
  return turnLatency(sql, from, to);
}

/** A count in a label, with thousands separators: 1,000,000. */
const count = (n: number) => n.toLocaleString('en-US');
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ratio = (a: number, b: number) => fmt(a / b, 2);
const latencies = (t: { p50: number; p99: number }) => `${fmt(t.p50)} / ${fmt(t.p99)}`;
const table = (r: string[][]) => r.map((cells) => `| ${cells.join(' | ')} |`).join('\n');

/** A target of the issue: a bound on one figure (a ratio, a p99, a size), printed beside it. */
interface Bound {
  text: string;
  holds: (value: number) => boolean;
}

const atLeast = (min: number): Bound => ({ text: `>= ${min.toFixed(2)}`, holds: (v) => v >= min });
const below = (max: number, of = ''): Bound => ({ text: `${of}< ${max}`, holds: (v) => v < max });
const atMost = (max: number, of = ''): Bound => ({ text: `${of}<= ${max}`, holds: (v) => v <= max });

/** The targets. */
const TARGETS = {
  httpRatio: atLeast(0.85),
  httpP99Ms: below(50, 'p99 '),
  drainRatio: atLeast(0.85),
  toolRatio: atLeast(0.45),
  workerPeakMb: below(160),
  workerIdleMb: below(120),
  liveP99Ms: atMost(20, 'p99 '),
  liveApiMb: below(300),
  dataRatio: atLeast(0.9),
  listP99Ms: below(5, 'p99 '),
  facadeRatio: atLeast(0.8),
};

const HEADER = [
  ['measure', 'chatq', 'floor / baseline', 'ratio', 'target', 'met'],
  ['---', '---:', '---:', '---:', '---', '---'],
];

/** One row of the results table; `judged` (a target and the figure it bounds) fills its last two cells. */
function row(measure: string, chatq: string, baseline = '', ratio = '', judged?: [Bound, number]): string[] {
  if (!judged) return [measure, chatq, baseline, ratio, '', ''];
  const [bound, value] = judged;
  return [measure, chatq, baseline, ratio, bound.text, bound.holds(value) ? 'yes' : 'no'];
}

/** A row of two rates: both medians, and the ratio a target may bound. */
function ratioRow(measure: string, c: Comparison, bound?: Bound): string[] {
  return row(measure, fmt(c.subject), fmt(c.baseline), fmt(c.ratio, 2), bound && [bound, c.ratio]);
}

/** What the benchmark runs on: the bench database, chatq's API (which migrated it), its admin and default model. */
interface Bench {
  sql: Sql;
  api: ServiceProcess;
  apiPrefix: string;
  owner: string;
  model: string;
}

/** What a phase prints: rows of the results table, rows of the CPU table, and tables of its own. */
interface Report {
  rows: string[][];
  cpu?: string[][];
  tables?: string[];
}

/** CPU of each process group per operation (ms), each group's median over the rounds. */
function cpuRow(operation: string, side: string, splits: CpuSplit[], operations: number): string[] {
  const per = (group: keyof CpuSplit) => median(splits.map((split) => split[group])) / operations;
  const groups = ['service', 'postgres', 'redis', 'bench'] as const;
  const total = groups.reduce((sum, group) => sum + per(group), 0);
  return [operation, side, ...groups.map((group) => fmt(per(group), 2)), fmt(total, 2)];
}

const CPU_HEADER = [
  ['operation', 'side', 'API or worker', 'Postgres', 'Redis', 'load generator', 'total'],
  ['---', '---', '---:', '---:', '---:', '---:', '---:'],
];

/** A server the sends and edits are driven against: chatq's API or the floor's. */
interface Endpoint {
  url: string;
  /** The server's process, whose CPU is counted. */
  pid: number;
  token?: string;
  sendPath: (chat: string) => string;
  editPath: (m: { chat: string; message: string }) => string;
}

const chatqSendPath = (chat: string) => `/api/v1/chats/${chat}/messages`;

const chatqEndpoint = (api: ServiceProcess): Endpoint => ({
  url: api.url,
  pid: api.child.pid!,
  token: TOKEN,
  sendPath: chatqSendPath,
  editPath: (m) => `/api/v1/chats/${m.chat}/messages/${m.message}`,
});

const floorEndpoint = (floor: ServiceProcess): Endpoint => ({
  url: floor.url,
  pid: floor.child.pid!,
  sendPath: (chat) => `/send/${chat}`,
  editPath: (m) => `/edit/${m.chat}/${m.message}`,
});

/** The floor API, sending as the bench's admin. */
const spawnFloorApi = (b: Bench, prefix: string) =>
  spawn('api', { QUEUE_PREFIX: prefix, BENCH_OWNER: b.owner }, { file: 'floor-api.ts' });

/** One round of HTTP load on one server. */
interface HttpRun {
  sends: Throughput;
  edits: Throughput;
  cpu: Record<(typeof HTTP_KINDS)[number], CpuSplit>;
}

/** A first load on `e`, so that JIT warm-up and cold connection pools fall outside the rounds. */
async function warmUp(b: Bench, e: Endpoint): Promise<void> {
  const ids = await makeChats(b.sql, b.owner, b.model, 1_000);
  await drive(e.url, 'POST', ids.map(e.sendPath), { content: 'warm' }, e.token);
}

/** REQUESTS sends on `e`, each on a new idle chat, then an edit of each message sent. */
async function sendsAndEdits(b: Bench, e: Endpoint): Promise<HttpRun> {
  const ids = await makeChats(b.sql, b.owner, b.model, REQUESTS);
  const sendsCpu = cpuSince(e.pid);
  const sends = await drive(e.url, 'POST', ids.map(e.sendPath), { content: 'hello' }, e.token);
  const cpu = { sends: sendsCpu(), edits: {} as CpuSplit };
  const messages = await userMessages(b.sql, ids);
  const editsCpu = cpuSince(e.pid);
  const edits = await drive(e.url, 'PATCH', messages.map(e.editPath), { content: 'edited' }, e.token);
  cpu.edits = editsCpu();
  return { sends, edits, cpu };
}

/** Rate of each of `runs`' sends or edits. */
const rates = (runs: HttpRun[], kind: (typeof HTTP_KINDS)[number]) => runs.map((r) => r[kind].perSec);

/** Sends and edits, chatq's API beside the floor's, in alternated rounds. Returns chatq's rounds too. */
async function httpPhase(b: Bench): Promise<Report & { chatq: HttpRun[] }> {
  const floorPrefix = newPrefix();
  const floor = await spawnFloorApi(b, floorPrefix);
  const endpoints = { chatq: chatqEndpoint(b.api), floor: floorEndpoint(floor) };
  log('warming up');
  for (const side of SIDES) await warmUp(b, endpoints[side]);
  const runs = await alternate(SIDES, ROUNDS, (side, round) => {
    log(`${side}: ${REQUESTS} sends, then as many edits (round ${round + 1} of ${ROUNDS})`);
    return sendsAndEdits(b, endpoints[side]);
  });
  await stop(floor);
  await settle(b.sql, [b.apiPrefix, floorPrefix]);
  const rows = HTTP_KINDS.flatMap((kind) => {
    const latency = (side: 'chatq' | 'floor') => medianOf(runs[side].map((r) => r[kind]));
    return [
      ratioRow(
        `${kind}/s (${CONNECTIONS} connections)`,
        paired(rates(runs.chatq, kind), rates(runs.floor, kind)),
        TARGETS.httpRatio,
      ),
      row(`${kind} latency p50 / p99 (ms)`, latencies(latency('chatq')), latencies(latency('floor')), '', [
        TARGETS.httpP99Ms,
        latency('chatq').p99,
      ]),
    ];
  });
  const cpu = HTTP_KINDS.flatMap((kind) =>
    SIDES.map((side) =>
      cpuRow(
        kind.slice(0, -1),
        side,
        runs[side].map((r) => r.cpu[kind]),
        REQUESTS,
      ),
    ),
  );
  return { rows, cpu, chatq: runs.chatq };
}

/**
 * chatq's sends and edits with 1,000,000 messages in 100,000 chats, against the same on the
 * (nearly) empty database: `empty`, the http phase's chatq rounds, or measured here first. The
 * load is the same both times (each send on a new chat, then its edit), so only the tables' size
 * differs. And the first page of a chat list whose owner has about SEED.readerChats chats.
 */
async function dataPhase(b: Bench, empty?: HttpRun[]): Promise<Report> {
  const chatq = chatqEndpoint(b.api);
  const rounds = (what: string) =>
    repeat(ROUNDS, (round) => {
      log(`chatq, ${what}: ${REQUESTS} sends, then as many edits (round ${round + 1} of ${ROUNDS})`);
      return sendsAndEdits(b, chatq);
    });
  if (!empty) {
    log('warming up');
    await warmUp(b, chatq);
    empty = await rounds('empty database');
  }
  log(`seeding ${count(SEED.chats)} chats with ${SEED.turnsPerChat * 2} messages each`);
  const started = performance.now();
  const reader = await seedChats(b.sql, b.model, SEED);
  log(`seeded in ${fmt((performance.now() - started) / 1000, 1)} s`);
  // The list first: the rounds' new chats would be the newest, none of them the reader's.
  const list = medianOf(await listChats(b, reader));
  const seeded = await rounds('seeded database');
  await settle(b.sql, [b.apiPrefix]);
  const seededRows = HTTP_KINDS.map((kind) =>
    ratioRow(
      `${kind}/s with ${count(SEED.chats * SEED.turnsPerChat * 2)} messages in ${count(SEED.chats)} chats (baseline: empty database)`,
      unpaired(rates(seeded, kind), rates(empty, kind)),
      TARGETS.dataRatio,
    ),
  );
  const listRow = row(
    `chat list p50 / p99 (ms), GET /chats?limit=20 by an owner of ${count(SEED.readerChats)} chats, ${LIST_CONNECTIONS} connections`,
    latencies(list),
    '',
    '',
    [TARGETS.listP99Ms, list.p99],
  );
  return { rows: [...seededRows, listRow] };
}

/** ROUNDS runs of LIST_REQUESTS first pages of `user`'s chat list, with a token minted for them. */
async function listChats(b: Bench, user: string): Promise<Throughput[]> {
  const minted = await fetch(`${b.api.url}/api/v1/users/${user}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (minted.status !== 201) throw new Error(`minting the reader's token: ${minted.status} ${await minted.text()}`);
  const { token } = (await minted.json()) as { token: string };
  const paths = Array.from({ length: LIST_REQUESTS }, () => '/api/v1/chats?limit=20');
  return repeat(ROUNDS, (round) => {
    log(`chat list: ${LIST_REQUESTS} first pages (round ${round + 1} of ${ROUNDS})`);
    return drive(b.api.url, 'GET', paths, undefined, token, { connections: LIST_CONNECTIONS });
  });
}

/**
 * Resident memory of a chatq worker at rest: started with default settings (no BENCH_NODE_ARGS),
 * ready, then left alone for IDLE_MS. Idle is time passing with nothing to do, so here the sleep
 * is the measure itself, not a stand-in for a signal.
 */
async function idleWorkerRssMb(): Promise<number> {
  const worker = await spawn('worker', { QUEUE_PREFIX: newPrefix() }, { nodeArgs: [] });
  await sleep(IDLE_MS);
  const rss = memoryMb(worker.child.pid!, 'VmRSS');
  await stop(worker);
  return rss;
}

/** One drain: its rate, and its worker's peak RSS (MB). */
interface DrainRun {
  perSec: number;
  rss: number;
  cpu: CpuSplit;
}

/** A fresh worker (the bare one for `floor`) draining a backlog of plain turns, or of tool turns. */
async function drainOnce(b: Bench, side: (typeof DRAIN_SIDES)[number], toolModel: ToolModel): Promise<DrainRun> {
  const prefix = newPrefix();
  const worker = await spawn('worker', { QUEUE_PREFIX: prefix }, side === 'floor' ? { file: 'floor-worker.ts' } : {});
  const chats =
    side === 'tools'
      ? await makeToolChats(b.sql, b.owner, toolModel, TOOL_TURNS)
      : await makeChats(b.sql, b.owner, b.model, TURNS);
  const jobs = await queuedTurns(b.sql, b.owner, chats);
  const cpu = cpuSince(worker.child.pid!);
  const perSec = await drainRate(b.sql, prefix, jobs);
  const run = { perSec, rss: peakRssMb(worker), cpu: cpu() };
  await stop(worker);
  return run;
}

/**
 * Drains of plain turns by chatq's worker and by the bare one, and of two-step tool turns by
 * chatq's, alternated round by round; and an idle worker's RSS.
 */
async function drainPhase(b: Bench): Promise<Report> {
  log(`chatq: an idle worker's RSS, ${IDLE_MS} ms after it is ready`);
  const idle = await idleWorkerRssMb();
  const webhook = await startWebhook();
  const toolModel = await makeToolModel(b.sql, b.model, webhook.url);
  const runs = await alternate(DRAIN_SIDES, ROUNDS, (side, round) => {
    const what =
      side === 'tools' ? `chatq: draining ${TOOL_TURNS} two-step tool turns` : `${side}: draining ${TURNS} turns`;
    log(`${what} (round ${round + 1} of ${ROUNDS})`);
    return drainOnce(b, side, toolModel);
  });
  await webhook.close();
  const rate = (side: (typeof DRAIN_SIDES)[number]) => runs[side].map((r) => r.perSec);
  // A peak is a bound: the highest of the rounds, not their median.
  const peak = (side: 'chatq' | 'floor') => Math.max(...runs[side].map((r) => r.rss));
  const cpuOf = (side: (typeof DRAIN_SIDES)[number]) => runs[side].map((r) => r.cpu);
  return {
    rows: [
      ratioRow(
        `turns/s (drain of ${TURNS}, 1 worker x ${WORKER_CONCURRENCY})`,
        paired(rate('chatq'), rate('floor')),
        TARGETS.drainRatio,
      ),
      ratioRow(
        `two-step tool turns/s (drain of ${TOOL_TURNS}, webhook on localhost)`,
        paired(rate('tools'), rate('floor')),
        TARGETS.toolRatio,
      ),
      ratioRow('two-step tool turns/s (baseline: chatq plain turns/s)', paired(rate('tools'), rate('chatq'))),
      row(`worker peak RSS (MB), full-speed drain, highest of ${ROUNDS}`, fmt(peak('chatq')), fmt(peak('floor')), '', [
        TARGETS.workerPeakMb,
        peak('chatq'),
      ]),
      row(`worker idle RSS (MB), ${IDLE_MS / 1000} s after start`, fmt(idle), '', '', [TARGETS.workerIdleMb, idle]),
    ],
    cpu: [
      cpuRow('turn', 'floor', cpuOf('floor'), TURNS),
      cpuRow('turn', 'chatq', cpuOf('chatq'), TURNS),
      cpuRow('two-step tool turn', 'chatq', cpuOf('tools'), TOOL_TURNS),
    ],
  };
}

/** Enqueue-to-reply latency at a steady rate of new chats, on the floors and on chatq. */
async function openLoopPhase(b: Bench): Promise<Report> {
  log(`enqueue-to-reply at ${OPEN_LOOP_RATE} new chats/s for ${OPEN_LOOP_SECONDS} s`);
  const floorPrefix = newPrefix();
  const floor = await spawnFloorApi(b, floorPrefix);
  const floorWorker = await spawn('worker', { QUEUE_PREFIX: floorPrefix }, { file: 'floor-worker.ts' });
  const floorLatency = await openLoop(b.sql, floor.url, '/chats');
  await Promise.all([stop(floorWorker), stop(floor)]);
  const worker = await spawn('worker', { QUEUE_PREFIX: b.apiPrefix });
  const chatqLatency = await openLoop(b.sql, b.api.url, '/api/v1/chats', TOKEN);
  await stop(worker);
  return {
    rows: [
      row(
        `enqueue-to-reply p50 / p99 (ms) at ${OPEN_LOOP_RATE} chats/s`,
        latencies(chatqLatency),
        latencies(floorLatency),
      ),
    ],
  };
}

/** The facade measure as its own table: the streamed chat completion beside the native send and its reply. */
function facadeTable(m: FacadeMeasure): string {
  return table([
    ['measure', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'vs native'],
    ['---', '---:', '---:', '---:', '---:'],
    [
      `streamed chat completion, /openai/v1 (${FACADE_CONNECTIONS} at a time)`,
      fmt(m.facade.perSec),
      fmt(m.facade.p50),
      fmt(m.facade.p99),
      fmt(m.ratio, 2),
    ],
    [
      `native create + reply on its event stream (${FACADE_CONNECTIONS} at a time)`,
      fmt(m.native.perSec),
      fmt(m.native.p50),
      fmt(m.native.p99),
      '1.00',
    ],
  ]);
}

async function facadePhase(b: Bench): Promise<Report> {
  log(`facade: ${FACADE_REQUESTS} streamed chat completions beside as many native sends and replies`);
  const worker = await spawn('worker', { QUEUE_PREFIX: b.apiPrefix });
  const m = await measureFacade(b.api.url, TOKEN, b.model, FACADE_REQUESTS, FACADE_CONNECTIONS, ROUNDS);
  await stop(worker);
  const caption = `OpenAI facade: request to end of reply, same mock turn, median of ${ROUNDS} rounds`;
  return {
    rows: [
      row(
        'streamed chat completions/s, /openai/v1 (baseline: native send + reply)',
        fmt(m.facade.perSec),
        fmt(m.native.perSec),
        fmt(m.ratio, 2),
        [TARGETS.facadeRatio, m.ratio],
      ),
    ],
    tables: [`${caption}\n\n${facadeTable(m)}`],
  };
}

/**
 * LIVE_STREAMS event streams open on a fresh API process (its RSS is then theirs, not earlier
 * phases'), one per chat; then one turn per chat at LIVE_RATE turns/s on a mock that streams its
 * reply in several deltas. Each delta's delay runs from the worker's append to its client
 * (bench/live.ts says how it is read). One run: its figures are percentiles of every delta.
 */
async function livePhase(b: Bench): Promise<Report> {
  const prefix = newPrefix();
  const api = await spawn('api', { QUEUE_PREFIX: prefix, MAX_STREAMS_PER_USER: String(LIVE_STREAMS) });
  const worker = await spawn('worker', { QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: String(LIVE_WORKER_CONCURRENCY) });
  const model = await mockModel(b.sql, b.model, 'bench-streaming', { latency_ms: LIVE_REPLY_MS });
  const chats = await makeChats(b.sql, b.owner, model, LIVE_STREAMS);
  log(`live: opening ${LIVE_STREAMS} event streams on one API process`);
  const followers = await followChats(api.url, TOKEN, chats);
  let apiRss: number;
  try {
    log(`live: one turn on each chat, ${LIVE_RATE} started per second`);
    const load = { connections: 10, rate: LIVE_RATE };
    await drive(api.url, 'POST', chats.map(chatqSendPath), { content: 'hello' }, TOKEN, load);
    await withTimeout(followers.completed, LIVE_TIMEOUT_MS, 'every stream to see its reply completed');
    apiRss = peakRssMb(api);
  } finally {
    followers.close();
  }
  await Promise.all([stop(worker), stop(api)]);
  const delays = followers.delays.sort((x, y) => x - y);
  log(`live: ${delays.length} deltas received`);
  const delay = { p50: percentile(delays, 0.5), p99: percentile(delays, 0.99) };
  return {
    rows: [
      row(
        `live delta delay p50 / p99 (ms), worker append to client, ${count(LIVE_STREAMS)} streams`,
        latencies(delay),
        '',
        '',
        [TARGETS.liveP99Ms, delay.p99],
      ),
      row(`API peak RSS (MB), ${count(LIVE_STREAMS)} event streams open`, fmt(apiRss), '', '', [
        TARGETS.liveApiMb,
        apiRss,
      ]),
    ],
  };
}

/** Turns/s of 1, 2 and 4 workers on a slow mock model: how far adding workers goes. */
async function scalingPhase(b: Bench): Promise<Report> {
  log(`scaling: mock latency ${SCALING_LATENCY_MS} ms, 1, 2 and 4 worker processes`);
  const slowModel = await mockModel(b.sql, b.model, 'bench-slow', { latency_ms: SCALING_LATENCY_MS });
  const scaling: { workers: number; turns: number; perSec: number; rss: number[] }[] = [];
  for (const n of [1, 2, 4]) {
    const prefix = newPrefix();
    const workers = await Promise.all(Array.from({ length: n }, () => spawn('worker', { QUEUE_PREFIX: prefix })));
    const ids = await makeChats(b.sql, b.owner, slowModel, SCALING_TURNS_PER_WORKER * n);
    const jobs = await queuedTurns(b.sql, b.owner, ids);
    const perSec = await drainRate(b.sql, prefix, jobs);
    scaling.push({ workers: n, turns: jobs.length, perSec, rss: workers.map(peakRssMb) });
    await Promise.all(workers.map(stop));
  }
  const rows = [
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
  const caption = `Scaling: mock latency ${SCALING_LATENCY_MS} ms, concurrency ${WORKER_CONCURRENCY} per worker`;
  return { rows: [], tables: [`${caption}\n\n${table(rows)}`] };
}

async function main(): Promise<void> {
  const started = performance.now();
  const admin = createSql(dbUrl('postgres'), { max: 1, applicationName: 'chatq-bench' });
  await admin.unsafe(`create database ${RUN}`);
  const sql = createSql(dbUrl(RUN), { max: 4, applicationName: 'chatq-bench' });
  try {
    log(`database ${RUN}; starting chatq's API (it migrates)`);
    const apiPrefix = newPrefix();
    const api = await spawn('api', { QUEUE_PREFIX: apiPrefix });
    const [owner] = await sql<{ id: string }[]>`select id from users where role = 'admin'`;
    const [model] = await sql<{ id: string }[]>`select id from model_configs where is_default`;
    const b: Bench = { sql, api, apiPrefix, owner: owner!.id, model: model!.id };

    const reports: Report[] = [];
    let empty: HttpRun[] | undefined;
    if (runs('http')) {
      const http = await httpPhase(b);
      empty = http.chatq;
      reports.push(http);
    }
    // Right after the http phase, so that the empty and seeded rounds run under like conditions.
    if (runs('data')) reports.push(await dataPhase(b, empty));
    if (runs('drain')) reports.push(await drainPhase(b));
    if (runs('open-loop')) reports.push(await openLoopPhase(b));
    if (runs('facade')) reports.push(await facadePhase(b));
    if (runs('live')) reports.push(await livePhase(b));
    if (runs('scaling')) reports.push(await scalingPhase(b));

    const title =
      `chatq benchmark: ${availableParallelism()} CPUs, Node ${process.versions.node}, ` +
      `${REQUESTS} requests per HTTP run, median of ${ROUNDS} rounds`;
    const rows = reports.flatMap((r) => r.rows);
    const cpu = reports.flatMap((r) => r.cpu ?? []);
    const cpuCaption =
      `CPU per operation (ms) by process, median of the rounds: on ${availableParallelism()} CPUs every ` +
      `process shares the same cores, so a side's rate is bounded by its total (bench/proc.ts)`;
    const blocks = [
      title,
      ...(rows.length > 0 ? [table([...HEADER, ...rows])] : []),
      ...(cpu.length > 0 ? [`${cpuCaption}\n\n${table([...CPU_HEADER, ...cpu])}`] : []),
    ];
    process.stdout.write(`${[...blocks, ...reports.flatMap((r) => r.tables ?? [])].join('\n\n')}\n`);
    log(`done in ${fmt((performance.now() - started) / 1000)} s`);
  } finally {
    // SIGTERM first: a process run with BENCH_NODE_ARGS=--cpu-prof writes its profile as it exits.
    await Promise.all(processes.map((p) => p.terminate(5_000)));
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
