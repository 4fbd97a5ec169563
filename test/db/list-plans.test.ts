import { AuditRepository } from '@chatq/api/db/audit.repository.ts';
import { ChatsRepository } from '@chatq/api/db/chats.repository.ts';
import { McpServersRepository } from '@chatq/api/db/mcp-servers.repository.ts';
import { ModelConfigsRepository } from '@chatq/api/db/model-configs.repository.ts';
import { OpenAIRepository } from '@chatq/api/db/openai.repository.ts';
import { ProvidersRepository } from '@chatq/api/db/providers.repository.ts';
import { ToolsRepository } from '@chatq/api/db/tools.repository.ts';
import { UsageRepository } from '@chatq/api/db/usage.repository.ts';
import { UsersRepository } from '@chatq/api/db/users.repository.ts';
import type { PageRequest } from '@chatq/api/domain/pagination.ts';
import { createSql, type Sql } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/db.ts';
import { planOffences, type PlanNode, rowsRead } from '../harness/plans.ts';

// Every list the API serves is a keyset page: an index finds the page's first row and hands the
// rows over in the list's order, so a page costs the same however large its table grows. Each test
// runs a list through its repository on a database seeded at scale, captures the statements the
// repository sends (the SQL the API runs, no copy to drift from it) and plans each with the same
// parameters, three ways:
// - custom: planned for its parameters and run (EXPLAIN ANALYZE). No large table read whole, no
//   sort of rows nothing bounds, and at most ROWS_PER_PAGE table rows read for the page;
// - generic: planned for any parameters, as Postgres may after a prepared statement's fifth run.
//   No large table read whole, no unbounded sort;
// - index order: with sorting disabled, which shows that an index can hand the page over in order
//   even where the planner prefers to sort a few rows.
// A list whose plan may sort a few rows names the indexes that find them and why they stay few; one
// that may read more than a page says why. Usage sums are no pages, but they too must read only
// what they sum, by index.

/** Tables that grow with use. The admin catalogues are seeded large too, so their lists must walk an index. */
const LARGE = new Set([
  'users',
  'api_tokens',
  'chats',
  'messages',
  'turns',
  'queued_messages',
  'audit_events',
  'providers',
  'model_configs',
  'tools',
  'mcp_servers',
]);

/**
 * 5,000 users; 50,000 chats, 5,000 of them user-1's (a tenth archived, a twentieth hidden, statuses
 * mixed); 200,000 messages over 200 days, 5,000 of them in user-1's "chat 1" (every other one an
 * assistant reply with usage and a turn, every fiftieth deleted); 5,000 chats with three queued
 * messages; 20,000 tokens, 2,000 of them user-1's (a quarter revoked); 100,000 audit events over
 * 100 days, 20 by each user and 100 on each target; 2,000 each of providers, model configs, tools
 * and MCP servers (a tenth deleted, a seventh disabled). Rare filter values on purpose: without
 * its index, a filter that matches few rows shows as a table read, not a short walk.
 */
