import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import postgres from 'postgres';
import type { Sql } from './db.ts';

/** infra/migrations, resolved from this file so it works from any working directory. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../infra/migrations/', import.meta.url));

/** infra/sql/functions: the chatq_* functions, re-applied on every start. */
export const FUNCTIONS_DIR = fileURLToPath(new URL('../../../infra/sql/functions/', import.meta.url));

/** The manifest in FUNCTIONS_DIR that lists the function files in the order they are applied. */
export const FUNCTIONS_MANIFEST = 'order.txt';

/** Arbitrary constant: every chatq migrator takes this advisory lock, so replicas never race. */
const MIGRATION_LOCK_KEY = 0x63_68_61_74_71; // "chatq"

/** A migration file: `NNNN_name.sql`, applied in version order. Schema only: tables, indexes, types. */
export interface Migration {
  version: string;
  name: string;
  sql: string;
}

/** A file of chatq_* functions (`create or replace function ...`). */
export interface FunctionFile {
  file: string;
  sql: string;
}

/**
 * The migrations releases before the baseline shipped, as their schema_migrations rows name them.
 * 0001_baseline is their squash: a database that applied all of them is at the baseline.
 */
export const LEGACY_MIGRATIONS: readonly { version: string; name: string }[] = [
  { version: '0001', name: 'core' },
  { version: '0002', name: 'providers' },
  { version: '0003', name: 'streams' },
  { version: '0004', name: 'api' },
  { version: '0005', name: 'ops' },
];
const BASELINE = { version: '0001', name: 'baseline' };

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: file.slice(0, 4),
      name: file.slice(5, -4),
      sql: await readFile(`${dir}/${file}`, 'utf8'),
    })),
  );
}

/**
 * The function files in manifest order. The manifest and the directory must agree: a file it does
 * not list would silently never be applied, and a listed file that is missing is a broken checkout.
 */
