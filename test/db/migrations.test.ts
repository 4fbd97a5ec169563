import { refusalError } from '@chatq/api/domain/chats.service.ts';
import { CHANGE_REFUSALS, type ChangeRefusal } from '@chatq/chat-core';
import { TurnStatus } from '@chatq/contracts';
import {
  FUNCTIONS_DIR,
  loadFunctionFiles,
  loadMigrations,
  migrate,
  pendingMigrations,
  type Sql,
} from '@chatq/platform';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/db.ts';

const ROOT = new URL('../../', import.meta.url);

/**
 * The five migrations `main` shipped before the baseline (0001_core .. 0005_ops), from the fixture
 * tarball: a ustar archive of plain files, so 512-byte headers with the name and octal size.
 */
async function legacyMigrations(): Promise<{ version: string; name: string; sql: string }[]> {
  const tar = gunzipSync(await readFile(new URL('test/fixtures/legacy-migrations.tar.gz', ROOT)));
  const files: { version: string; name: string; sql: string }[] = [];
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const file = tar
      .subarray(at, at + 100)
      .toString('latin1')
      .replace(/\0.*$/s, '');
    const size = parseInt(
      tar
        .subarray(at + 124, at + 136)
        .toString('latin1')
        .replace(/\0.*$/s, '')
        .trim(),
      8,
    );
    const sql = tar.subarray(at + 512, at + 512 + size).toString('utf8');
    files.push({ version: file.slice(0, 4), name: file.slice(5, -4), sql });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files.sort((a, b) => a.version.localeCompare(b.version));
}