const SEED = `
  insert into providers (name, kind, deleted_at)
  select 'provider-' || i, 'mock', case when i % 10 = 0 then now() end from generate_series(1, 2000) i;
  insert into model_configs (provider_id, model, enabled, deleted_at)
  select (select id from providers where deleted_at is null order by id limit 1), 'model-' || i, i % 7 <> 0,
         case when i % 10 = 0 then now() end
  from generate_series(1, 2000) i;
  insert into tools (name, description, input_schema, kind, enabled, deleted_at)
  select 'tool-' || i, 'd', '{}', 'client', i % 7 <> 0, case when i % 10 = 0 then now() end
  from generate_series(1, 2000) i;
  insert into mcp_servers (name, url, enabled, deleted_at)
  select 'mcp-' || i, 'http://mcp.test', i % 7 <> 0, case when i % 10 = 0 then now() end
  from generate_series(1, 2000) i;

  insert into users (username, role) select 'user-' || i, 'member' from generate_series(1, 5000) i;
  create temp table seed_users as select id, substr(username, 6)::int as n from users;
  create temp table seed_model as select id from model_configs where deleted_at is null and enabled order by id limit 1;

  insert into chats (owner_id, title, status, last_model_config_id, archived, hidden)
  select u.id, 'chat ' || c || ' about ' || (array['cats', 'dogs', 'tax', 'code', 'rust'])[1 + c % 5],
         (array['idle', 'idle', 'idle', 'idle', 'idle', 'idle', 'pending', 'running', 'error',
                'requires_action'])[1 + c % 10],
         (select id from seed_model), c % 10 = 3, c % 20 = 7
  from generate_series(1, 50000) c
  join seed_users u on u.n = case when c <= 5000 then 1 else 2 + (c - 5001) % 4999 end;
  create temp table seed_chats as select id, split_part(title, ' ', 2)::int as n from chats;

  insert into messages (chat_id, role, content, model_config_id, turn_id, usage, cost_micros, created_at, deleted_at)
  select c.id, case when m % 2 = 0 then 'user' else 'assistant' end, 'message ' || m, (select id from seed_model),
         case when m % 2 = 1 then chatq_uuidv7() end,
         case when m % 2 = 1 then '{"input_tokens": 10, "output_tokens": 20}'::jsonb end,
         case when m % 2 = 1 then 7 end,
         now() - make_interval(secs => (200000 - m) * 86.4),
         case when m % 50 = 0 then now() end
  from generate_series(1, 200000) m
  join seed_chats c on c.n = case when m <= 5000 then 1 else 2 + (m - 5001) % 49999 end;
  insert into turns (id, chat_id, generation, status, model_config_id, created_at)
  select turn_id, chat_id, 0, 'completed', model_config_id, created_at from messages where turn_id is not null;
  insert into queued_messages (chat_id, content, model_config_id)
  select c.id, 'queued', (select id from seed_model) from seed_chats c, generate_series(1, 3) where c.n % 10 = 1;

  insert into api_tokens (user_id, token_hash, name, revoked_at)
  select u.id, sha256(t::text::bytea), 'token ' || t, case when t % 4 = 0 then now() end
  from generate_series(1, 20000) t join seed_users u on u.n = case when t <= 2000 then 1 else 2 + t % 4999 end;
  insert into audit_events (actor_id, action, target_type, target_id, at)
  select u.id, (array['user.update', 'token.create', 'token.revoke', 'provider.update', 'request.refused'])[1 + e % 5],
         (array['user', 'token', 'token', 'provider', 'route'])[1 + e % 5], (e % 1000)::text,
         now() - make_interval(secs => (100000 - e) * 86.4)
  from generate_series(1, 100000) e join seed_users u on u.n = 1 + e % 5000;
  analyze;
`;

/** A statement a repository sent, with its parameters. */
interface Statement {
  query: string;
  parameters: unknown[];
}

/**
 * A one-connection pool on `url` that hands `record` each statement it sends. Its first query also
 * reads the server's types: done here, so nothing a test runs records that.
 */
async function tracedPool(url: string, record: (statement: Statement) => void): Promise<Sql> {
  let ready = false;
  const pool = createSql(url, {
    max: 1,
    applicationName: 'chatq-test-plans',
    debug: (_connection, query, parameters) => ready && record({ query, parameters }),
  });
  await pool`select 1`;
  ready = true;
  return pool;
}

let db: TestDatabase;
/** The pool the repositories run on: it records each statement it sends into `sent`. */
let traced: Sql;
let sent: Statement[] = [];
let repos: Repositories;
/** Keys of user-1 (5,000 chats), its "chat 1" (5,000 messages), and rows halfway down each list. */
let at: Record<
  | 'user'
  | 'chat'
  | 'chatCursor'
  | 'seqCursor'
  | 'messageCursor'
  | 'turn'
  | 'tokenCursor'
  | 'userCursor'
  | 'eventCursor'
  | 'actor'
  | 'catalogueCursor',
  string
>;