export async function loadFunctionFiles(dir = FUNCTIONS_DIR): Promise<FunctionFile[]> {
  const manifest = (await readFile(`${dir}/${FUNCTIONS_MANIFEST}`, 'utf8'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const onDisk = (await readdir(dir)).filter((f) => f.endsWith('.sql'));
  const unlisted = onDisk.filter((f) => !manifest.includes(f));
  const missing = manifest.filter((f) => !onDisk.includes(f));
  const repeated = manifest.filter((f, i) => manifest.indexOf(f) !== i);
  if (unlisted.length || missing.length || repeated.length) {
    throw new Error(
      `${dir}${FUNCTIONS_MANIFEST} must list every .sql file beside it once` +
        (unlisted.length ? `; not listed: ${unlisted.join(', ')}` : '') +
        (missing.length ? `; listed but missing: ${missing.join(', ')}` : '') +
        (repeated.length ? `; listed twice: ${repeated.join(', ')}` : ''),
    );
  }
  return Promise.all(manifest.map(async (file) => ({ file, sql: await readFile(`${dir}/${file}`, 'utf8') })));
}

type Conn = postgres.ReservedSql;

/** Runs `body` in a transaction spelled out on a reserved connection (it has no begin()). */
async function inTransaction(conn: Conn, body: () => Promise<void>): Promise<void> {
  await conn`begin`;
  try {
    await body();
    await conn`commit`;
  } catch (err) {
    await conn`rollback`;
    throw err;
  }
}

/**
 * A database migrated by a release before the baseline has the five legacy rows: they are replaced
 * by the baseline's, since the baseline builds exactly the schema they built. Part of the set means
 * a database left by an even older release, which the baseline cannot describe: refused.
 */
async function adoptLegacyMigrations(conn: Conn, logger?: Logger): Promise<void> {
  const rows = await conn<{ version: string; name: string }[]>`select version, name from schema_migrations`;
  const isRecorded = (m: { version: string; name: string }) =>
    rows.some((r) => r.version === m.version && r.name === m.name);
  const present = LEGACY_MIGRATIONS.filter(isRecorded);
  if (present.length === 0) return;
  const label = (ms: readonly { version: string; name: string }[]) =>
    ms.map((m) => `${m.version}_${m.name}`).join(', ');
  if (present.length < LEGACY_MIGRATIONS.length) {
    const missing = LEGACY_MIGRATIONS.filter((m) => !isRecorded(m));
    throw new Error(
      `cannot upgrade this database: it has applied only part of the migrations that ` +
        `${BASELINE.version}_${BASELINE.name} replaces (applied: ${label(present)}; missing: ${label(missing)}). ` +
        `Migrate it with the last chatq release that ships them first, then start this one.`,
    );
  }
  await inTransaction(conn, async () => {
    await conn`
      delete from schema_migrations
      where (version, name) in (
        select * from unnest(${LEGACY_MIGRATIONS.map((m) => m.version)}::text[], ${LEGACY_MIGRATIONS.map((m) => m.name)}::text[]))`;
    await conn`insert into schema_migrations (version, name) values (${BASELINE.version}, ${BASELINE.name})`;
  });
  logger?.info({ replaced: label(LEGACY_MIGRATIONS), baseline: BASELINE.version }, 'legacy migrations adopted');
}

/**
 * Makes the database's chatq_* functions exactly the files': drops every one that no schema object
 * depends on, then runs the files in manifest order, all in one transaction, so other sessions see
 * the old set until commit and the new one after, never a mix or a gap.
 *
 * Dropping first rather than computing the stale ones is what lets a change to a function be only an
 * edit of its file: `create or replace` cannot change a return type or rename a parameter, and a
 * removed function or overload disappears without a migration. It costs new function oids on every
 * start, which sessions pick up as their cached plans are invalidated at the commit.
 *
 * Kept: functions the schema depends on (pg_depend from a column default, an index, a view...),
 * today only chatq_uuidv7, defined by a migration. The files' `$$` bodies record no dependencies,
 * so the functions never pin one another.
 */
async function applyFunctions(conn: Conn, files: FunctionFile[]): Promise<string[]> {
  let dropped: string[] = [];
  await inTransaction(conn, async () => {
    const stale = await conn<{ signature: string }[]>`
      select p.oid::regprocedure::text as signature
      from pg_proc p
      where p.pronamespace = current_schema()::regnamespace
        and p.proname like 'chatq\\_%'
        and not exists (
          select 1 from pg_depend d
          where d.refclassid = 'pg_proc'::regclass and d.refobjid = p.oid and d.deptype = 'n')`;
    for (const { signature } of stale) await conn.unsafe(`drop routine ${signature}`);
    for (const f of files) {
      try {
        await conn.unsafe(f.sql);
      } catch (err) {
        if (err instanceof Error) err.message = `${f.file}: ${err.message}`;
        throw err;
      }
    }
    dropped = stale.map((s) => s.signature);
  });
  return dropped;
}

/**
 * Brings the database to the files on disk, under a session advisory lock held on one reserved
 * connection: records a legacy database as at the baseline, applies pending migrations (each in its
 * own transaction), then re-applies every function file (one transaction). Safe to run from many
 * processes at once: latecomers wait, then find no migration to apply and re-apply the same
 * functions. Returns the migration versions this call applied.
 */
export async function migrate(
  sql: Sql,
  logger?: Logger,
  dirs: { migrations?: string; functions?: string } = {},
): Promise<string[]> {
  const migrations = await loadMigrations(dirs.migrations);
  const functions = await loadFunctionFiles(dirs.functions);
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await conn`
      create table if not exists schema_migrations (
        version text primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    await adoptLegacyMigrations(conn, logger);
    const applied = new Set(
      (await conn<{ version: string }[]>`select version from schema_migrations`).map((r) => r.version),
    );
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await inTransaction(conn, async () => {
        await conn.unsafe(m.sql);
        await conn`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
      });
      logger?.info({ version: m.version, name: m.name }, 'migration applied');
      done.push(m.version);
    }
    const dropped = await applyFunctions(conn, functions);
    logger?.debug({ files: functions.length, dropped }, 'functions applied');
    return done;
  } finally {
    await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
    conn.release();
  }
}

/**
 * Migrations on disk that the database has not recorded yet (readiness reports these). A row counts
 * only under the same version and name, so a database still carrying the legacy rows (its 0001 is
 * `core`, not `baseline`) is pending until a migrator has adopted it and applied the new functions.
 */
export async function pendingMigrations(sql: Sql, migrations: Migration[]): Promise<string[]> {
  const rows = await sql<{ version: string; name: string }[]>`
    select version, name from schema_migrations where version = any(${migrations.map((m) => m.version)})`.catch(
    (err: { code?: string }) => {
      if (err.code === '42P01') return []; // schema_migrations does not exist yet
      throw err;
    },
  );
  return migrations
    .filter((m) => !rows.some((r) => r.version === m.version && r.name === m.name))
    .map((m) => m.version);
}

/**
 * Creates the database named in `url` when it does not exist yet, so a new install needs nothing
 * but a reachable server. Connects to the server's `postgres` database to do it.
 */
export async function ensureDatabase(url: string, logger?: Logger): Promise<void> {
  const probe = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await probe`select 1`;
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // invalid_catalog_name
  } finally {
    await probe.end();
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const admin = postgres(target.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
    logger?.info({ database: name }, 'created database');
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // duplicate_database: another replica won
  } finally {
    await admin.end();
  }
}