/** What the migrator of those releases did: each file and its schema_migrations row, in a transaction. */
async function migrateLegacy(sql: Sql, upTo = '9999'): Promise<void> {
  await sql`
    create table if not exists schema_migrations (
      version text primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`;
  for (const m of await legacyMigrations()) {
    if (m.version > upTo) break;
    await sql.begin(async (tx) => {
      await tx.unsafe(m.sql);
      await tx`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
    });
  }
}

/** The schema as pg_catalog describes it: columns, constraints, indexes, and every chatq_* function. */
async function schemaOf(sql: Sql) {
  const [columns, constraints, indexes, functions] = await Promise.all([
    sql`
      select table_name, ordinal_position, column_name, data_type, is_nullable, column_default, is_identity
      from information_schema.columns where table_schema = current_schema()
      order by table_name, ordinal_position`,
    sql`
      select conrelid::regclass::text as table, conname, pg_get_constraintdef(oid) as def
      from pg_constraint where connamespace = current_schema()::regnamespace
      order by 1, 2`,
    sql`select indexname, indexdef from pg_indexes where schemaname = current_schema() order by indexname`,
    functionsOf(sql),
  ]);
  return { columns, constraints, indexes, functions };
}

/** Each chatq_* function's signature and definition. */
async function functionsOf(sql: Sql) {
  return sql<{ signature: string; def: string }[]>`
    select p.oid::regprocedure::text as signature, pg_get_functiondef(p.oid) as def
    from pg_proc p
    where p.pronamespace = current_schema()::regnamespace and p.proname like 'chatq\\_%'
    order by 1`;
}

/** Every row of every table, to compare before and after an upgrade. */
async function dataOf(sql: Sql) {
  const tables = ['users', 'providers', 'model_configs', 'chats', 'messages', 'turns', 'queued_messages'];
  const rows = await Promise.all(
    tables.map((t) => sql.unsafe(`select to_jsonb(t) as row from ${t} t order by id`).then((r) => r.map((x) => x.row))),
  );
  return Object.fromEntries(tables.map((t, i) => [t, rows[i]]));
}

/** `data` with only the columns `like` has: what an upgrade kept, leaving out columns later migrations added. */
function columnsOf(data: TableData, like: TableData): TableData {
  return Object.fromEntries(
    Object.entries(data).map(([table, rows = []]) => [
      table,
      rows.map((row, i) => Object.fromEntries(Object.keys(like[table]?.[i] ?? row).map((k) => [k, row[k]]))),
    ]),
  );
}
type TableData = Awaited<ReturnType<typeof dataOf>>;

/** The migration files as schema_migrations rows name them, in order. */
const shipped = async () => (await loadMigrations()).map(({ version, name }) => ({ version, name }));

/** The `r` column of a one-row result. */
const one = async (rows: PromiseLike<readonly Record<string, any>[]>): Promise<any> => (await rows)[0]!.r;

describe('a fresh install', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('applies the baseline and every migration after it, recording each', async () => {
    const files = await shipped();
    expect(files[0]).toEqual({ version: '0001', name: 'baseline' });
    expect(await migrate(db.sql)).toEqual(files.map((f) => f.version));
    const rows = await db.sql`select version, name from schema_migrations order by version`;
    expect(rows.map((r) => ({ ...r }))).toEqual(files);
    expect(await pendingMigrations(db.sql, await loadMigrations())).toEqual([]);
  });

  it('running the migrator again is a no-op: no migration, the same schema and functions', async () => {
    const before = await schemaOf(db.sql);
    expect(await migrate(db.sql)).toEqual([]);
    expect(await schemaOf(db.sql)).toEqual(before);
  });

  it('defines exactly the functions of the files, plus those the schema uses (a column default, a trigger)', async () => {
    const files = (await loadFunctionFiles()).map((f) => f.sql).join('\n');
    const defined = [...files.matchAll(/create or replace function (chatq_\w+)\(/g)].map((m) => m[1]).sort();
    expect(new Set(defined).size).toBe(defined.length);
    const migrations = (await loadMigrations()).map((m) => m.sql).join('\n');
    const schema = [...migrations.matchAll(/create function (chatq_\w+)\(/g)].map((m) => m[1]);
    expect(schema).toEqual(['chatq_uuidv7', 'chatq_audit_events_guard']);
    const names = (await functionsOf(db.sql)).map((f) => f.signature.replace(/\(.*$/, ''));
    expect(names).toEqual([...defined, ...schema].sort());
  });

  it('drops chatq_* functions no file defines any more, old overloads included, on the next start', async () => {
    await db.sql`create function chatq_leftover() returns int language sql as $$ select 1 $$`;
    await db.sql`create function chatq_send_message(p_chat uuid) returns jsonb language sql as $$ select null::jsonb $$`;
    const before = await functionsOf(db.sql);
    await migrate(db.sql);
    const after = await functionsOf(db.sql);
    expect(after.map((f) => f.signature)).not.toContain('chatq_leftover()');
    expect(after.map((f) => f.signature)).not.toContain('chatq_send_message(uuid)');
    expect(after).toHaveLength(before.length - 2);
  });

  it('re-applies an edited function file on the next start', async () => {
    const dir = await mkdtemp(`${tmpdir()}/chatq-functions-`);
    try {
      await cp(FUNCTIONS_DIR, dir, { recursive: true });
      const file = `${dir}/refusal.sql`;
      await writeFile(file, (await readFile(file, 'utf8')).replace("'queue_full',", "'queue_full', 'edited_code',"));
      await migrate(db.sql, undefined, { functions: dir });
      expect(await one(db.sql<{ r: string[] }[]>`select chatq_refusal_codes() as r`)).toContain('edited_code');
    } finally {
      await migrate(db.sql);
      await rm(dir, { recursive: true });
    }
    expect(await one(db.sql<{ r: string[] }[]>`select chatq_refusal_codes() as r`)).not.toContain('edited_code');
  });

  it('refuses a function directory whose manifest does not list every file', async () => {
    const dir = await mkdtemp(`${tmpdir()}/chatq-functions-`);
    try {
      await cp(FUNCTIONS_DIR, dir, { recursive: true });
      await writeFile(`${dir}/forgotten.sql`, 'select 1;');
      await expect(loadFunctionFiles(dir)).rejects.toThrow(/not listed: forgotten\.sql/);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('keeps the live-turn index predicate and chatq_turn_is_live in agreement, and the index serves the helper', async () => {
    const statuses = TurnStatus.options;
    const live = await one(db.sql<{ r: string[] }[]>`
      select array_agg(s order by s) as r from unnest(${statuses}::text[]) s where chatq_turn_is_live(s)`);
    // A turn waiting on the caller's tool results or on an approval still holds its chat.
    expect(live).toEqual(['awaiting_approval', 'queued', 'requires_action', 'running']);
    const [index] = await db.sql`
      select pg_get_expr(indpred, indrelid) as predicate from pg_index
      where indexrelid = 'turns_one_live_per_chat_idx'::regclass`;
    expect(index!.predicate).toMatch(/^\(status = ANY \(ARRAY\[('\w+'::text(, )?)+\]\)\)$/);
    expect([...index!.predicate.matchAll(/'(\w+)'/g)].map((m) => m[1]).sort()).toEqual(live);
    // The helper is inlined, so a query through it can use the partial index.
    const plan = await db.sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      return tx.unsafe(`explain select 1 from turns where chat_id = '${randomUUID()}' and chatq_turn_is_live(status)`);
    });
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('turns_one_live_per_chat_idx');
  });

  it('has one list of refusal codes, the same in SQL and in chat-core, each of which the API maps to an error', async () => {
    const codes = await one(db.sql<ChangeRefusal[][]>`select chatq_refusal_codes() as r`);
    expect([...codes].sort()).toEqual([...CHANGE_REFUSALS].sort());
    for (const code of codes) {
      expect(refusalError(code).status).toBeGreaterThanOrEqual(400);
      expect(await one(db.sql`select chatq_refusal(${code}) as r`)).toEqual({ error: code });
    }
    await expect(db.sql`select chatq_refusal('chat_busy')`).rejects.toThrow(/chat_busy is not a refusal code/);
  });

  it('is what the image ships: the Dockerfile copies the function files beside the migrations', async () => {
    const dockerfile = await readFile(new URL('Dockerfile', ROOT), 'utf8');
    expect(dockerfile).toMatch(/^COPY infra\/migrations /m);
    expect(dockerfile).toMatch(/^COPY infra\/sql /m);
  });
});

describe('upgrading a database migrated by the legacy files', () => {
  let legacy: TestDatabase;
  let fresh: TestDatabase;
  let ids: { owner: string; chat: string; liveTurn: string; queued: string };
  let before: Awaited<ReturnType<typeof dataOf>>;
  let pendingBefore: string[];
  let applied: string[];

  beforeAll(async () => {
    [legacy, fresh] = await Promise.all([
      createTestDatabase({ migrated: false }),
      createTestDatabase({ migrated: false }),
    ]);
    await Promise.all([migrateLegacy(legacy.sql), migrate(fresh.sql)]);

    // A chat with history, a live turn and a queued message, written by the legacy functions.
    const sql = legacy.sql;
    const [u] = await sql`insert into users (username, role) values ('old-user', 'member') returning id`;
    const owner: string = u!.id;
    const [p] = await sql`insert into providers (name, kind) values ('old-provider', 'mock') returning id`;
    const [m] = await sql`
      insert into model_configs (provider_id, model, is_default) values (${p!.id}, 'old-model', true) returning id`;
    const model: string = m!.id;
    const created = await one(sql`select chatq_create_chat(${owner}, 'old chat', ${model}, 'hello') as r`);
    const chat = created.chat.id;
    const claim = randomUUID();
    expect((await one(sql`select chatq_claim_turn(${created.turn.id}, ${claim}, 5) as r`)).outcome).toBe('claimed');
    const usage = sql.json({ input_tokens: 2, output_tokens: 3 });
    await sql`select chatq_complete_turn(${created.turn.id}, ${claim}, 'hi there', ${usage}, 7)`;
    const second = await one(
      sql`select chatq_send_message(${owner}, ${chat}, 'second', null, 'queue', 10, null, null) as r`,
    );
    const third = await one(
      sql`select chatq_send_message(${owner}, ${chat}, 'third', null, 'queue', 10, null, null) as r`,
    );
    ids = { owner, chat, liveTurn: second.turn.id, queued: third.queued_message.id };

    before = await dataOf(sql);
    pendingBefore = await pendingMigrations(sql, await loadMigrations());
    applied = await migrate(sql);
  });
  afterAll(() => Promise.all([legacy.drop(), fresh.drop()]));

  it('records the legacy set as the baseline instead of re-running anything, then applies what came after it', async () => {
    const files = await shipped();
    expect(applied).toEqual(files.slice(1).map((f) => f.version));
    const rows = await legacy.sql`select version, name from schema_migrations order by version`;
    expect(rows.map((r) => ({ ...r }))).toEqual(files);
  });

  it('reports the baseline and what came after it pending until the migrator has run, then nothing', async () => {
    expect(pendingBefore).toEqual((await shipped()).map((f) => f.version));
    expect(await pendingMigrations(legacy.sql, await loadMigrations())).toEqual([]);
  });

  it('upgrades a database migrated by the legacy files without losing chats', async () => {
    expect(columnsOf(await dataOf(legacy.sql), before)).toEqual(before);
    expect(before.messages!.map((m: { content: string }) => m.content)).toEqual(['hello', 'hi there', 'second']);
    expect(before.queued_messages).toHaveLength(1);
  });

  it('ends with the schema and the function set of a fresh install', async () => {
    const [upgraded, installed] = await Promise.all([schemaOf(legacy.sql), schemaOf(fresh.sql)]);
    expect(upgraded).toEqual(installed);
    expect(upgraded.functions.map((f) => f.signature)).not.toContain('chatq_start_turn(uuid,text,uuid)');
  });

  it('keeps the upgraded chat working: its live turn is claimed and completed, the queue moves, a send queues', async () => {
    const sql = legacy.sql;
    const claim = randomUUID();
    const claimed = await one(sql`select chatq_claim_turn(${ids.liveTurn}, ${claim}, 5) as r`);
    expect(claimed).toMatchObject({ outcome: 'claimed', owner_id: ids.owner });
    expect(claimed.history).toEqual([
      { role: 'user', content: 'hello' },
      // Messages a turn wrote name it: a resumed turn tells its own steps apart by it.
      { role: 'assistant', content: 'hi there', turn_id: expect.any(String) },
      { role: 'user', content: 'second' },
    ]);
    const usage = sql.json({ input_tokens: 1, output_tokens: 1 });
    const done = await one(sql`select chatq_complete_turn(${ids.liveTurn}, ${claim}, 'ok', ${usage}, null) as r`);
    expect(done).toMatchObject({ outcome: 'completed', next: { message: { id: ids.queued, content: 'third' } } });
    const sent = await one(
      sql`select chatq_send_message(${ids.owner}, ${ids.chat}, 'fourth', null, 'queue', 10, null, null) as r`,
    );
    expect(sent.queued_message).toMatchObject({ chat_id: ids.chat, content: 'fourth' });
  });
});

describe('a database with only part of the legacy migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    await migrateLegacy(db.sql, '0003');
  });
  afterAll(() => db.drop());

  it('is refused with an error naming what is missing, and left as it was', async () => {
    const before = await schemaOf(db.sql);
    await expect(migrate(db.sql)).rejects.toThrow(
      /applied only part of the migrations .*applied: 0001_core, 0002_providers, 0003_streams; missing: 0004_api, 0005_ops/,
    );
    const rows = await db.sql`select version from schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual(['0001', '0002', '0003']);
    expect(await schemaOf(db.sql)).toEqual(before);
  });
});