const repositories = (sql: Sql) => ({
  chats: new ChatsRepository(sql),
  users: new UsersRepository(sql),
  audit: new AuditRepository(sql),
  usage: new UsageRepository(sql),
  openai: new OpenAIRepository(sql),
  providers: new ProvidersRepository(sql),
  modelConfigs: new ModelConfigsRepository(sql),
  tools: new ToolsRepository(sql),
  mcpServers: new McpServersRepository(sql),
});
type Repositories = ReturnType<typeof repositories>;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(SEED);
  traced = await tracedPool(db.url, (statement) => sent.push(statement));
  repos = repositories(traced);
  const middle = async (rows: PromiseLike<readonly { k: unknown }[]>): Promise<string> => {
    const keys = await rows;
    return String(keys[Math.floor(keys.length / 2)]!.k);
  };
  const [user] = await db.sql<{ id: string }[]>`select id from users where username = 'user-1'`;
  const [chat] = await db.sql<{ id: string }[]>`select id from chats where title like 'chat 1 about %'`;
  const [turn] = await db.sql<{ id: string }[]>`
    select turn_id as id from messages where chat_id = ${chat!.id} and turn_id is not null
    order by seq offset 1000 limit 1`;
  at = {
    user: user!.id,
    chat: chat!.id,
    chatCursor: await middle(db.sql`select id as k from chats where owner_id = ${user!.id} order by id`),
    seqCursor: await middle(db.sql`select seq as k from messages where chat_id = ${chat!.id} order by seq`),
    messageCursor: await middle(db.sql`select id as k from messages where chat_id = ${chat!.id} order by seq`),
    turn: turn!.id,
    tokenCursor: await middle(db.sql`select id as k from api_tokens where user_id = ${user!.id} order by id`),
    userCursor: await middle(db.sql`select id as k from users order by id`),
    eventCursor: await middle(db.sql`select id as k from audit_events order by id`),
    actor: await middle(db.sql`select actor_id as k from audit_events order by id`),
    catalogueCursor: await middle(db.sql`select id as k from tools order by id`),
  };
}, 120_000);
afterAll(async () => {
  await traced?.end({ timeout: 1 });
  await db?.drop();
});

/** The first page, the page after `cursor`, and the page before it. */
async function eachPage(cursor: string, list: (page: PageRequest<string>) => Promise<unknown>): Promise<void> {
  await list({ limit: 20, direction: 'after', cursor: null });
  await list({ limit: 20, direction: 'after', cursor });
  await list({ limit: 20, direction: 'before', cursor });
}

/** Table rows one page of 20 may read: its own 21, and those a filter keeping one row in twenty skips. */
const ROWS_PER_PAGE = 500;

interface QuerySpec {
  name: string;
  /** Runs the query (each page of a list) through the repositories; every statement it sends is planned. */
  run: (r: Repositories) => Promise<unknown>;
  /**
   * Where the planner may sort rows instead of taking them in index order, because it expects few:
   * the indexes whose conditions find them, and why they stay few. A list must still have a plan
   * that takes its page in index order.
   */
  sorts?: { within: readonly string[]; why: string };
  /** Why a page may read more than ROWS_PER_PAGE table rows. */
  readsMore?: string;
  /** Large tables the generic plan may read whole, and why (it cannot see the parameters that bound it). */
  genericReadsWhole?: { tables: readonly string[]; why: string };
}

const DAY = 86_400_000;
const dayAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

const LISTS: QuerySpec[] = [
  {
    name: "listing a user's chats by recency walks the owner index, no sort",
    run: (r) => eachPage(at.chatCursor, (page) => r.chats.list(at.user, {}, page)),
  },
  {
    name: "listing a user's chats of one status walks the owner index, filtering, no sort",
    run: (r) => eachPage(at.chatCursor, (page) => r.chats.list(at.user, { status: 'error' }, page)),
  },
  {
    name: "listing a user's archived (or live) chats walks the owner index, filtering, no sort",
    run: async (r) => {
      await eachPage(at.chatCursor, (page) => r.chats.list(at.user, { archived: true }, page));
      await eachPage(at.chatCursor, (page) => r.chats.list(at.user, { archived: false }, page));
    },
  },
  {
    name: "searching a user's chat titles reads that user's chats only",
    run: async (r) => {
      await eachPage(at.chatCursor, (page) => r.chats.list(at.user, { q: 'tax' }, page));
      await eachPage(at.chatCursor, (page) => r.chats.list(at.user, { q: 'no such title' }, page));
      await eachPage(at.chatCursor, (page) =>
        r.chats.list(at.user, { status: 'idle', archived: false, q: 'cats' }, page),
      );
    },
    // ILIKE '%q%' has no B-tree index: the planner walks the owner index in list order, filtering,
    // or (for a rare term) takes the owner's chats and sorts the matches. Either way a term few
    // titles match is looked for through all the user's chats, never the table's.
    sorts: { within: ['chats_owner_idx'], why: "the user's chats that match" },
    readsMore: "a rare term is looked for through all the user's chats",
  },
  {
    name: "listing a chat's messages walks the chat's live-message index in order, with its queue",
    run: (r) => eachPage(at.seqCursor, (page) => r.chats.listMessages(at.user, at.chat, page)),
  },
  {
    name: "listing a user's live tokens walks the live-token index, no sort",
    run: (r) => eachPage(at.tokenCursor, (page) => r.users.listTokens(at.user, page)),
  },
  {
    name: 'listing users walks the primary key, no sort',
    run: (r) => eachPage(at.userCursor, (page) => r.users.list(page)),
  },
  {
    name: 'listing audit events, unfiltered or by action, actor or target, takes them newest first by an index',
    run: async (r) => {
      for (const filter of [
        {},
        { action: 'user.update' },
        { action: 'audit.prune' },
        { actor_id: at.actor },
        { target_type: 'token', target_id: '6' },
      ] as const) {
        await eachPage(at.eventCursor, (page) => r.audit.list({ limit: 20, ...filter }, page));
      }
    },
    // Each filter's index holds its events newest first; for a filter it expects few events of,
    // the planner may take them by that index and sort them.
    sorts: {
      within: ['audit_events_action_idx', 'audit_events_actor_idx', 'audit_events_target_idx'],
      why: 'the events the filter matches',
    },
  },
  {
    name: 'listing audit events in a time range takes them by an index, newest first or sorting the range',
    run: async (r) => {
      for (const range of [
        { from: dayAgo(30) },
        { to: dayAgo(30) },
        { from: dayAgo(31), to: dayAgo(30) },
        { from: dayAgo(90), to: dayAgo(10) },
      ]) {
        await eachPage(at.eventCursor, (page) => r.audit.list({ limit: 20, ...range }, page));
      }
    },
    // The list is keyed by id, the range is on `at`. For a range it expects few events in, the
    // planner takes them by audit_events_at_idx and sorts them; otherwise it walks the primary key
    // newest first, filtering on `at`.
    sorts: { within: ['audit_events_at_idx'], why: 'the events of the range asked for' },
    // A known gap, not a bound: the planner cannot know that `at` follows `id`, so a page whose
    // cursor or end lies outside the range walks every event past it (here up to 50,000 of
    // 100,000). Bounding that walk takes the range turned into ids as well.
    readsMore: 'a walk by id to a range on `at` reads the events outside it on the way',
  },
  {
    name: 'listing providers, model configs, tools and MCP servers walks each primary key, no sort',
    run: async (r) => {
      await eachPage(at.catalogueCursor, (page) => r.providers.list(page));
      for (const onlyEnabled of [false, true]) {
        await eachPage(at.catalogueCursor, (page) => r.modelConfigs.list(onlyEnabled, page));
        await eachPage(at.catalogueCursor, (page) => r.tools.list(onlyEnabled, page));
        await eachPage(at.catalogueCursor, (page) => r.mcpServers.list(onlyEnabled, page));
      }
    },
  },
  {
    name: "the OpenAI facade's model list walks the model configs' primary key, no sort",
    run: (r) => r.openai.models(),
    readsMore: 'it has no pages: every usable model config, up to its limit of 1,000',
  },
  {
    name: "the OpenAI facade's conversation items walk the chat's live-message index either way, no sort",
    run: async (r) => {
      for (const order of ['asc', 'desc'] as const) {
        await r.openai.chatMessages(at.user, at.chat, { limit: 20, order });
        await r.openai.chatMessages(at.user, at.chat, { limit: 20, order, afterId: at.messageCursor });
      }
    },
  },
  {
    name: "the OpenAI facade's response input items walk the chat's live-message index up to the turn, no sort",
    run: async (r) => {
      for (const order of ['asc', 'desc'] as const) {
        await r.openai.chatMessages(at.user, at.chat, { limit: 20, order, beforeTurnId: at.turn });
        await r.openai.chatMessages(at.user, at.chat, {
          limit: 20,
          order,
          afterId: at.messageCursor,
          beforeTurnId: at.turn,
        });
      }
    },
  },
  {
    name: "the OpenAI facade's response reads the turn's messages in order by the turn index, no sort",
    run: (r) => r.openai.turnMessages(at.turn),
  },
];

/** Usage sums: no page, but each reads only the replies it sums, by an index. */
const SUMS: QuerySpec[] = [
  {
    name: "a chat's usage sums that chat's replies by the usage index",
    run: (r) => r.usage.forChat(at.user, at.chat),
  },
  {
    name: "a user's usage sums the replies of that user's chats by the owner and usage indexes",
    run: async (r) => {
      await r.usage.forUser(at.user, null, null);
      await r.usage.forUser(at.user, dayAgo(30), null);
      await r.usage.forUser(at.user, dayAgo(31), dayAgo(30));
    },
  },
  {
    name: 'a usage report over a range reads the replies of that range by the report index',
    run: async (r) => {
      for (const groupBy of ['user', 'model_config', 'day'] as const) {
        await r.usage.report(groupBy, dayAgo(1), null, 1000);
        await r.usage.report(groupBy, dayAgo(31), dayAgo(30), 1000);
      }
    },
    // A report sums every reply in its range, grouped: its groups are sorted after summing. (One
    // without a range reads every reply: that is what it asks for.)
    sorts: { within: ['messages_report_idx'], why: 'the replies of the range asked for' },
    // By user, with a range it cannot see, the planner expects a third of all replies and hashes
    // every chat's owner rather than look each reply's chat up; with the range, it looks them up.
    genericReadsWhole: { tables: ['chats'], why: "a report by user joins each reply's chat" },
  },
];

/** How a statement is planned, and whether it is run too (EXPLAIN ANALYZE). */
type Mode = 'custom' | 'generic' | 'index order';
const MODES: Record<Mode, { settings: string; analyze: boolean }> = {
  custom: { settings: 'set plan_cache_mode = force_custom_plan', analyze: true },
  generic: { settings: 'set plan_cache_mode = force_generic_plan', analyze: false },
  'index order': { settings: 'set plan_cache_mode = force_custom_plan; set enable_sort = off', analyze: false },
};

/** A parameter as an SQL literal (the values here are strings, numbers, booleans, dates or null). */
const literal = (value: unknown): string =>
  value === null ? 'null' : `'${(value instanceof Date ? value.toISOString() : String(value)).replaceAll("'", "''")}'`;

/** The plan of `statement` on `on` (the seeded database), as a prepared statement, the way the API's pool runs every one. */
async function planOf(statement: Statement, mode: Mode, on: Sql = db.sql): Promise<PlanNode> {
  const conn = await on.reserve();
  let prepared = false;
  try {
    await conn.unsafe(MODES[mode].settings);
    await conn.unsafe(`prepare listed as ${statement.query}`);
    prepared = true;
    // EXPLAIN EXECUTE takes no bind parameters: the arguments are literals, typed as the statement's.
    const [{ types }] = (await conn`
      select parameter_types::text[] as types from pg_prepared_statements where name = 'listed'`) as unknown as [
      { types: string[] },
    ];
    const args = types.map((type, i) => `${literal(statement.parameters[i])}::${type}`).join(', ');
    const options = MODES[mode].analyze ? 'analyze, format json' : 'format json';
    const [row] = await conn.unsafe(`explain (${options}) execute listed${args ? `(${args})` : ''}`);
    return (row!['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
  } finally {
    // This statement only: the pool keeps its own prepared statements on the connection.
    if (prepared) await conn.unsafe('deallocate listed');
    await conn.unsafe('reset plan_cache_mode; reset enable_sort');
    conn.release();
  }
}

/**
 * What, in the plans of the statements `run` sends, makes them cost more as tables grow. `budget`:
 * the table rows a statement may read when run, unless the query `readsMore`.
 */
async function offencesOf(query: QuerySpec, modes: readonly Mode[], budget?: number): Promise<string[]> {
  sent = [];
  await query.run(repos);
  const statements = [...new Map(sent.map((s) => [JSON.stringify(s), s])).values()];
  expect(statements.length).toBeGreaterThan(0);
  const offences: string[] = [];
  for (const statement of statements) {
    const of = `\n  of: ${statement.query.replace(/\s+/g, ' ').trim()}`;
    for (const mode of modes) {
      const plan = await planOf(statement, mode);
      const whole = new Set(mode === 'generic' ? query.genericReadsWhole?.tables : []);
      const rules = {
        large: new Set([...LARGE].filter((table) => !whole.has(table))),
        // With sorting disabled the planner sorts only where no index gives the order.
        sortsBoundedBy: mode === 'index order' ? [] : (query.sorts?.within ?? []),
      };
      for (const offence of planOffences(plan, rules)) offences.push(`${mode} plan: ${offence}${of}`);
      const read = MODES[mode].analyze ? rowsRead(plan) : 0;
      if (budget !== undefined && query.readsMore === undefined && read > budget) {
        offences.push(`${mode} plan: read ${read} table rows for one page (at most ${budget})${of}`);
      }
    }
  }
  return offences;
}

describe('every list query finds and orders its page by an index, whatever the size of the table', () => {
  it.each(LISTS)('$name', async (list) => {
    expect(await offencesOf(list, ['custom', 'generic', 'index order'], ROWS_PER_PAGE)).toEqual([]);
  });
});

/**
 * 1,001 users and 100,000 chats: the oldest 10,000 are one user's, who has made none since. That
 * user's share makes the planner expect their chats anywhere in the table, so for their own value
 * it prefers walking the primary key from the newest chat down over the owner index: 90,000 chats
 * read for a page of 21. The list compares the owner with a value the planner cannot look into.
 */
const QUIET_SEED = `
  insert into providers (name, kind) values ('mock', 'mock');
  insert into model_configs (provider_id, model) select id, 'mock' from providers;
  insert into users (username, role) select 'user-' || i, 'member' from generate_series(1, 1000) i;
  insert into users (username, role) values ('quiet', 'member');
  insert into chats (owner_id, title, last_model_config_id)
  select (select id from users where username = 'quiet'), 'old', (select id from model_configs)
  from generate_series(1, 10000);
  insert into chats (owner_id, title, last_model_config_id)
  select u.id, 'new', (select id from model_configs)
  from generate_series(1, 90000) c
  join (select id, row_number() over (order by id) as n from users where username like 'user-%') u on u.n = 1 + c % 1000;
  analyze;
`;

describe('a user who owns many chats, all older than everyone else’s', () => {
  let quiet: TestDatabase;
  beforeAll(async () => {
    quiet = await createTestDatabase();
    await quiet.sql.unsafe(QUIET_SEED);
  }, 120_000);
  afterAll(async () => {
    await quiet?.drop();
  });

  it('gets a page of their chats from the owner index, not by walking past every newer chat', async () => {
    const captured: Statement[] = [];
    const pool = await tracedPool(quiet.url, (statement) => captured.push(statement));
    try {
      const [user] = await quiet.sql<{ id: string }[]>`select id from users where username = 'quiet'`;
      const page = await new ChatsRepository(pool).list(user!.id, {}, { limit: 20, direction: 'after', cursor: null });
      expect(page).toHaveLength(21);
      const plan = await planOf(captured[0]!, 'custom', quiet.sql);
      expect(rowsRead(plan)).toBeLessThanOrEqual(ROWS_PER_PAGE);
    } finally {
      await pool.end({ timeout: 1 });
    }
  });
});

describe('every usage sum reads only the replies it sums, by an index', () => {
  it.each(SUMS)('$name', async (sum) => {
    expect(await offencesOf(sum, ['custom', 'generic'])).toEqual([]);
  });
});

describe('reading a plan for what grows with a table', () => {
  const large = new Set(['chats']);
  const scan = (type: string, extra: Partial<PlanNode> = {}): PlanNode => ({
    'Node Type': type,
    'Relation Name': 'chats',
    ...extra,
  });
  const ownerScan = scan('Index Scan', { 'Index Name': 'chats_owner_idx', 'Index Cond': '(owner_id = $1)' });
  const sortOf = (input: PlanNode): PlanNode => ({ 'Node Type': 'Sort', 'Sort Key': ['id'], Plans: [input] });
  const limitOf = (input: PlanNode): PlanNode => ({ 'Node Type': 'Limit', Plans: [input] });

  it('flags a large table read whole, not a small one', () => {
    expect(planOffences(limitOf(sortOf(scan('Seq Scan'))), { large })).toContain(
      'Seq Scan on chats: reads the whole table',
    );
    expect(planOffences(limitOf(sortOf(scan('Seq Scan'))), { large: new Set() })).toEqual([]);
  });

  it("flags a page sorted from one owner's rows, unless the query names that index as bounding them", () => {
    expect(planOffences(limitOf(sortOf(ownerScan)), { large })).toEqual([
      'Sort by id: sorts rows no Limit or bounding index caps (Index Scan on chats using chats_owner_idx ' +
        '((owner_id = $1)))',
    ]);
    expect(planOffences(limitOf(sortOf(ownerScan)), { large, sortsBoundedBy: ['chats_owner_idx'] })).toEqual([]);
  });

  it("accepts a page taken in index order, and a sort of a Limit's rows or of a primary-key lookup", () => {
    expect(planOffences(limitOf(ownerScan), { large })).toEqual([]);
    expect(planOffences(sortOf(limitOf(ownerScan)), { large })).toEqual([]);
    const byId = scan('Index Scan', { 'Index Name': 'chats_pkey', 'Index Cond': "(id = '42'::uuid)" });
    expect(planOffences(sortOf(byId), { large })).toEqual([]);
  });

  it('flags a whole-index walk no Limit stops, and a bitmap of a whole index', () => {
    const walk = scan('Index Scan', { 'Index Name': 'chats_pkey' });
    expect(planOffences(limitOf(walk), { large })).toEqual([]);
    expect(planOffences({ 'Node Type': 'Aggregate', Strategy: 'Plain', Plans: [walk] }, { large })).toEqual([
      'Index Scan on chats using chats_pkey: walks the whole index, no Limit stops it',
    ]);
    const bitmap = scan('Bitmap Heap Scan', {
      Plans: [{ 'Node Type': 'Bitmap Index Scan', 'Index Name': 'chats_owner_idx', 'Parent Relationship': 'Outer' }],
    });
    expect(planOffences(limitOf(bitmap), { large })).toEqual([
      'Bitmap Index Scan using chats_owner_idx: builds a bitmap of the whole index',
    ]);
  });

  it('counts the table rows a run read, filtered ones and every loop included', () => {
    const run = scan('Index Scan', { 'Actual Rows': 20, 'Rows Removed by Filter': 180, 'Actual Loops': 2 });
    expect(rowsRead(limitOf(run))).toBe(400);
  });
});
